// Sanity run of RouteNet-Fermi on the real GNNet 2022 validation data: trains on the 50- and 75-node
// samples (every k-th one held out for early stopping), then evaluates on the larger networks
// (100..300 nodes) and prints the per-size table (delay MAPE, jitter MAPE, loss MAE). With full
// training the delay MAPE is expected to be <= 12 %; short runs (few epochs) show the trend only.
// With --train DATA it trains on that dataset instead (e.g. small generated networks), validates on
// the held-out 50/75-node samples, and tests on every size from 50 nodes.
//
//   model_sanity [--epochs N] [--per-size N] [--val-every K] [--threads N] [--seed N] [--out DIR]
//                [--train DATA [--max-train N]] [--jitter-weight X] [--jitter-loss mape|std_mape|log_mse]
//                [--lr X] [--batch-size N] [--capacity-input 0|1] [--load-weighted 0|1]
//     --per-size N   at most N test samples per size (0: all); default 3
//     --out DIR      also write table.csv/json/svg there
//     --train DATA   GNNet folder or HDF5 store to train on (the first --max-train samples, 0: all)
//     --capacity-input 1  the link embedding also reads the link capacity (RouteNetConfig::capacity_input;
//                    default 0: load and policy only, as the public RouteNet-Fermi)
//     --load-weighted 0  queues receive the plain sum of their paths' states (default 1: weighted by
//                    traffic / capacity, RouteNetConfig::load_weighted_messages)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/convert.hpp"
#include "io/gnnet.hpp"
#include "model/report.hpp"
#include "model/trainer.hpp"
#include "net/error.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

fs::path shared_dir() {
  if (const char* env = std::getenv("AUTOOPT_SHARED"); env != nullptr && *env != '\0') return env;
  return AUTOOPT_DEFAULT_SHARED_DIR;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long arg_long(int argc, char** argv, const std::string& name, long def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) {
      char* end = nullptr;
      const long v = std::strtol(argv[i + 1], &end, 10);
      if (end == argv[i + 1] || *end != '\0' || v < 0) throw Error("--" + name + ": expected a number >= 0");
      return v;
    }
  }
  return def;
}

std::string arg_str(int argc, char** argv, const std::string& name) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return {};
}

double arg_double(int argc, char** argv, const std::string& name, double def) {
  const std::string v = arg_str(argc, argv, name);
  if (v.empty()) return def;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || !(d >= 0)) throw Error("--" + name + ": expected a number >= 0, got '" + v + "'");
  return d;
}

model::JitterLoss arg_jitter_loss(int argc, char** argv) {
  const std::string v = arg_str(argc, argv, "jitter-loss");
  if (v.empty() || v == "mape") return model::JitterLoss::mape;
  if (v == "std_mape") return model::JitterLoss::std_mape;
  if (v == "log_mse") return model::JitterLoss::log_mse;
  throw Error("--jitter-loss: expected mape, std_mape or log_mse, got '" + v + "'");
}

}  // namespace

