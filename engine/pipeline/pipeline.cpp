#include "pipeline/pipeline.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>
#include <thread>

#include "gen/config.hpp"
#include "gen/generator.hpp"
#include "gen/indicators.hpp"
#include "io/archive.hpp"
#include "model/filter_model.hpp"
#include "net/error.hpp"
#include "pipeline/pool_service.hpp"
#include "pipeline/stage2.hpp"
#include "run/generate_job.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string num(double v) { return fmt("%.17g", v); }

// ---- stages.json --------------------------------------------------------------------------------

struct StageRecord {
  std::string name;
  double seconds = 0.0;
  std::string finished_at;
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_stages(const fs::path& file, const std::vector<StageRecord>& records) {
  std::string s = "{\n  \"stages\": [";
  for (std::size_t i = 0; i < records.size(); ++i) {
    s += std::string(i ? "," : "") + "\n    {\"stage\": \"" + records[i].name + "\", \"seconds\": " +
         fmt("%.3f", records[i].seconds) + ", \"finished_at\": \"" + records[i].finished_at + "\"}";
  }
  s += "\n  ]\n}\n";
  io::write_file_atomic(file, s);
}

std::vector<StageRecord> read_stages(const fs::path& file) {
  std::vector<StageRecord> out;
  if (std::error_code ec; !fs::exists(file, ec)) return out;
  std::istringstream in(io::read_file(file));
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto k = line.find("\"stage\": \"");
    if (k == std::string::npos) continue;
    const auto e = line.find('"', k + 10);
    const auto s = line.find("\"seconds\": ");
    const auto f = line.find("\"finished_at\": \"");
    if (e == std::string::npos || s == std::string::npos) {
      throw Error(file.string() + ":" + std::to_string(line_no) + ": expected {\"stage\": ..., \"seconds\": ...}");
    }
    StageRecord r;
    r.name = line.substr(k + 10, e - k - 10);
    r.seconds = std::strtod(line.c_str() + s + 11, nullptr);
    if (f != std::string::npos) r.finished_at = line.substr(f + 16, line.find('"', f + 16) - f - 16);
    out.push_back(r);
  }
  return out;
}

// ---- run folder identity ---------------------------------------------------------------------------

void prepare_run_folder(const fs::path& run, const RunConfig& cfg, bool force) {
  const fs::path id_file = run / "run-config.txt";
  const std::string fp = cfg.fingerprint();
  std::error_code ec;
  if (fs::exists(run, ec) && !fs::is_empty(run, ec)) {
    if (!fs::exists(id_file, ec)) {
      // A folder holding only pool/ is a run whose Stage 1 was made beforehand (e.g. by the Slurm
      // generation array, slurm/generate-array.sbatch): the pool stage resumes it, and the generate
      // job itself refuses a pool made with another seed, generator or simulator configuration.
      bool only_pool = true;
      for (const auto& entry : fs::directory_iterator(run)) only_pool = only_pool && entry.path().filename() == "pool";
      if (!only_pool) {
        throw Error("run folder " + run.string() +
                    " exists and is not an autoopt run folder (no run-config.txt); refusing to use it");
      }
    }
    const std::string old = fs::exists(id_file, ec) ? io::read_file(id_file) : fp;
    if (old != fp) {
      if (!force) {
        // Name the keys that changed.
        std::string diff;
        std::istringstream a(old), b(fp);
        std::vector<std::string> la, lb;
        for (std::string l; std::getline(a, l);) la.push_back(l);
        for (std::string l; std::getline(b, l);) lb.push_back(l);
        for (const auto& l : lb) {
          if (std::find(la.begin(), la.end(), l) != la.end()) continue;
          const std::string key = l.substr(0, l.find('='));
          std::string was = "(absent)";
          for (const auto& o : la) {
            if (o.rfind(key + "=", 0) == 0) was = o.substr(key.size() + 1);
          }
          diff += "\n  " + key + ": was " + was + ", now " + l.substr(key.size() + 1);
        }
        throw Error("run folder " + run.string() +
                    " was made with another configuration; rerun with --force to discard it, or choose another "
                    "--out. Changed:" + (diff.empty() ? std::string("\n  (format)") : diff));
      }
      for (const auto& entry : fs::directory_iterator(run)) fs::remove_all(entry.path());
    }
  }
  fs::create_directories(run);
  if (!fs::exists(id_file, ec)) io::write_file_atomic(id_file, fp);
}

