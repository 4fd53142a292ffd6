// RouteNet-Fermi on the CPU (default model: 32-d states, 8 iterations):
//   Model/TrainEpoch100x10  one training epoch over 100 synthetic 10-node samples (batch 4, the
//                           epoch's end-of-epoch MAPE on 10 validation samples included); counter
//                           paths/s = training paths processed per second. Goal: <= 5 s.
//   Model/TrainEpoch100x10/batch32, Model/TrainEpoch20x50  the same with batches of 32, and over 20
//                           synthetic 50-node samples (batch 4).
//   Model/Predict300        featurize + forward of one 300-node GNNet validation sample
//                           (shared/data/gnnet2022/validation/300; skipped with a message when
//                           absent). Goal: <= 3 s.
//   Model/Predict10         the same for one synthetic 10-node sample (per-call overhead).
// On a CUDA libtorch with a visible GPU (otherwise skipped with a message):
//   Model/Cuda/{Gather,SegmentSum}/{Ours,Torch}  one RouteNet-sized message-passing op (4000 rows,
//                           360k hops, 32-wide float32 states): our kernels (kernels/mp_ops_torch.hpp,
//                           via the CUDA glue) against libtorch's index_select / index_add_;
//                           synchronised, so the time is the GPU's. Without the glue "Ours" falls back
//                           to libtorch's operators, and the line says so.
//   Model/Cuda/TrainEpoch*  the training epochs with the model on the GPU (FitOptions::device).
//   Model/Cuda/Predict300   Model/Predict300 with the model on the GPU (--device cuda).
// Threads: all cores (AUTOOPT_BENCH_THREADS=N to choose).
// Synthetic samples: tests/model/synthetic_samples.hpp (ring + chords, per-hop M/M/1 labels).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../tests/model/synthetic_samples.hpp"
#include "io/gnnet.hpp"
#include "model/trainer.hpp"
#include "mp_ops_torch.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

std::vector<net::Sample> synthetic_set(int count, int nodes, std::uint64_t seed) {
  std::vector<net::Sample> v;
  for (int i = 0; i < count; ++i) v.push_back(testing::synthetic_sample(nodes, seed + static_cast<std::uint64_t>(i)));
  return v;
}

std::int64_t paths_of(const std::vector<net::Sample>& v) {
  std::int64_t p = 0;
  for (const auto& s : v)
    for (const auto& flows : s.traffic.pairs) p += static_cast<std::int64_t>(flows.size());
  return p;
}

fs::path shared_dir() {
  if (const char* env = std::getenv("AUTOOPT_SHARED"); env != nullptr && *env != '\0') return env;
  return AUTOOPT_DEFAULT_SHARED_DIR;
}

// The shape of a training-epoch benchmark: `count` synthetic `nodes`-node samples in batches of `batch`.
struct EpochShape {
  int count = 100;
  int nodes = 10;
  int batch = 4;
};

void train_epoch(benchmark::State& state, model::ComputeDevice device = model::ComputeDevice::cpu,
                 EpochShape shape = {}) {
  const auto train = synthetic_set(shape.count, shape.nodes, 1000);
  const auto val = synthetic_set(10, shape.nodes, 5000);
  model::FitOptions o;
  o.epochs = 1;
  o.batch_size = shape.batch;
  o.device = device;
  for (auto _ : state) {
    model::Trainer t;
    benchmark::DoNotOptimize(t.fit(train, val, o));
  }
  state.counters["paths/s"] = benchmark::Counter(static_cast<double>(paths_of(train)) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["paths"] = static_cast<double>(paths_of(train));
}

void predict_samples(benchmark::State& state, const net::Sample& sample,
                     model::ComputeDevice device = model::ComputeDevice::cpu) {
  // A model with a fitted Normalizer (one quick epoch on synthetic samples); its weights do not
  // change the cost of a prediction.
  const auto train = synthetic_set(4, 10, 77);
  model::Trainer t;
  model::FitOptions o;
  o.epochs = 1;
  (void)t.fit(train, {}, o);
  t.set_device(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.predict(std::span<const net::Sample>(&sample, 1)));
  }
  std::int64_t paths = 0;
  for (const auto& flows : sample.traffic.pairs) paths += static_cast<std::int64_t>(flows.size());
  state.counters["paths"] = static_cast<double>(paths);
  state.counters["nodes"] = sample.num_nodes();
}

