#include "pipeline/stage2.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>
#include <unordered_set>

#include "gen/random.hpp"
#include "io/archive.hpp"
#include "io/convert.hpp"
#include "io/gnnet2023.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"
#include "opt/cluster.hpp"
#include "opt/seed_select.hpp"
#include "pipeline/pool_service.hpp"
#include "run/progress.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double parse_double(const std::string& s, const std::string& what) {
  if (s == "nan") return std::nan("");
  const auto v = gen::parse_number(s);
  if (!v) throw Error(what + ": expected a number, got '" + s + "'");
  return *v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string sample_name(const net::Sample& s) { return "cand-" + std::to_string(s.id); }

}  // namespace

// ---- data -------------------------------------------------------------------------------------

std::vector<net::Sample> load_dataset(const fs::path& path, const std::string& what, bool progress) {
  if (std::error_code ec; !fs::exists(path, ec)) throw Error(what + ": " + path.string() + ": no such file or folder");
  std::vector<net::Sample> out;
  if (io::is_gnnet2023_path(path)) {  // GNNet 2023 JSON lines (a file or a folder of them)
    (void)io::for_each_gnnet2023_sample(path, [&](std::size_t, const net::Sample& s) { out.push_back(s); });
    if (out.empty()) throw Error(what + ": " + path.string() + ": no samples");
    return out;
  }
  std::unique_ptr<run::Progress> p;
  io::for_each_sample(
      path, {},
      [&](std::size_t, const net::Sample& s) {
        out.push_back(s);
        if (p) p->advance();
      },
      [&](std::size_t total) {
        p = std::make_unique<run::Progress>("load " + path.filename().string(), static_cast<std::int64_t>(total),
                                            progress);
      });
  if (out.empty()) throw Error(what + ": " + path.string() + ": no samples");
  return out;
}

std::vector<net::Sample> load_generated(const fs::path& run_dir) {
  const fs::path shards = run_dir / "shards";
  if (std::error_code ec; !fs::is_regular_file(shards / "manifest.json", ec)) {
    throw Error(run_dir.string() + ": no generated samples (expected " + (shards / "manifest.json").string() + ")");
  }
  std::vector<net::Sample> out = io::ShardStore::open(shards).read_all();
  std::stable_sort(out.begin(), out.end(), [](const net::Sample& a, const net::Sample& b) { return a.id < b.id; });
  return out;
}

std::vector<net::Sample> smallest_subset(std::span<const net::Sample> samples, std::size_t count) {
  if (count == 0 || count >= samples.size()) return {samples.begin(), samples.end()};
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return samples[a].num_nodes() < samples[b].num_nodes(); });
  order.resize(count);
  std::sort(order.begin(), order.end());
  return pick(samples, order);
}

std::vector<net::Sample> pick(std::span<const net::Sample> samples, std::span<const std::size_t> ids) {
  std::vector<net::Sample> out;
  out.reserve(ids.size());
  for (std::size_t i : ids) {
    if (i >= samples.size()) {
      throw Error("pick: id " + std::to_string(i) + " outside the pool of " + std::to_string(samples.size()));
    }
    out.push_back(samples[i]);
  }
  return out;
}

// ---- models -----------------------------------------------------------------------------------

ModelSettings model_settings(const RunConfig& c) {
  ModelSettings m;
  m.config.path_dim = m.config.link_dim = m.config.queue_dim = c.model_dim;
  m.config.iterations = c.model_iterations;
  m.config.positive_occupancy = c.occupancy_head == "softplus";
  m.config.capacity_input = c.capacity_input;
  m.config.load_weighted_messages = c.queue_messages == "load";
  m.fit.epochs = c.final_epochs;
  m.fit.lr = c.lr;
  m.fit.batch_size = c.batch_size;
  m.fit.delay_loss = model::parse_delay_loss(c.delay_loss);
  m.fit.occupancy_scale = model::parse_occupancy_scale(c.occupancy_scale);
  m.fit.lr_schedule = model::parse_lr_schedule(c.lr_schedule);
  m.fit.mape_epochs = c.mape_epochs;
  m.fit.weight_decay = c.weight_decay;
  m.fit.weight_decay_reference = c.weight_decay_reference;
  m.fit.seed = c.seed;
  m.fit.patience = c.patience;
  m.fit.device = model::parse_device(c.device);
  m.extractor_epochs = c.extractor_epochs;
  m.filter_epochs = c.filter_epochs;
  m.filter_min_steps = c.filter_min_steps;
  if (c.filter_lr_schedule != "same") m.filter_lr_schedule = model::parse_lr_schedule(c.filter_lr_schedule);
  return m;
}