int main(int argc, char** argv) try {
  const auto t0 = std::chrono::steady_clock::now();
  const int epochs = static_cast<int>(arg_long(argc, argv, "epochs", 4));
  const long per_size = arg_long(argc, argv, "per-size", 3);
  const long val_every = std::max(2L, arg_long(argc, argv, "val-every", 7));
  const long threads = arg_long(argc, argv, "threads", 0);
  const auto seed = static_cast<std::uint64_t>(arg_long(argc, argv, "seed", 1));
  if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
  const fs::path root = shared_dir() / "data/gnnet2022/validation";
  if (!fs::exists(root)) {
    std::printf("model_sanity: %s not found (set AUTOOPT_SHARED); nothing to do\n", root.string().c_str());
    return 0;
  }
  const std::string train_data = arg_str(argc, argv, "train");
  const long max_train = arg_long(argc, argv, "max-train", 0);
  std::vector<net::Sample> train, val;
  for (const char* size : {"50", "75"}) {
    const auto all = io::read_gnnet_dataset(root / size);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const bool held_out = static_cast<long>(i) % val_every == val_every - 1;
      if (held_out) {
        val.push_back(all[i]);
      } else if (train_data.empty()) {
        train.push_back(all[i]);
      }
    }
  }
  if (!train_data.empty()) {
    io::for_each_sample(train_data, io::SizeFilter{}, [&](std::size_t, const net::Sample& s) {
      if (max_train == 0 || static_cast<long>(train.size()) < max_train) train.push_back(s);
    });
  }
  std::printf("train %zu samples (%s), val %zu (50, 75 nodes); %d torch thread(s); loaded in %.1f s\n", train.size(),
              train_data.empty() ? "50, 75 nodes" : train_data.c_str(), val.size(), torch::get_num_threads(),
              seconds_since(t0));
  std::fflush(stdout);
  model::RouteNetConfig model_config;  // the default model: 32-d states, 8 iterations
  model_config.capacity_input = arg_long(argc, argv, "capacity-input", model_config.capacity_input ? 1 : 0) != 0;
  model_config.load_weighted_messages =
      arg_long(argc, argv, "load-weighted", model_config.load_weighted_messages ? 1 : 0) != 0;
  std::printf("link embedding: %s; queue messages: %s\n", model_config.capacity_input ? "capacity, load, policy" : "load, policy",
              model_config.load_weighted_messages ? "weighted by traffic / capacity" : "sums");
  model::Trainer trainer(model_config);
  model::FitOptions o;
  o.epochs = epochs;
  o.patience = epochs;
  o.batch_size = static_cast<int>(arg_long(argc, argv, "batch-size", 2));
  o.lr = arg_double(argc, argv, "lr", 2e-3);
  o.seed = seed;
  o.jitter_weight = arg_double(argc, argv, "jitter-weight", o.jitter_weight);
  o.jitter_loss = arg_jitter_loss(argc, argv);
  std::printf("jitter loss %s, weight %g\n",
              o.jitter_loss == model::JitterLoss::mape       ? "mape"
              : o.jitter_loss == model::JitterLoss::std_mape ? "std_mape"
                                                             : "log_mse",
              o.jitter_weight);
  const auto t1 = std::chrono::steady_clock::now();
  const auto rep = trainer.fit(train, val, o);
  const double train_s = seconds_since(t1);
  for (const auto& e : rep.epochs) {
    std::printf("epoch %2d  loss %.4f  train delay MAPE %6.2f%%  jitter term %.4f  val delay MAPE %6.2f%%  "
                "val jitter MAPE %7.2f%%\n",
                e.epoch, e.train_loss, e.train_delay_mape * 100, e.train_jitter, e.val_delay_mape * 100,
                e.val_jitter_mape * 100);
  }
  std::printf("training: %.1f s (%.1f s/epoch), best epoch %d\n", train_s,
              train_s / std::max<std::size_t>(1, rep.epochs.size()), rep.best_epoch);
  std::fflush(stdout);

  model::EvaluationTable table;
  const auto t2 = std::chrono::steady_clock::now();
  std::size_t tested = 0;
  std::vector<const char*> sizes{"100", "130", "170", "200", "240", "260", "280", "300"};
  if (!train_data.empty()) sizes.insert(sizes.begin(), {"50", "75"});
  for (const char* size : sizes) {
    if (!fs::exists(root / size)) continue;
    io::GnnetDataset ds(root / size);
    const std::size_t n = per_size > 0 ? std::min<std::size_t>(ds.size(), static_cast<std::size_t>(per_size)) : ds.size();
    for (std::size_t i = 0; i < n; ++i) {
      const net::Sample s = ds.load(i);
      const auto p = trainer.predict(std::span<const net::Sample>(&s, 1));
      table.add(model::make_records(s, tested++, p[0].delay, p[0].jitter, p[0].loss));
    }
  }
  std::printf("test: %zu samples in %.1f s\n\n%s", tested, seconds_since(t2), table.to_text().c_str());
  if (const std::string out = arg_str(argc, argv, "out"); !out.empty()) {
    fs::create_directories(out);
    io::write_file_atomic(fs::path(out) / "table.csv", table.to_csv());
    io::write_file_atomic(fs::path(out) / "table.json", table.to_json());
    io::write_file_atomic(fs::path(out) / "error_vs_size.svg", table.to_svg());
  }
  std::printf("total %.1f s\n", seconds_since(t0));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "model_sanity: error: %s\n", e.what());
  return 1;
}
