// autoopt train, autoopt evaluate, autoopt predict: RouteNet-Fermi on datasets (GNNet folders or HDF5
// stores). Thin: parse, load samples, call model::Trainer, and model/report for the records and tables.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "io/archive.hpp"
#include "io/convert.hpp"
#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "model/features.hpp"
#include "model/report.hpp"
#include "model/trainer.hpp"
#include "net/error.hpp"
#include "run/progress.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

double get_double(const Args& a, const std::string& cmd, const std::string& name, double min) {
  const std::string v = a.get(name);
  const auto d = parse_finite(v);
  if (!d || !(*d > min)) {
    throw Error("autoopt " + cmd + ": --" + name + ": expected a number > " + std::to_string(min) + ", got '" + v + "'");
  }
  return *d;
}

// Torch intra-op threads: --threads, or the cores shared among the ranks of this machine.
int set_threads(const Args& a, const run::MpiSession& mpi) {
  int n = static_cast<int>(a.get_int("threads", 0, 4096));
  if (n == 0) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    n = std::max(1, cores / std::max(1, mpi.size()));
  }
  torch::set_num_threads(n);
  return n;
}

// --device cpu|cuda: checked before any data is read, so a CUDA request on a machine without one
// fails at once with resolve_device's message.
model::ComputeDevice device_option(const Args& a, const std::string& cmd) {
  try {
    const model::ComputeDevice d = model::parse_device(a.get("device"));
    (void)model::resolve_device(d);
    return d;
  } catch (const Error& e) {
    throw Error("autoopt " + cmd + ": --" + e.what());
  }
}

void require_dataset(const std::string& cmd, const std::string& option, const fs::path& p) {
  if (p.empty()) throw Error("autoopt " + cmd + ": --" + option + " is required");
  if (std::error_code ec; !fs::exists(p, ec)) {
    throw Error("autoopt " + cmd + ": --" + option + ": " + p.string() + ": no such file or folder");
  }
  (void)io::detect_dataset(p);  // names what it looked for when `p` is no dataset
}

io::SizeFilter size_filter(const Args& a) {
  return {static_cast<int>(a.get_int("min-nodes", 0, 1000000)), static_cast<int>(a.get_int("max-nodes", 0, 1000000))};
}

std::vector<net::Sample> load_all(const std::string& cmd, const fs::path& path, const io::SizeFilter& filter,
                                  bool progress) {
  std::vector<net::Sample> out;
  std::unique_ptr<run::Progress> p;
  io::for_each_sample(
      path, filter,
      [&](std::size_t, const net::Sample& s) {
        out.push_back(s);
        if (p) p->advance();
      },
      [&](std::size_t total) {
        p = std::make_unique<run::Progress>(cmd + " load " + path.filename().string(),
                                            static_cast<std::int64_t>(total), progress);
      });
  return out;
}

// Calls fn(index, sample) for the samples of the dataset this rank owns (round-robin over the
// dataset's positions; `index` is the sample's position in the dataset). Only owned samples are read.
// on_total(count owned) is called first.
void for_owned_samples(const fs::path& path, const io::SizeFilter& filter, const run::MpiSession& mpi,
                       const std::function<void(std::size_t)>& on_total,
                       const std::function<void(std::size_t, const net::Sample&)>& fn) {
  const auto owned_count = [&](std::size_t total) {
    std::size_t c = 0;
    for (std::size_t i = 0; i < total; ++i) c += mpi.owns(i) ? 1 : 0;
    return c;
  };
  if (io::detect_dataset(path) == io::DatasetKind::Gnnet) {
    io::GnnetDataset ds(path);
    std::vector<std::size_t> picked;  // positions (in the whole listing) that pass the filter
    for (std::size_t i = 0; i < ds.size(); ++i) {
      if (filter.accepts(ds.num_nodes(ds.samples()[i]))) picked.push_back(i);
    }
    on_total(owned_count(picked.size()));
    for (std::size_t k = 0; k < picked.size(); ++k) {
      if (mpi.owns(k)) fn(k, ds.load(picked[k]));
    }
    return;
  }
  // HDF5: positions in the store; the size filter is applied after reading a sample.
  std::optional<io::ShardReader> reader;
  std::optional<io::ShardStore> store;
  if (fs::is_regular_file(path)) {
    reader.emplace(path);
  } else {
    store.emplace(io::ShardStore::open(path));
  }
  const std::size_t total = reader ? reader->size() : store->size();
  on_total(owned_count(total));
  for (std::size_t i = 0; i < total; ++i) {
    if (!mpi.owns(i)) continue;
    const net::Sample s = reader ? reader->read(i) : store->read(i);
    if (filter.accepts(s.num_nodes())) fn(i, s);
  }
}