TrainedModel train_model(std::span<const net::Sample> train, std::span<const net::Sample> val,
                         const ModelSettings& settings, int epochs) {
  const auto t0 = std::chrono::steady_clock::now();
  TrainedModel out{model::Trainer(settings.config), {}, 0.0};
  const model::FitOptions fit = model::with_epochs(settings.fit, epochs);
  out.fit = out.trainer.fit(train, val, fit);
  out.seconds = seconds_since(t0);
  return out;
}

model::EvaluationTable evaluate_model(model::Trainer& trainer, std::span<const net::Sample> data,
                                      const std::string& label, bool progress) {
  model::EvaluationTable table;
  run::Progress p(label, static_cast<std::int64_t>(data.size()), progress);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto pred = trainer.predict(data.subspan(i, 1));
    table.add(model::make_records(data[i], i, pred[0].delay, pred[0].jitter, pred[0].loss));
    p.advance();
  }
  return table;
}

// ---- Stage 2 ----------------------------------------------------------------------------------

Stage2Settings stage2_settings(const RunConfig& c) {
  Stage2Settings s;
  s.seed_clusters = c.seed_clusters;
  s.seeds_per_cluster = c.seeds_per_cluster;
  s.incremental.n_max = c.n_max;
  s.incremental.r_iter = c.r_iter;
  s.incremental.n_easy = c.n_easy;
  s.incremental.n_hard = c.n_hard;
  s.incremental.decay = c.decay;
  s.incremental.thr_iter = c.thr_iter;
  s.incremental.influence = c.influence;
  s.incremental.threshold =
      c.influence_threshold == "relative" ? opt::InfluenceThreshold::relative : opt::InfluenceThreshold::absolute;
  s.incremental.mad_k = c.influence_mad_k;
  s.incremental.seed = c.seed;
  s.incremental.max_iterations = c.max_iterations;
  if (!c.rules.empty()) s.rules = opt::ExpertRules::load(c.rules);
  return s;
}

SeedResult select_seed_set(std::span<const net::Sample> pool, std::span<const float> embeddings, std::size_t dim,
                           const Stage2Settings& settings) {
  if (dim == 0 || embeddings.size() != pool.size() * dim) {
    throw Error("seed selection: " + std::to_string(embeddings.size()) + " embedding values for " +
                std::to_string(pool.size()) + " pool samples of dimension " + std::to_string(dim));
  }
  opt::VerifyFn verify;
  if (settings.rules) {
    verify = [&](std::size_t i) -> std::optional<std::string> {
      const auto f = opt::check_rules(pool[i], *settings.rules);
      if (f.empty()) return std::nullopt;
      return opt::join_failures(f);
    };
  }
  opt::SeedOptions options;
  options.kmeans.seed = settings.incremental.seed;
  const opt::SeedSelection sel =
      opt::select_seeds(embeddings, dim, settings.seed_clusters, settings.seeds_per_cluster, verify, options);
  SeedResult out;
  out.seeds = sel.indices;
  for (const auto& r : sel.replacements) {
    out.replacements.push_back(sample_name(pool[r.original]) + " -> " + sample_name(pool[r.replacement]) + ": " +
                               r.reason);
  }
  out.backend = sel.backend == opt::Backend::Gpu ? "gpu" : "cpu";
  return out;
}

model::FilterModelOptions filter_options(const ModelSettings& models) {
  model::FilterModelOptions fo;
  fo.config = models.config;
  fo.fit = model::with_epochs(models.fit, models.filter_epochs);
  fo.min_steps = models.filter_min_steps;
  fo.fit.patience = std::max(1, std::min(models.fit.patience, models.filter_epochs));
  if (models.filter_lr_schedule) fo.fit.lr_schedule = *models.filter_lr_schedule;
  return fo;
}