// ---- MPI ----------------------------------------------------------------------------------------

void wait_sleeping(MPI_Request& req) {
  int done = 0;
  while (true) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- generation --------------------------------------------------------------------------------

struct GenSpec {
  gen::GeneratorConfig cfg;
  std::string fingerprint;
};

GenSpec generator_spec(const fs::path& file, const std::string& overrides) {
  GenSpec g;
  g.fingerprint = "autoopt generator\n";
  if (!file.empty()) {
    g.cfg = gen::load_generator_config(file);
    const gen::ConfigFile parsed = gen::ConfigFile::load(file);
    std::vector<std::string> pairs;
    for (const auto& e : parsed.entries()) pairs.push_back(e.key + "=" + e.value);
    std::sort(pairs.begin(), pairs.end());
    for (const auto& p : pairs) g.fingerprint += p + "\n";
  } else {
    g.fingerprint += "built-in defaults\n";
  }
  g.fingerprint += overrides;
  return g;
}

run::GenerateReport generate(const fs::path& out, std::size_t n, std::uint64_t seed, double sim_time, GenSpec spec,
                             const std::string& name, const RunConfig& cfg, const RunOptions& opt) {
  run::GenerateOptions o;
  o.n = n;
  o.out = out;
  o.seed = seed;
  o.sim.sim_time_s = sim_time;
  o.threads = cfg.threads;
  o.progress = opt.progress;
  o.generator_fingerprint = spec.fingerprint;
  o.dataset_name = name;
  o.export_gnnet = false;
  o.make_sample = [c = spec.cfg](std::uint64_t s, const std::string& id) { return gen::generate_sample(c, s, id); };
  return run::generate_job(o, opt.dist);
}

}  // namespace

std::string on_rank0(const io::Distribution& d, const std::function<std::string()>& fn) {
  if (d.comm == MPI_COMM_NULL || d.size <= 1) return fn();
  std::string result;
  long long header[2] = {0, 0};
  if (d.rank == 0) {
    try {
      result = fn();
    } catch (const std::exception& e) {
      result = e.what();
      header[0] = 1;
    }
    header[1] = static_cast<long long>(result.size());
  }
  MPI_Request req;
  MPI_Ibcast(header, 2, MPI_LONG_LONG, 0, d.comm, &req);
  wait_sleeping(req);
  result.resize(static_cast<std::size_t>(header[1]));
  if (header[1] > 0) {
    MPI_Ibcast(result.data(), static_cast<int>(header[1]), MPI_CHAR, 0, d.comm, &req);
    wait_sleeping(req);
  }
  if (header[0] != 0) throw Error(d.rank == 0 ? result : "rank 0 failed: " + result);
  return result;
}

std::vector<std::string> stage_names(const RunConfig& cfg) {
  std::vector<std::string> s = {"pool", "eval-set", "extractor", "seeds", "incremental", "final"};
  for (const auto& b : cfg.baselines) s.push_back("baseline-" + b);
  s.push_back("evaluate-autoopt");
  for (const auto& b : cfg.baselines) s.push_back("evaluate-" + b);
  s.push_back("report");
  return s;
}