std::size_t count_link_path(const std::vector<net::Sample>& samples) {
  return static_cast<std::size_t>(std::count_if(samples.begin(), samples.end(), model::is_link_path_sample));
}

model::Trainer load_model(const std::string& cmd, const fs::path& dir) {
  if (dir.empty()) throw Error("autoopt " + cmd + ": --model is required");
  if (std::error_code ec; !fs::is_directory(dir, ec)) {
    throw Error("autoopt " + cmd + ": --model: " + dir.string() +
                ": no such folder (expected a model folder written by autoopt train)");
  }
  return model::Trainer::load(dir);
}

// Predicts the owned samples and gathers every rank's records on rank 0 (sample order). A failure on
// any rank makes every rank throw, so no rank waits in the gather for one that gave up.
std::vector<model::SampleRecords> predict_records(const std::string& cmd, model::Trainer& trainer,
                                                  const fs::path& data, const io::SizeFilter& filter,
                                                  bool need_truth, bool progress, const run::MpiSession& mpi) {
  std::vector<model::SampleRecords> local;
  std::string error;
  try {
    const std::string label = mpi.size() > 1 ? cmd + "[rank " + std::to_string(mpi.rank()) + "]" : cmd;
    std::unique_ptr<run::Progress> p;
    for_owned_samples(
        data, filter, mpi,
        [&](std::size_t owned) { p = std::make_unique<run::Progress>(label, static_cast<std::int64_t>(owned), progress); },
        [&](std::size_t index, const net::Sample& s) {
          if (need_truth && !s.results && !model::is_link_path_sample(s)) {
            throw Error("autoopt " + cmd + ": --data: " + data.string() + ": sample " + std::to_string(index) +
                        " (id " + std::to_string(s.id) + ", " + s.graph_name +
                        ") has no results; evaluate needs a simulated dataset (use predict for unlabelled data)");
          }
          // One sample per forward pass: the numbers do not depend on which samples share a rank.
          const auto pred = trainer.predict(std::span<const net::Sample>(&s, 1));
          local.push_back(model::make_records(s, index, pred[0].delay, pred[0].jitter, pred[0].loss));
          if (p) p->advance();
        });
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (mpi.active() && mpi.size() > 1) {
    int failed = error.empty() ? 0 : 1, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, mpi.comm());
    if (!error.empty()) throw Error(error);
    if (any) throw Error("autoopt " + cmd + ": another rank failed (see its message)");
    return model::gather_records(std::move(local), mpi.comm());
  }
  if (!error.empty()) throw Error(error);
  return model::gather_records(std::move(local), MPI_COMM_NULL);
}

std::vector<OptionSpec> data_options() {
  return {{"min-nodes", "only networks with at least this many nodes", false, "0"},
          {"max-nodes", "only networks with at most this many nodes", false, "1000000"},
          {"threads", "torch threads per rank (0: the cores shared among the ranks)", false, "0"},
          {"device", "where the model runs: cpu or cuda (a CUDA libtorch and a GPU)", false, "cpu"},
          {"quiet", "no progress lines", true, ""}};
}

}  // namespace