IncrementalOutcome run_incremental_stage(std::span<const net::Sample> pool, std::span<const net::Sample> val,
                                         std::span<const net::Sample> test, std::span<const std::size_t> seeds,
                                         std::span<const float> embeddings, std::size_t dim,
                                         const Stage2Settings& settings, const ModelSettings& models,
                                         const std::function<void(const opt::IterationLog&)>& on_iteration,
                                         PoolService* service) {
  if (dim == 0 || embeddings.size() != pool.size() * dim) {
    throw Error("incremental optimization: embeddings do not match the pool");
  }
  model::RouteNetFilter filter(pool, val, test, filter_options(models));
  std::optional<SharedFilter> shared;
  if (service) shared.emplace(filter, *service);
  opt::FilterModel& fm = shared ? static_cast<opt::FilterModel&>(*shared) : filter;

  std::vector<std::string> failures;  // rule failures seen by verify, by id
  const opt::KnnIndex index(embeddings, dim);
  opt::IncrementalCallbacks cb;
  if (settings.rules) {
    cb.verify = [&](std::size_t i) -> std::optional<std::string> {
      const auto f = opt::check_rules(pool[i], *settings.rules);
      if (f.empty()) return std::nullopt;
      const std::string why = opt::join_failures(f);
      failures.push_back(sample_name(pool[i]) + ": rules: " + why);
      return why;
    };
  }
  cb.nearest_neighbour = [&](std::size_t id,
                             const std::unordered_set<std::size_t>& exclude) -> std::optional<std::size_t> {
    const std::span<const float> q = embeddings.subspan(id * dim, dim);
    std::size_t k = std::min<std::size_t>(pool.size(), 16);
    while (true) {
      const opt::KnnResult r = index.search(q, k);
      for (std::int64_t j : r.ids) {
        if (j < 0) continue;
        const auto u = static_cast<std::size_t>(j);
        if (u != id && !exclude.contains(u)) return u;
      }
      if (k == pool.size()) return std::nullopt;
      k = std::min(pool.size(), k * 4);
    }
  };

  std::vector<std::size_t> rest;
  const std::unordered_set<std::size_t> seed_set(seeds.begin(), seeds.end());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (!seed_set.contains(i)) rest.push_back(i);
  }
  IncrementalOutcome out;
  out.result = opt::run_incremental(seeds, rest, fm, cb, settings.incremental, on_iteration);
  // Everything dropped for good: rule failures (with the reason) and influence drops.
  for (const auto& f : failures) out.dropped.push_back(f);
  for (std::size_t id : out.result.rejected) {
    bool rule = false;
    const std::string name = sample_name(pool[id]) + ":";
    for (const auto& f : failures) rule = rule || f.rfind(name, 0) == 0;
    if (!rule) out.dropped.push_back(sample_name(pool[id]) + ": influence above thr_iter");
  }
  return out;
}

std::string iteration_line(const opt::IterationLog& r, std::size_t n_max, double elapsed_s, std::string_view val_label,
                           std::string_view test_label) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "incremental iter %zu: |D_tra| %zu/%zu (+%zu easy, +%zu hard; %zu rule failures, %zu replaced, %zu "
                "dropped by influence) ",
                r.iteration, r.train_size, n_max, r.added_easy, r.added_hard, r.failed_rules, r.replaced,
                r.dropped_by_influence);
  std::string s = buf;
  std::snprintf(buf, sizeof buf, " delay MAPE %.2f%%", r.validation_mape * 100);
  (s += val_label) += buf;
  if (r.test_mape) {
    std::snprintf(buf, sizeof buf, " %.2f%%", *r.test_mape * 100);
    ((s += ", ") += test_label) += buf;
  }
  std::snprintf(buf, sizeof buf, "; pool left %zu; %.0f s", r.pool_left, elapsed_s);
  return s + buf;
}

std::string subset_label(std::string_view name, std::size_t subset, std::size_t full) {
  std::string s(name);
  if (subset < full) s += " (the " + std::to_string(subset) + " smallest of " + std::to_string(full) + ")";
  return s;
}

