#include "pipeline/run_config.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "net/error.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kBig = 1LL << 40;

fs::path resolve(const fs::path& base_dir, const std::string& value) {
  if (value.empty()) return {};
  const fs::path p(value);
  return p.is_absolute() || base_dir.empty() ? p : base_dir / p;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string_view influence_name(opt::InfluenceMode m) noexcept {
  switch (m) {
    case opt::InfluenceMode::exact: return "exact";
    case opt::InfluenceMode::fast: return "fast";
    case opt::InfluenceMode::both: return "both";
  }
  return "?";
}

std::string RunConfig::fingerprint() const {
  std::ostringstream o;
  o << "autoopt run config v1\n"
    << "pool_size=" << pool_size << "\nmax_nodes=" << max_nodes << "\ngenerator_config=" << generator_config.string()
    << "\nsim_time=" << num(sim_time) << "\nval=" << val.string() << "\ntest=" << test.string()
    << "\neval_count=" << eval_count << "\neval_min_nodes=" << eval_min_nodes << "\neval_max_nodes=" << eval_max_nodes
    << "\neval_sim_time=" << num(eval_sim_time) << "\nval_subset=" << val_subset << "\nn_max=" << n_max
    << "\nseed_clusters=" << seed_clusters << "\nseeds_per_cluster=" << seeds_per_cluster << "\nr_iter=" << num(r_iter)
    << "\nn_easy=" << n_easy << "\nn_hard=" << n_hard << "\ndecay=" << num(decay) << "\nthr_iter=" << num(thr_iter)
    << "\ninfluence=" << influence_name(influence) << "\nmax_iterations=" << max_iterations
    << "\nrules=" << rules.string() << "\nmodel_dim=" << model_dim << "\nmodel_iterations=" << model_iterations
    << "\nextractor_epochs=" << extractor_epochs << "\nfilter_epochs=" << filter_epochs
    << "\nfinal_epochs=" << final_epochs << "\npatience=" << patience << "\nbatch_size=" << batch_size
    << "\nlr=" << num(lr) << "\nbaselines=";
  for (std::size_t i = 0; i < baselines.size(); ++i) o << (i ? "," : "") << baselines[i];
  o << "\nquickstart_config=" << quickstart_config.string() << "\nseed=" << seed << "\n";
  // Later keys appear only when not at their default, so run folders made before them still resume.
  if (delay_loss != "mape") o << "delay_loss=" << delay_loss << "\n";
  if (occupancy_scale != "auto") o << "occupancy_scale=" << occupancy_scale << "\n";
  if (occupancy_head != "linear") o << "occupancy_head=" << occupancy_head << "\n";
  // Written when false: the default changed to false, and a run folder made before (whose models
  // read the capacity) must not resume with models that do not.
  if (!capacity_input) o << "capacity_input=0\n";
  // Written when "load", the default since session 10 (older folders summed; they must not resume).
  if (queue_messages != "sum") o << "queue_messages=" << queue_messages << "\n";
  if (lr_schedule != "constant") o << "lr_schedule=" << lr_schedule << "\n";
  if (mape_epochs != 0) o << "mape_epochs=" << mape_epochs << "\n";
  if (weight_decay != 0.0) o << "weight_decay=" << num(weight_decay) << "\n";
  if (weight_decay_reference != 0.0) o << "weight_decay_reference=" << num(weight_decay_reference) << "\n";
  if (final_budget != "epochs") o << "final_budget=" << final_budget << "\n";
  if (final_repeats != 1) o << "final_repeats=" << final_repeats << "\n";
  if (filter_min_steps != 0) o << "filter_min_steps=" << filter_min_steps << "\n";
  if (filter_lr_schedule != "same") o << "filter_lr_schedule=" << filter_lr_schedule << "\n";
  if (influence_threshold != "absolute") {
    o << "influence_threshold=" << influence_threshold << "\ninfluence_mad_k=" << num(influence_mad_k) << "\n";
  }
  return o.str();
}

void check_run_config(const RunConfig& c, const std::function<std::string(const std::string& key)>& where) {
  const auto fail = [&](const std::string& key, const std::string& what) { throw Error(where(key) + ": " + what); };
  if (c.n_max > c.pool_size) {
    fail("n_max", "N_max = " + std::to_string(c.n_max) + " exceeds the pool size " + std::to_string(c.pool_size));
  }
  const std::size_t seeds = c.seed_clusters * c.seeds_per_cluster;
  if (seeds > c.n_max) {
    fail("seed_clusters", "seed_clusters x seeds_per_cluster = " + std::to_string(seeds) + " exceeds n_max = " +
                              std::to_string(c.n_max));
  }
  if (c.val.empty() && c.eval_min_nodes > c.eval_max_nodes) {
    fail("eval_min_nodes", "eval_min_nodes = " + std::to_string(c.eval_min_nodes) + " exceeds eval_max_nodes = " +
                               std::to_string(c.eval_max_nodes));
  }
  for (const auto& b : c.baselines) {
    if (b != "random" && b != "quickstart" && b != "oracle") {
      fail("baselines", "unknown baseline '" + b + "' (expected random, quickstart, oracle or none)");
    }
    if (std::count(c.baselines.begin(), c.baselines.end(), b) > 1) fail("baselines", "'" + b + "' is listed twice");
  }
  const bool quickstart = std::find(c.baselines.begin(), c.baselines.end(), "quickstart") != c.baselines.end();
  if (quickstart && c.quickstart_config.empty()) {
    fail("quickstart_config", "the quickstart baseline needs a generator config (e.g. quickstart.conf)");
  }
  if (c.mape_epochs > c.final_epochs) {
    fail("mape_epochs", "mape_epochs = " + std::to_string(c.mape_epochs) + " exceeds final_epochs = " +
                            std::to_string(c.final_epochs));
  }
  if (c.device != "cpu" && c.device != "cuda") fail("device", "expected cpu or cuda, got '" + c.device + "'");
}

RunConfig run_config_from(const gen::ConfigFile& f) {
  RunConfig c;
  const fs::path dir = f.file().empty() ? fs::path() : fs::path(f.file()).parent_path();
  c.source = f.file();
  c.name = fs::path(f.file()).stem().string();
  if (c.name.rfind("run-", 0) == 0) c.name = c.name.substr(4);

  c.pool_size = static_cast<std::size_t>(f.get_int("pool_size", static_cast<std::int64_t>(c.pool_size), 1, kBig));
  c.max_nodes = static_cast<int>(f.get_int("max_nodes", c.max_nodes, 2, 100000));
  c.generator_config = resolve(dir, f.get_string("generator_config", ""));
  c.sim_time = f.get_double("sim_time", c.sim_time, 1e-6, 1e9);
  c.val = resolve(dir, f.get_string("val", ""));
  c.test = resolve(dir, f.get_string("test", ""));
  c.eval_count = static_cast<std::size_t>(f.get_int("eval_count", static_cast<std::int64_t>(c.eval_count), 1, kBig));
  c.eval_min_nodes = static_cast<int>(f.get_int("eval_min_nodes", c.eval_min_nodes, 2, 100000));
  c.eval_max_nodes = static_cast<int>(f.get_int("eval_max_nodes", c.eval_max_nodes, 2, 100000));
  c.eval_sim_time = f.get_double("eval_sim_time", c.eval_sim_time, 1e-6, 1e9);
  c.val_subset = static_cast<std::size_t>(f.get_int("val_subset", static_cast<std::int64_t>(c.val_subset), 0, kBig));

  c.n_max = static_cast<std::size_t>(f.get_int("n_max", static_cast<std::int64_t>(c.n_max), 1, kBig));
  c.seed_clusters =
      static_cast<std::size_t>(f.get_int("seed_clusters", static_cast<std::int64_t>(c.seed_clusters), 1, kBig));
  c.seeds_per_cluster =
      static_cast<std::size_t>(f.get_int("seeds_per_cluster", static_cast<std::int64_t>(c.seeds_per_cluster), 1, kBig));
  c.r_iter = f.get_double("r_iter", c.r_iter, 1e-9, 1.0);
  c.n_easy = static_cast<std::size_t>(f.get_int("n_easy", static_cast<std::int64_t>(c.n_easy), 0, kBig));
  c.n_hard = static_cast<std::size_t>(f.get_int("n_hard", static_cast<std::int64_t>(c.n_hard), 0, kBig));
  if (c.n_easy + c.n_hard == 0) throw Error(f.where("n_hard") + ": n_easy + n_hard must be > 0");
  c.decay = f.get_double("decay", c.decay, 0.0, 1e6);
  c.thr_iter = f.get_double("thr_iter", c.thr_iter, -1e9, 1e9);
  const std::string infl = f.get_choice("influence", std::string(influence_name(c.influence)), {"exact", "fast", "both"});
  c.influence = infl == "exact" ? opt::InfluenceMode::exact
                : infl == "both" ? opt::InfluenceMode::both
                                 : opt::InfluenceMode::fast;
  c.influence_threshold = f.get_choice("influence_threshold", c.influence_threshold, {"absolute", "relative"});
  c.influence_mad_k = f.get_double("influence_mad_k", c.influence_mad_k, 0.0, 1e6);
  c.max_iterations =
      static_cast<std::size_t>(f.get_int("max_iterations", static_cast<std::int64_t>(c.max_iterations), 0, kBig));
  c.rules = resolve(dir, f.get_string("rules", ""));

  c.model_dim = static_cast<int>(f.get_int("model_dim", c.model_dim, 1, 4096));
  c.model_iterations = static_cast<int>(f.get_int("model_iterations", c.model_iterations, 1, 1000));
  c.extractor_epochs = static_cast<int>(f.get_int("extractor_epochs", c.extractor_epochs, 1, 1000000));
  c.filter_epochs = static_cast<int>(f.get_int("filter_epochs", c.filter_epochs, 1, 1000000));
  c.filter_min_steps = static_cast<int>(f.get_int("filter_min_steps", c.filter_min_steps, 0, 100000000));
  c.final_epochs = static_cast<int>(f.get_int("final_epochs", c.final_epochs, 1, 1000000));
  c.patience = static_cast<int>(f.get_int("patience", c.patience, 1, 1000000));
  c.batch_size = static_cast<int>(f.get_int("batch_size", c.batch_size, 1, 1000000));
  c.lr = f.get_double("lr", c.lr, 1e-12, 10.0);
  c.delay_loss = f.get_choice("delay_loss", c.delay_loss, {"mape", "log_mse"});
  c.occupancy_scale = f.get_choice("occupancy_scale", c.occupancy_scale, {"auto", "packet", "labels"});
  c.occupancy_head = f.get_choice("occupancy_head", c.occupancy_head, {"linear", "softplus"});
  c.capacity_input = f.get_bool("capacity_input", c.capacity_input);
  c.queue_messages = f.get_choice("queue_messages", c.queue_messages, {"sum", "load"});
  c.lr_schedule = f.get_choice("lr_schedule", c.lr_schedule, {"constant", "cosine"});
  c.mape_epochs = static_cast<int>(f.get_int("mape_epochs", c.mape_epochs, 0, 1000000));
  c.weight_decay = f.get_double("weight_decay", c.weight_decay, 0.0, 10.0);
  c.weight_decay_reference = f.get_double("weight_decay_reference", c.weight_decay_reference, 0.0, 1e9);
  c.filter_lr_schedule = f.get_choice("filter_lr_schedule", c.filter_lr_schedule, {"same", "constant", "cosine"});
  c.final_budget = f.get_choice("final_budget", c.final_budget, {"epochs", "steps"});
  c.final_repeats = static_cast<int>(f.get_int("final_repeats", c.final_repeats, 1, 1000));

  std::vector<std::string> b = f.get_strings("baselines", {"none"});
  if (b.size() == 1 && b[0] == "none") b.clear();
  c.baselines = b;
  c.quickstart_config = resolve(dir, f.get_string("quickstart_config", ""));

  c.seed = static_cast<std::uint64_t>(f.get_int("seed", static_cast<std::int64_t>(c.seed), 0, 1LL << 62));
  c.threads = static_cast<int>(f.get_int("threads", c.threads, 0, 4096));
  c.device = f.get_choice("device", c.device, {"cpu", "cuda"});
  f.reject_unknown();

  // Cross-key rules, reported at the line of the key they name.
  check_run_config(c, [&](const std::string& key) { return f.where(key); });
  return c;
}

RunConfig load_run_config(const fs::path& file) { return run_config_from(gen::ConfigFile::load(file)); }

fs::path find_preset(std::string_view name, const fs::path& exe_dir) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
      })) {
    throw Error("--preset: expected a preset name such as quick or paper, got '" + std::string(name) + "'");
  }
  const std::string file = "run-" + std::string(name) + ".conf";
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("AUTOOPT_CONFIGS"); env != nullptr && *env != '\0') dirs.emplace_back(env);
  dirs.emplace_back("configs");
  fs::path d = exe_dir;
  for (int up = 0; up < 4 && !d.empty(); ++up) {
    dirs.push_back(d / "configs");
    dirs.push_back(d / "share" / "autoopt" / "configs");
    const fs::path parent = d.parent_path();
    if (parent == d) break;
    d = parent;
  }
  std::string looked;
  for (const auto& dir : dirs) {
    const fs::path p = dir / file;
    if (std::error_code ec; fs::is_regular_file(p, ec)) return p;
    looked += "\n  " + p.string();
  }
  throw Error("--preset " + std::string(name) + ": " + file + " not found; looked in:" + looked +
              "\n(set AUTOOPT_CONFIGS to the configs/ folder, or give --config FILE)");
}

void apply_overrides(RunConfig& c, const RunOverrides& o) {
  if (o.seed) c.seed = *o.seed;
  if (o.pool_size) c.pool_size = *o.pool_size;
  if (o.n_max) c.n_max = *o.n_max;
  if (o.val) c.val = *o.val;
  if (o.test) c.test = *o.test;
  if (o.threads) c.threads = *o.threads;
  if (o.device) c.device = *o.device;
  const std::string src = c.source.empty() ? std::string("the defaults") : c.source.string();
  check_run_config(c, [&](const std::string& key) { return "command line with " + src + ": key '" + key + "'"; });
}

}  // namespace autoopt::pipeline