// One message-passing op of a RouteNet-sized step on the GPU; `ours` picks kernels/mp_ops_torch.hpp
// over libtorch's operators.
void cuda_op(benchmark::State& state, bool gather, bool ours) {
  const std::int64_t rows = 4000, hops = 360000, dim = 32;
  torch::manual_seed(7);
  const auto f32 = torch::dtype(torch::kFloat).device(torch::kCUDA);
  const torch::Tensor x = torch::randn({rows, dim}, f32);
  const torch::Tensor h = torch::randn({hops, dim}, f32);
  const torch::Tensor idx = torch::randint(0, rows, {hops}, torch::dtype(torch::kLong).device(torch::kCUDA));
  const auto run = [&] {
    if (gather) {
      benchmark::DoNotOptimize(ours ? kernels::gather_rows(x, idx) : x.index_select(0, idx));
    } else {
      benchmark::DoNotOptimize(ours ? kernels::segment_sum(h, idx, rows)
                                    : torch::zeros({rows, dim}, f32).index_add_(0, idx, h));
    }
  };
  run();
  torch::cuda::synchronize();
  for (auto _ : state) {
    run();
    torch::cuda::synchronize();
  }
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(hops * dim * 4 * 2) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  if (ours && !kernels::torch_cuda_glue_built()) state.SetLabel("no CUDA glue: libtorch's operators");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // All cores unless AUTOOPT_BENCH_THREADS says otherwise (libtorch may start with 1 here).
  const char* env = std::getenv("AUTOOPT_BENCH_THREADS");
  const int threads = env != nullptr && *env != '\0' ? std::atoi(env) : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));
  std::printf("torch threads: %d\n", torch::get_num_threads());
  // Where a GPU starts to pay off for training: larger batches and larger networks, on each device.
  const std::vector<std::pair<std::string, EpochShape>> epochs = {
      {"TrainEpoch100x10", {}}, {"TrainEpoch100x10/batch32", {100, 10, 32}}, {"TrainEpoch20x50", {20, 50, 4}}};
  for (const auto& [name, shape] : epochs) {
    benchmark::RegisterBenchmark(("Model/" + name).c_str(), [shape](benchmark::State& s) {
      train_epoch(s, model::ComputeDevice::cpu, shape);
    })->Unit(benchmark::kSecond)->Iterations(2);
  }
  const net::Sample small = testing::synthetic_sample(10, 4242);
  benchmark::RegisterBenchmark("Model/Predict10", [&](benchmark::State& s) { predict_samples(s, small); })
      ->Unit(benchmark::kMillisecond);
  std::optional<net::Sample> big;
  const fs::path dir = shared_dir() / "data/gnnet2022/validation/300";
  if (fs::exists(dir)) {
    io::GnnetDataset ds(dir);
    if (ds.size() > 0) big = ds.load(0);
  }
  if (big) {
    benchmark::RegisterBenchmark("Model/Predict300", [&](benchmark::State& s) { predict_samples(s, *big); })
        ->Unit(benchmark::kSecond)
        ->Iterations(3);
  } else {
    std::printf("Model/Predict300 skipped: %s not found (set AUTOOPT_SHARED)\n", dir.string().c_str());
  }
  if (torch::cuda::is_available()) {
    for (const bool gather : {true, false}) {
      for (const bool ours : {true, false}) {
        const std::string name = std::string("Model/Cuda/") + (gather ? "Gather" : "SegmentSum") + (ours ? "/Ours" : "/Torch");
        benchmark::RegisterBenchmark(name.c_str(), [gather, ours](benchmark::State& s) { cuda_op(s, gather, ours); })
            ->Unit(benchmark::kMicrosecond);
      }
    }
    for (const auto& [name, shape] : epochs) {
      benchmark::RegisterBenchmark(("Model/Cuda/" + name).c_str(), [shape](benchmark::State& s) {
        train_epoch(s, model::ComputeDevice::cuda, shape);
      })->Unit(benchmark::kSecond)->Iterations(2);
    }
    if (big) {
      benchmark::RegisterBenchmark("Model/Cuda/Predict300",
                                   [&](benchmark::State& s) { predict_samples(s, *big, model::ComputeDevice::cuda); })
          ->Unit(benchmark::kSecond)
          ->Iterations(3);
    }
  } else {
    std::printf("Model/Cuda/* skipped: %s\n",
                at::hasCUDA() ? "libtorch has CUDA but sees no GPU" : "the linked libtorch has no CUDA (CPU-only build)");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