// ---- baselines --------------------------------------------------------------------------------

std::vector<std::size_t> random_selection(std::size_t n, std::size_t k, std::uint64_t seed) {
  if (k > n) throw Error("random selection: " + std::to_string(k) + " of " + std::to_string(n) + " samples");
  std::vector<std::size_t> ids(n);
  std::iota(ids.begin(), ids.end(), std::size_t{0});
  gen::Rng rng(seed, 0x72616e64);  // "rand"
  for (std::size_t i = 0; i < k; ++i) {  // partial Fisher-Yates
    const std::size_t j = i + static_cast<std::size_t>(rng.below(n - i));
    std::swap(ids[i], ids[j]);
  }
  ids.resize(k);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::size_t> oracle_selection(std::span<const double> losses, std::size_t k) {
  if (k > losses.size()) {
    throw Error("oracle selection: " + std::to_string(k) + " of " + std::to_string(losses.size()) + " samples");
  }
  std::vector<std::size_t> ids(losses.size());
  std::iota(ids.begin(), ids.end(), std::size_t{0});
  std::stable_sort(ids.begin(), ids.end(), [&](std::size_t a, std::size_t b) { return losses[a] > losses[b]; });
  ids.resize(k);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---- stage files --------------------------------------------------------------------------------

void StateFile::add(const std::string& key, const std::string& value) {
  std::string v = value;
  std::replace(v.begin(), v.end(), '\t', ' ');
  std::replace(v.begin(), v.end(), '\n', ' ');
  lines_.emplace_back(key, v);
}

void StateFile::add_ids(const std::string& key, std::span<const std::size_t> ids) {
  std::string v;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) v += ' ';
    v += std::to_string(ids[i]);
  }
  add(key, v);
}

void StateFile::add_double(const std::string& key, double v) { add(key, num(v)); }

void StateFile::write(const fs::path& file) const {
  std::string text;
  for (const auto& [k, v] : lines_) text += k + "\t" + v + "\n";
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  io::write_file_atomic(file, text);
}

StateFile StateFile::read(const fs::path& file) {
  StateFile s;
  s.file_ = file.string();
  const std::string text = io::read_file(file);
  std::size_t line_no = 0;
  for (const auto& line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      throw Error(file.string() + ":" + std::to_string(line_no) + ": expected '<key><TAB><value>'");
    }
    s.lines_.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return s;
}

bool StateFile::has(const std::string& key) const {
  return std::any_of(lines_.begin(), lines_.end(), [&](const auto& kv) { return kv.first == key; });
}

const std::string& StateFile::get(const std::string& key) const {
  for (const auto& [k, v] : lines_) {
    if (k == key) return v;
  }
  throw Error(file_ + ": missing key '" + key + "'");
}

