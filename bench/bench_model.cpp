// RouteNet-Fermi on the CPU (default model: 32-d states, 8 iterations):
//   Model/TrainEpoch100x10  one training epoch over 100 synthetic 10-node samples (batch 4, the
//                           epoch's end-of-epoch MAPE on 10 validation samples included); counter
//                           paths/s = training paths processed per second. Goal: <= 5 s.
//   Model/Predict300        featurize + forward of one 300-node GNNet validation sample
//                           (shared/data/gnnet2022/validation/300; skipped with a message when
//                           absent). Goal: <= 3 s.
//   Model/Predict10         the same for one synthetic 10-node sample (per-call overhead).
// Threads: all cores (AUTOOPT_BENCH_THREADS=N to choose).
// Synthetic samples: tests/model/synthetic_samples.hpp (ring + chords, per-hop M/M/1 labels).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "../tests/model/synthetic_samples.hpp"
#include "io/gnnet.hpp"
#include "model/trainer.hpp"

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

void train_epoch(benchmark::State& state) {
  const auto train = synthetic_set(100, 10, 1000);
  const auto val = synthetic_set(10, 10, 5000);
  model::FitOptions o;
  o.epochs = 1;
  o.batch_size = 4;
  for (auto _ : state) {
    model::Trainer t;
    benchmark::DoNotOptimize(t.fit(train, val, o));
  }
  state.counters["paths/s"] = benchmark::Counter(static_cast<double>(paths_of(train)) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["paths"] = static_cast<double>(paths_of(train));
}

void predict_samples(benchmark::State& state, const net::Sample& sample) {
  // A model with a fitted Normalizer (one quick epoch on synthetic samples); its weights do not
  // change the cost of a prediction.
  const auto train = synthetic_set(4, 10, 77);
  model::Trainer t;
  model::FitOptions o;
  o.epochs = 1;
  (void)t.fit(train, {}, o);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.predict(std::span<const net::Sample>(&sample, 1)));
  }
  std::int64_t paths = 0;
  for (const auto& flows : sample.traffic.pairs) paths += static_cast<std::int64_t>(flows.size());
  state.counters["paths"] = static_cast<double>(paths);
  state.counters["nodes"] = sample.num_nodes();
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // All cores unless AUTOOPT_BENCH_THREADS says otherwise (libtorch may start with 1 here).
  const char* env = std::getenv("AUTOOPT_BENCH_THREADS");
  const int threads = env != nullptr && *env != '\0' ? std::atoi(env) : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));
  std::printf("torch threads: %d\n", torch::get_num_threads());
  benchmark::RegisterBenchmark("Model/TrainEpoch100x10", train_epoch)->Unit(benchmark::kSecond)->Iterations(2);
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
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