RunResult run_pipeline(const RunConfig& cfg, const RunOptions& opt) {
  const io::Distribution& d = opt.dist;
  const bool root = d.rank == 0;
  const fs::path run = opt.run_dir;
  if (run.empty()) throw Error("autoopt run: no run folder given");
  const auto log = [&](const std::string& s) {
    if (!root) return;
    if (opt.log) {
      opt.log(s);
    } else {
      std::printf("%s\n", s.c_str());
      std::fflush(stdout);
    }
  };
  const int threads = cfg.threads > 0 ? cfg.threads
                                      : std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
                                                        std::max(1, d.size));
  torch::set_num_threads(threads);
  const ModelSettings models = model_settings(cfg);
  const Stage2Settings s2 = stage2_settings(cfg);

  // Identity check and the stages finished before, decided on rank 0.
  const std::string done_text = on_rank0(d, [&] {
    prepare_run_folder(run, cfg, opt.force);
    std::string t;
    for (const auto& r : read_stages(run / "stages.json")) t += r.name + "\t" + num(r.seconds) + "\t" + r.finished_at + "\n";
    return t;
  });
  std::vector<StageRecord> records;
  {
    std::istringstream in(done_text);
    for (std::string line; std::getline(in, line);) {
      const auto t1 = line.find('\t'), t2 = line.rfind('\t');
      records.push_back({line.substr(0, t1), std::strtod(line.c_str() + t1 + 1, nullptr), line.substr(t2 + 1)});
    }
  }

  RunResult result;
  result.report_dir = run / "report";
  const auto find_record = [&](const std::string& name) -> const StageRecord* {
    for (const auto& r : records) {
      if (r.name == name) return &r;
    }
    return nullptr;
  };
  // collective: fn runs on every rank (generation); else on rank 0 only.
  const auto run_stage = [&](const std::string& name, bool collective, const std::function<void()>& fn) {
    if (const StageRecord* r = find_record(name)) {
      result.stages.push_back({name, r->seconds, true});
      log("stage " + name + ": finished before (" + fmt("%.1f", r->seconds) + " s), skipped");
      return;
    }
    log("stage " + name + ": running");
    const auto t0 = Clock::now();
    const auto finish = [&] {
      const double sec = seconds_since(t0);
      records.push_back({name, sec, utc_now()});
      write_stages(run / "stages.json", records);
      return num(sec);
    };
    std::string sec;
    if (collective) {
      fn();
      sec = on_rank0(d, finish);
    } else {
      sec = on_rank0(d, [&] {
        fn();
        return finish();
      });
    }
    if (!root) records.push_back({name, std::strtod(sec.c_str(), nullptr), ""});
    result.stages.push_back({name, std::strtod(sec.c_str(), nullptr), false});
    log("stage " + name + ": done in " + fmt("%.1f", std::strtod(sec.c_str(), nullptr)) + " s");
  };

  // The data, loaded when first needed (on rank 0; on every rank for the incremental stage).
  std::optional<std::vector<net::Sample>> pool_cache, dval_cache, test_cache, val_sub_cache, test_sub_cache;
  const auto pool = [&]() -> const std::vector<net::Sample>& {
    if (!pool_cache) pool_cache = load_generated(run / "pool");
    return *pool_cache;
  };
  const auto dval = [&]() -> const std::vector<net::Sample>& {
    if (!dval_cache) dval_cache = cfg.val.empty() ? load_generated(run / "eval") : load_dataset(cfg.val, "--val", opt.progress);
    return *dval_cache;
  };
  const auto test = [&]() -> const std::vector<net::Sample>& {
    if (!test_cache) test_cache = cfg.test.empty() ? std::vector<net::Sample>{} : load_dataset(cfg.test, "--test", opt.progress);
    return *test_cache;
  };
  const auto val_sub = [&]() -> const std::vector<net::Sample>& {
    if (!val_sub_cache) val_sub_cache = smallest_subset(dval(), cfg.val_subset);
    return *val_sub_cache;
  };
  const auto test_sub = [&]() -> const std::vector<net::Sample>& {
    if (!test_sub_cache) test_sub_cache = smallest_subset(test(), cfg.val_subset);
    return *test_sub_cache;
  };
  const auto eval_set = [&]() -> const std::vector<net::Sample>& { return cfg.test.empty() ? dval() : test(); };
  const fs::path st2 = run / "stage2";
  const auto embeddings = [&](std::size_t& dim) { return read_embeddings(st2 / "embeddings.txt", dim); };

  // Stage 1: the pool.
  run_stage("pool", true, [&] {
    const GenSpec g = [&] {
      GenSpec s = generator_spec(cfg.generator_config, "max_nodes=" + std::to_string(cfg.max_nodes) + "\n");
      s.cfg.max_nodes = cfg.max_nodes;
      return s;
    }();
    const auto r = generate(run / "pool", cfg.pool_size, cfg.seed, cfg.sim_time, g, "pool", cfg, opt);
    log("pool: " + std::to_string(r.ok) + " ok, " + std::to_string(r.failed) + " failed of " + std::to_string(r.n));
  });

  // The evaluation set: self-made larger networks, or the given dataset.
  run_stage("eval-set", cfg.val.empty(), [&] {
    if (!cfg.val.empty()) {
      (void)io::detect_dataset(cfg.val);
      if (!cfg.test.empty()) (void)io::detect_dataset(cfg.test);
      return;
    }
    GenSpec g = generator_spec(cfg.generator_config, "eval nodes " + std::to_string(cfg.eval_min_nodes) + ".." +
                                                         std::to_string(cfg.eval_max_nodes) + "\n");
    g.cfg.max_nodes = cfg.eval_max_nodes;
    g.cfg.min_nodes_fraction = (cfg.eval_min_nodes - 0.5) / cfg.eval_max_nodes;
    const auto r = generate(run / "eval", cfg.eval_count, cfg.seed ^ 0x6576616cULL, cfg.eval_sim_time, g, "eval", cfg, opt);
    if (r.ok == 0) throw Error("evaluation set: no candidate simulated ok (" + std::to_string(r.failed) + " failed)");
    log("evaluation set: " + std::to_string(r.ok) + " networks of " + std::to_string(cfg.eval_min_nodes) + "-" +
        std::to_string(cfg.eval_max_nodes) + " nodes");
  });

  // Stage 2a: the feature extractor, trained on the whole pool; embeddings; per-sample losses (oracle).
  run_stage("extractor", false, [&] {
    const auto& P = pool();
    if (P.size() < cfg.n_max) {
      throw Error("pool: only " + std::to_string(P.size()) + " candidates simulated ok, fewer than n_max = " +
                  std::to_string(cfg.n_max));
    }
    log("extractor: training on " + std::to_string(P.size()) + " pool samples, early stopping on " +
        std::to_string(val_sub().size()) + " validation samples");
    TrainedModel m = train_model(P, val_sub(), models, models.extractor_epochs);
    m.trainer.save(st2 / "extractor");
    const std::vector<float> emb = model::embed_pool(m.trainer, P);
    write_embeddings(st2 / "embeddings.txt", emb, emb.size() / P.size());
    const std::vector<double> losses = m.trainer.per_sample_loss(P);
    StateFile f;
    f.add("pool_size", std::to_string(P.size()));
    f.add_double("seconds", m.seconds);
    f.add("best_epoch", std::to_string(m.fit.best_epoch));
    f.add_double("best_val_delay_mape", m.fit.best_val_delay_mape);
    std::string l;
    for (double v : losses) l += (l.empty() ? "" : " ") + num(v);
    f.add("losses", l);
    f.write(st2 / "extractor.txt");
    log("extractor: best epoch " + std::to_string(m.fit.best_epoch) + ", validation delay MAPE " +
        fmt("%.2f", m.fit.best_val_delay_mape * 100) + "%");
  });

  // Stage 2b: seeds (Algorithm 1).
  run_stage("seeds", false, [&] {
    std::size_t dim = 0;
    const std::vector<float> emb = embeddings(dim);
    const SeedResult s = select_seed_set(pool(), emb, dim, s2);
    StateFile f;
    f.add_ids("seeds", s.seeds);
    f.add("backend", s.backend);
    for (const auto& r : s.replacements) f.add("replacement", r);
    f.write(st2 / "seeds.txt");
    log("seeds: " + std::to_string(s.seeds.size()) + " (" + std::to_string(s.replacements.size()) +
        " replaced by the expert rules; k-means on " + s.backend + ")");
  });

  // Stage 2c: incremental optimization (Algorithm 2), Table II.
  // Collective: every rank loads the pool and the validation subset and serves rank 0's scoring
  // requests (per-sample losses, exact influence retrainings; pipeline/pool_service.hpp).
  run_stage("incremental", true, [&] {
   (void)run_with_pool_service(d, pool(), val_sub(), filter_options(models), [&](PoolService& service) {
    std::size_t dim = 0;
    const std::vector<float> emb = embeddings(dim);
    const std::vector<std::size_t> seeds = StateFile::read(st2 / "seeds.txt").ids("seeds");
    const std::string val_label = subset_label("val", val_sub().size(), dval().size());
    const std::string test_label = subset_label("test", test_sub().size(), test().size());
    std::vector<opt::IterationLog> rows;
    const auto t0 = Clock::now();
    const IncrementalOutcome out = run_incremental_stage(
        pool(), val_sub(), test_sub(), seeds, emb, dim, s2, models,
        [&](const opt::IterationLog& row) {
          rows.push_back(row);
          log(iteration_line(row, cfg.n_max, seconds_since(t0), val_label, test_label));
          io::write_file_atomic(st2 / "table2.csv", iterations_csv(rows));
        },
        &service);
    StateFile f;
    f.add_ids("selected", out.result.selected);
    f.add_ids("rejected", out.result.rejected);
    f.add("stop_reason", out.result.stop_reason);
    for (const auto& r : out.result.log) f.add("row", iteration_row_line(r));
    for (const auto& r : out.dropped) f.add("dropped", r);
    if (out.result.agreement) {
      f.add("agreement", std::to_string(out.result.agreement->compared) + " " +
                             std::to_string(out.result.agreement->agreed) + " " +
                             num(out.result.agreement->max_abs_difference));
    }
    f.write(st2 / "selection.txt");
    io::write_file_atomic(st2 / "table2.csv", iterations_csv(out.result.log));
    log("incremental: " + std::to_string(out.result.selected.size()) + " selected (" + out.result.stop_reason + ")");
    return std::string();
   });
  });

  // The final model of a method: same settings for every method.
  const auto train_method = [&](const std::string& name, const std::string& description,
                                std::span<const net::Sample> train, std::span<const std::size_t> ids) {
    log(name + ": training the final model on " + std::to_string(train.size()) + " samples");
    TrainedModel m = train_model(train, val_sub(), models, models.fit.epochs);
    const fs::path dir = run / "models" / name;
    m.trainer.save(dir / "model");
    StateFile f;
    f.add("name", name);
    f.add("description", description);
    f.add("train_samples", std::to_string(train.size()));
    f.add_double("train_seconds", m.seconds);
    f.add("best_epoch", std::to_string(m.fit.best_epoch));
    f.add_double("best_val_delay_mape", m.fit.best_val_delay_mape);
    f.add_ids("ids", ids);
    f.write(dir / "method.txt");
  };

  run_stage("final", false, [&] {
    const std::vector<std::size_t> sel = StateFile::read(st2 / "selection.txt").ids("selected");
    train_method("autoopt",
                 "AutoOPT: " + std::to_string(cfg.seed_clusters * cfg.seeds_per_cluster) +
                     " seeds (Algorithm 1) grown by incremental optimization (Algorithm 2) to " +
                     std::to_string(sel.size()) + " of a pool of " + std::to_string(pool().size()),
                 pick(pool(), sel), sel);
  });

  for (const auto& b : cfg.baselines) {
    if (b == "random") {
      run_stage("baseline-random", false, [&] {
        const auto ids = random_selection(pool().size(), cfg.n_max, cfg.seed);
        train_method("random",
                     std::to_string(cfg.n_max) + " drawn uniformly at random (seed " + std::to_string(cfg.seed) +
                         ") from the same pool of " + std::to_string(pool().size()),
                     pick(pool(), ids), ids);
      });
    } else if (b == "oracle") {
      run_stage("baseline-oracle", false, [&] {
        const StateFile ex = StateFile::read(st2 / "extractor.txt");
        std::vector<double> losses;
        std::istringstream in(ex.get("losses"));
        for (double v; in >> v;) losses.push_back(v);
        if (losses.size() != pool().size()) throw Error((st2 / "extractor.txt").string() + ": loss count does not match the pool");
        const auto ids = oracle_selection(losses, cfg.n_max);
        train_method("oracle",
                     "oracle-based sampling: the " + std::to_string(cfg.n_max) +
                         " pool samples with the highest loss under a model trained on the whole pool (the feature "
                         "extractor)",
                     pick(pool(), ids), ids);
      });
    } else if (b == "quickstart") {
      run_stage("baseline-quickstart", true, [&] {
        GenSpec g = generator_spec(cfg.quickstart_config, "max_nodes=" + std::to_string(cfg.max_nodes) + "\n");
        g.cfg.max_nodes = cfg.max_nodes;
        const auto r = generate(run / "baselines" / "quickstart-pool", cfg.n_max, cfg.seed ^ 0x71756963ULL, cfg.sim_time,
                                g, "quickstart", cfg, opt);
        on_rank0(d, [&] {
          const std::vector<net::Sample> q = load_generated(run / "baselines" / "quickstart-pool");
          if (q.empty()) throw Error("quickstart baseline: no candidate simulated ok (" + std::to_string(r.failed) + " failed)");
          std::vector<std::size_t> ids(q.size());
          for (std::size_t i = 0; i < q.size(); ++i) ids[i] = i;
          train_method("quickstart",
                       std::to_string(q.size()) + " samples of the GNNet 2022 quickstart recipe (" +
                           cfg.quickstart_config.filename().string() +
                           ": random-degree topology, shortest paths, uniform traffic, FIFO), simulated the same way",
                       q, ids);
          return std::string();
        });
      });
    }
  }

  std::vector<std::string> methods = {"autoopt"};
  methods.insert(methods.end(), cfg.baselines.begin(), cfg.baselines.end());
  for (const auto& m : methods) {
    run_stage("evaluate-" + m, false, [&] {
      model::Trainer t = model::Trainer::load(run / "models" / m / "model");
      t.set_device(models.fit.device);
      const model::EvaluationTable table = evaluate_model(t, eval_set(), "evaluate " + m, opt.progress);
      StateFile f;
      for (const auto& r : table.rows()) f.add("row", size_row_line(r));
      f.write(run / "evaluation" / (m + ".txt"));
      io::write_file_atomic(run / "evaluation" / (m + ".csv"), table.to_csv());
      io::write_file_atomic(run / "evaluation" / (m + ".svg"), table.to_svg());
      const auto rows = table.rows();
      log("evaluate " + m + ": delay MAPE " + fmt("%.2f", rows.back().delay_mape * 100) + "%, jitter MAPE " +
          fmt("%.2f", rows.back().jitter_mape * 100) + "% over " + std::to_string(rows.back().samples) + " samples");
    });
  }

  // What the report is made of, from the stage files.
  const auto build_input = [&](bool indicators) {
    RunReportInput in;
    in.title = "autoopt run" + (cfg.name.empty() ? std::string() : " (" + cfg.name + ")");
    in.preset = cfg.name;
    in.command_line = opt.command_line;
    if (!cfg.test.empty()) {
      in.evaluation_set = "test set " + cfg.test.string();
    } else if (!cfg.val.empty()) {
      in.evaluation_set = "validation set " + cfg.val.string();
    } else {
      in.evaluation_set = "self-made: " + std::to_string(cfg.eval_count) + " networks of " +
                          std::to_string(cfg.eval_min_nodes) + "-" + std::to_string(cfg.eval_max_nodes) +
                          " nodes simulated by us (" + (run / "eval").string() + ")";
    }
    in.stages = result.stages;
    for (const auto& m : methods) {
      const StateFile mf = StateFile::read(run / "models" / m / "method.txt");
      MethodResult r;
      r.name = m;
      r.description = mf.get("description");
      r.train_samples = static_cast<std::size_t>(mf.number("train_samples"));
      r.train_seconds = mf.number("train_seconds");
      for (const auto& line : StateFile::read(run / "evaluation" / (m + ".txt")).all("row")) {
        r.table.push_back(parse_size_row(line));
      }
      in.methods.push_back(std::move(r));
    }
    const StateFile sel = StateFile::read(st2 / "selection.txt");
    for (const auto& line : sel.all("row")) in.iterations.push_back(parse_iteration_row(line));
    if (cfg.val_subset > 0) {
      in.iteration_sets = "The filter model's MAPE per iteration is measured on the " + std::to_string(cfg.val_subset) +
                          " smallest samples (at most) of the validation and test sets; Table I is on all of them.";
    }
    if (sel.has("agreement")) {
      std::istringstream a(sel.get("agreement"));
      opt::InfluenceAgreement ag;
      a >> ag.compared >> ag.agreed >> ag.max_abs_difference;
      in.influence_agreement = ag;
    }
    in.ood_dropped = sel.all("dropped");
    const StateFile seeds = StateFile::read(st2 / "seeds.txt");
    in.seed_count = seeds.ids("seeds").size();
    in.seed_replacements = seeds.all("replacement");
    in.pool_size = static_cast<std::size_t>(StateFile::read(st2 / "extractor.txt").number("pool_size"));
    if (indicators) {
      in.candidates = gen::collect_indicators(pool());
      in.selected = gen::collect_indicators(pick(pool(), sel.ids("selected")));
      in.validation = gen::collect_indicators(dval());
    }
    return in;
  };

  run_stage("report", false, [&] {
    result.report = build_input(true);
    if (opt.write_report) (void)write_run_report(result.report_dir, result.report);
  });
  if (root) {
    RunReportInput full = build_input(false);  // with every stage's time, the report's own included
    full.candidates = std::move(result.report.candidates);
    full.selected = std::move(result.report.selected);
    full.validation = std::move(result.report.validation);
    result.report = std::move(full);
  }
  return result;
}

}  // namespace autoopt::pipeline