std::vector<std::string> StateFile::all(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : lines_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

std::vector<std::size_t> StateFile::ids(const std::string& key) const {
  std::vector<std::size_t> out;
  for (const auto& t : split(get(key), ' ')) {
    if (t.empty()) continue;
    const double v = parse_double(t, file_ + ": key '" + key + "'");
    if (v < 0 || v != std::floor(v)) throw Error(file_ + ": key '" + key + "': expected ids, got '" + t + "'");
    out.push_back(static_cast<std::size_t>(v));
  }
  return out;
}

double StateFile::number(const std::string& key) const { return parse_double(get(key), file_ + ": key '" + key + "'"); }

std::string size_row_line(const model::SizeRow& r) {
  return std::to_string(r.nodes) + " " + std::to_string(r.samples) + " " + std::to_string(r.paths) + " " +
         std::to_string(r.delay_paths) + " " + std::to_string(r.jitter_paths) + " " + std::to_string(r.loss_paths) + " " +
         num(r.delay_mape) + " " +
         num(r.jitter_mape) + " " + num(r.loss_mae);
}

model::SizeRow parse_size_row(const std::string& line) {
  const auto t = split(line, ' ');
  if (t.size() != 9) throw Error("size row: expected 9 fields, got '" + line + "'");
  model::SizeRow r;
  r.nodes = static_cast<int>(parse_double(t[0], "size row nodes"));
  r.samples = static_cast<std::int64_t>(parse_double(t[1], "size row samples"));
  r.paths = static_cast<std::int64_t>(parse_double(t[2], "size row paths"));
  r.delay_paths = static_cast<std::int64_t>(parse_double(t[3], "size row delay_paths"));
  r.jitter_paths = static_cast<std::int64_t>(parse_double(t[4], "size row jitter_paths"));
  r.loss_paths = static_cast<std::int64_t>(parse_double(t[5], "size row loss_paths"));
  r.delay_mape = parse_double(t[6], "size row delay_mape");
  r.jitter_mape = parse_double(t[7], "size row jitter_mape");
  r.loss_mae = parse_double(t[8], "size row loss_mae");
  return r;
}

std::string iteration_row_line(const opt::IterationLog& r) {
  return std::to_string(r.iteration) + " " + std::to_string(r.train_size) + " " + std::to_string(r.added_easy) + " " +
         std::to_string(r.added_hard) + " " + std::to_string(r.failed_rules) + " " + std::to_string(r.replaced) + " " +
         std::to_string(r.dropped_by_influence) + " " + num(r.validation_mape) + " " +
         (r.test_mape ? num(*r.test_mape) : std::string("nan")) + " " + std::to_string(r.pool_left);
}

opt::IterationLog parse_iteration_row(const std::string& line) {
  const auto t = split(line, ' ');
  if (t.size() != 10) throw Error("iteration row: expected 10 fields, got '" + line + "'");
  const auto z = [&](std::size_t i) { return static_cast<std::size_t>(parse_double(t[i], "iteration row")); };
  opt::IterationLog r;
  r.iteration = z(0);
  r.train_size = z(1);
  r.added_easy = z(2);
  r.added_hard = z(3);
  r.failed_rules = z(4);
  r.replaced = z(5);
  r.dropped_by_influence = z(6);
  r.validation_mape = parse_double(t[7], "iteration row");
  if (t[8] != "nan") r.test_mape = parse_double(t[8], "iteration row");
  r.pool_left = z(9);
  return r;
}

std::string iterations_csv(std::span<const opt::IterationLog> rows) {
  std::string s =
      "iteration,train_size,added_easy,added_hard,failed_rules,replaced,dropped_by_influence,val_mape_pct,"
      "test_mape_pct,pool_left\n";
  char buf[64];
  for (const auto& r : rows) {
    s += std::to_string(r.iteration) + "," + std::to_string(r.train_size) + "," + std::to_string(r.added_easy) + "," +
         std::to_string(r.added_hard) + "," + std::to_string(r.failed_rules) + "," + std::to_string(r.replaced) + "," +
         std::to_string(r.dropped_by_influence) + ",";
    std::snprintf(buf, sizeof buf, "%.4f", r.validation_mape * 100);
    s += buf;
    s += ",";
    if (r.test_mape) {
      std::snprintf(buf, sizeof buf, "%.4f", *r.test_mape * 100);
      s += buf;
    }
    s += "," + std::to_string(r.pool_left) + "\n";
  }
  return s;
}

void write_embeddings(const fs::path& file, std::span<const float> values, std::size_t dim) {
  if (dim == 0 || values.size() % dim != 0) throw Error("write_embeddings: size not a multiple of the dimension");
  std::string text = std::to_string(values.size() / dim) + " " + std::to_string(dim) + "\n";
  char buf[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(values[i]));
    text += buf;
    text += (i + 1) % dim == 0 ? "\n" : " ";
  }
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  io::write_file_atomic(file, text);
}

std::vector<float> read_embeddings(const fs::path& file, std::size_t& dim) {
  std::istringstream in(io::read_file(file));
  std::size_t n = 0;
  if (!(in >> n >> dim) || dim == 0) throw Error(file.string() + ": expected '<n> <dim>' on the first line");
  std::vector<float> out(n * dim);
  for (std::size_t i = 0; i < out.size(); ++i) {
    double v = 0;
    if (!(in >> v)) throw Error(file.string() + ": expected " + std::to_string(n * dim) + " values, got " + std::to_string(i));
    out[i] = static_cast<float>(v);
  }
  return out;
}

}  // namespace autoopt::pipeline