int cmd_train(int argc, char** argv, const run::MpiSession& mpi) {
  auto specs = data_options();
  const model::FitOptions d;
  specs.insert(specs.begin(), {
      {"train", "training dataset (GNNet folder or HDF5 store; needs labels: results or measured link-path delays)", false, ""},
      {"val", "validation dataset for early stopping (default: none, the training MAPE is used)", false, ""},
      {"out", "model folder to write (replaced if it exists)", false, ""},
      {"epochs", "maximum epochs", false, std::to_string(d.epochs)},
      {"lr", "Adam learning rate", false, "0.001"},
      {"batch-size", "samples per optimiser step", false, std::to_string(d.batch_size)},
      {"seed", "model initialisation and batch order", false, std::to_string(d.seed)},
      {"patience", "epochs without a better validation delay MAPE before stopping", false, std::to_string(d.patience)},
      {"iterations", "message-passing iterations", false, "8"},
      {"dim", "state size of paths, links and queues", false, "32"},
      {"occupancy-scale",
       "unit of the occupancy head: packet (mean packet size), labels (median occupancy the delay labels imply), "
       "auto (labels for link-path data, else packet)",
       false, "auto"},
      {"delay-loss",
       "delay term of the training objective: mape (|d - y| / y) or log_mse ((log d - log y)^2); "
       "early stopping always uses the validation delay MAPE",
       false, "mape"},
      {"occupancy-head",
       "linear (any sign) or softplus (every hop's occupancy positive: use it with --delay-loss log_mse)", false,
       "linear"},
      {"capacity-input",
       "yes: the link embedding also reads the link capacity; no: load and scheduling policy only, as the public "
       "RouteNet-Fermi (generalises to networks with larger links; docs/model.md)",
       false, "no"},
      {"queue-messages",
       "load: a queue receives the states of the paths that cross it weighted by each path's traffic / the link's "
       "capacity; sum: their plain sum (docs/model.md)",
       false, "load"},
      {"lr-schedule", "constant, or cosine (from --lr down to 5 % of it at the last epoch)", false, "constant"},
      {"mape-epochs",
       "the last N of --epochs train the delay on the MAPE whatever --delay-loss says (early stopping of the "
       "first phase starts them at once)",
       false, "0"},
      {"weight-decay", "decoupled weight decay (AdamW) per step, relative to the lr; 0: plain Adam", false, "0"},
      {"weight-decay-reference",
       "N > 0: the decay is --weight-decay x N / (training samples), so it weighs alike whatever the set's size", false,
       "0"},
  });
  const Args a("train", specs, argc, argv, 2);
  const std::string synopsis =
      "--train DATA [--val DATA] --out MODEL [--epochs N] [--lr X] [--batch-size N] [--seed N] [--patience N] [--threads N]"
      " [--device cpu|cuda] [--occupancy-scale auto|packet|labels] [--delay-loss mape|log_mse]"
      " [--occupancy-head linear|softplus] [--capacity-input no|yes] [--queue-messages load|sum] [--lr-schedule constant|cosine] [--mape-epochs N] [--weight-decay X [--weight-decay-reference N]]";
  if (a.help() || !a.positional().empty() || a.get("train").empty() || a.get("out").empty()) {
    std::fputs(a.usage(synopsis).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  model::FitOptions o;
  o.epochs = static_cast<int>(a.get_int("epochs", 1, 1000000));
  o.lr = get_double(a, "train", "lr", 0.0);
  o.batch_size = static_cast<int>(a.get_int("batch-size", 1, 1000000));
  o.seed = static_cast<std::uint64_t>(a.get_int("seed", 0, (1LL << 62)));
  o.patience = static_cast<int>(a.get_int("patience", 1, 1000000));
  o.device = device_option(a, "train");
  try {
    o.occupancy_scale = model::parse_occupancy_scale(a.get("occupancy-scale"));
  } catch (const Error&) {
    throw Error("autoopt train: --occupancy-scale: expected auto, packet or labels, got '" + a.get("occupancy-scale") +
                "'");
  }
  try {
    o.delay_loss = model::parse_delay_loss(a.get("delay-loss"));
  } catch (const Error&) {
    throw Error("autoopt train: --delay-loss: expected mape or log_mse, got '" + a.get("delay-loss") + "'");
  }
  try {
    o.lr_schedule = model::parse_lr_schedule(a.get("lr-schedule"));
  } catch (const Error&) {
    throw Error("autoopt train: --lr-schedule: expected constant or cosine, got '" + a.get("lr-schedule") + "'");
  }
  o.mape_epochs = static_cast<int>(a.get_int("mape-epochs", 0, 1000000));
  o.weight_decay = a.get_double("weight-decay", 0.0, 10.0);
  o.weight_decay_reference = a.get_double("weight-decay-reference", 0.0, 1e9);
  if (o.mape_epochs > o.epochs) {
    throw Error("autoopt train: --mape-epochs " + std::to_string(o.mape_epochs) + " exceeds --epochs " +
                std::to_string(o.epochs));
  }
  model::RouteNetConfig config;
  config.iterations = a.get_int("iterations", 1, 1000);
  config.path_dim = config.link_dim = config.queue_dim = a.get_int("dim", 1, 4096);
  if (a.get("occupancy-head") != "linear" && a.get("occupancy-head") != "softplus")
    throw Error("autoopt train: --occupancy-head: expected linear or softplus, got '" + a.get("occupancy-head") + "'");
  config.positive_occupancy = a.get("occupancy-head") == "softplus";
  if (a.get("capacity-input") != "no" && a.get("capacity-input") != "yes")
    throw Error("autoopt train: --capacity-input: expected no or yes, got '" + a.get("capacity-input") + "'");
  config.capacity_input = a.get("capacity-input") == "yes";
  if (a.get("queue-messages") != "sum" && a.get("queue-messages") != "load")
    throw Error("autoopt train: --queue-messages: expected sum or load, got '" + a.get("queue-messages") + "'");
  config.load_weighted_messages = a.get("queue-messages") == "load";
  const fs::path train_path = a.get("train"), val_path = a.get("val"), out = a.get("out");
  require_dataset("train", "train", train_path);
  if (!val_path.empty()) require_dataset("train", "val", val_path);
  if (mpi.rank() != 0) return 0;  // training is one process's job (no distributed training yet)
  const int threads = set_threads(a, mpi);
  const bool progress = !a.flag("quiet");
  const auto filter = size_filter(a);
  std::vector<net::Sample> train = load_all("train", train_path, filter, progress);
  std::vector<net::Sample> val = val_path.empty() ? std::vector<net::Sample>{}
                                                  : load_all("train", val_path, filter, progress);
  if (train.empty()) throw Error("autoopt train: --train: " + train_path.string() + ": no samples (after the size filter)");
  const std::size_t link_path_train = count_link_path(train), link_path_val = count_link_path(val);
  if (link_path_train + link_path_val > 0) {
    std::printf("link-path samples (measured mean delays only): %zu training, %zu validation; their jitter and "
                "drop-ratio terms are masked\n",
                link_path_train, link_path_val);
  }
  std::printf("training on %zu samples, validating on %zu; %d thread(s), device %s; delay loss %s\n", train.size(),
              val.size(), threads, std::string(model::device_name(o.device)).c_str(),
              std::string(model::delay_loss_name(o.delay_loss)).c_str());
  std::fflush(stdout);
  model::Trainer trainer(config);
  const model::FitReport r = trainer.fit(train, val, o);
  std::printf("occupancy scale: %s, %.6g bits\n", std::string(model::occupancy_scale_name(r.occupancy_scale)).c_str(),
              r.occupancy_scale_bits);
  std::printf("%6s %10s %8s %12s %18s %16s\n", "epoch", "lr", "loss", "train loss", "train delay MAPE%",
              "val delay MAPE%");
  for (const auto& e : r.epochs) {
    std::printf("%6d %10.3g %8s %12.5f %18.2f %16.2f\n", e.epoch, e.lr,
                std::string(model::delay_loss_name(e.delay_loss)).c_str(), e.train_loss, e.train_delay_mape * 100,
                e.val_delay_mape * 100);
  }
  trainer.save(out);
  std::printf("best epoch %d: %s delay MAPE %.2f%%\nmodel -> %s\n", r.best_epoch, val.empty() ? "training" : "validation",
              r.best_val_delay_mape * 100, out.string().c_str());
  return 0;
}

int cmd_evaluate(int argc, char** argv, const run::MpiSession& mpi) {
  auto specs = data_options();
  specs.insert(specs.begin(), {{"model", "model folder (written by autoopt train)", false, ""},
                               {"data", "dataset with results (GNNet folder or HDF5 store)", false, ""},
                               {"out-dir", "report folder (default: <model>/evaluation)", false, ""}});
  const Args a("evaluate", specs, argc, argv, 2);
  if (a.help() || !a.positional().empty() || a.get("model").empty() || a.get("data").empty()) {
    std::fputs(a.usage("--model MODEL --data DATA [--out-dir DIR] [--threads N] [--device cpu|cuda]\n"
                       "writes <out-dir>/table.csv, table.json, error_vs_size.svg and predictions.csv")
                   .c_str(),
               a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  const fs::path model_dir = a.get("model"), data = a.get("data");
  const fs::path out_dir = a.get("out-dir").empty() ? model_dir / "evaluation" : fs::path(a.get("out-dir"));
  const model::ComputeDevice device = device_option(a, "evaluate");
  model::Trainer trainer = load_model("evaluate", model_dir);
  trainer.set_device(device);
  require_dataset("evaluate", "data", data);
  set_threads(a, mpi);
  const auto records = predict_records("evaluate", trainer, data, size_filter(a), true, !a.flag("quiet"), mpi);
  if (mpi.rank() != 0) return 0;
  if (records.empty()) throw Error("autoopt evaluate: --data: " + data.string() + ": no samples (after the size filter)");
  model::EvaluationTable table;
  for (const auto& s : records) table.add(s);
  fs::create_directories(out_dir);
  io::write_file_atomic(out_dir / "table.csv", table.to_csv());
  io::write_file_atomic(out_dir / "table.json", table.to_json());
  io::write_file_atomic(out_dir / "error_vs_size.svg", table.to_svg());
  io::write_file_atomic(out_dir / "predictions.csv", model::predictions_csv(records));
  std::printf("%s", table.to_text().c_str());
  if (std::any_of(records.begin(), records.end(), [](const auto& r) { return r.delay_unit_s != 1.0; })) {
    std::printf("link-path data: predictions.csv gives delays in the data's unit (column delay_unit); jitter and "
                "drop ratio are not measured (n/a)\n");
  }
  std::printf("report -> %s (table.csv, table.json, error_vs_size.svg, predictions.csv)\n", out_dir.string().c_str());
  return 0;
}

int cmd_predict(int argc, char** argv, const run::MpiSession& mpi) {
  auto specs = data_options();
  specs.insert(specs.begin(), {{"model", "model folder (written by autoopt train)", false, ""},
                               {"data", "dataset (GNNet folder or HDF5 store; results optional)", false, ""},
                               {"out", "CSV file to write (one row per path)", false, ""}});
  const Args a("predict", specs, argc, argv, 2);
  if (a.help() || !a.positional().empty() || a.get("model").empty() || a.get("data").empty() || a.get("out").empty()) {
    std::fputs(a.usage("--model MODEL --data DATA --out FILE.csv [--threads N] [--device cpu|cuda]").c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  const fs::path model_dir = a.get("model"), data = a.get("data"), out = a.get("out");
  const model::ComputeDevice device = device_option(a, "predict");
  model::Trainer trainer = load_model("predict", model_dir);
  trainer.set_device(device);
  require_dataset("predict", "data", data);
  set_threads(a, mpi);
  const auto records = predict_records("predict", trainer, data, size_filter(a), false, !a.flag("quiet"), mpi);
  if (mpi.rank() != 0) return 0;
  std::size_t paths = 0;
  for (const auto& s : records) paths += s.paths.size();
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  io::write_file_atomic(out, model::predictions_csv(records));
  std::printf("%zu samples, %zu paths -> %s\n", records.size(), paths, out.string().c_str());
  return 0;
}

}  // namespace autoopt::cli
