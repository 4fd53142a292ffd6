#include "pipeline/optimize.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <thread>

#include "gen/indicators.hpp"
#include "io/archive.hpp"
#include "model/features.hpp"
#include "model/filter_model.hpp"
#include "net/error.hpp"
#include "opt/fraction_report.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/pool_service.hpp"
#include "pipeline/stage2.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string pct(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  return buf;
}

std::string fraction_text(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", f);
  return buf;
}

// Overall row of a table (the last one: EvaluationTable::rows() puts it there).
const model::SizeRow& overall(const std::vector<model::SizeRow>& rows) {
  if (rows.empty()) throw Error("autoopt optimize: an evaluation table without rows");
  return rows.back();
}

double jitter_or_nan(const model::SizeRow& r) {
  return r.jitter_paths > 0 ? r.jitter_mape : std::numeric_limits<double>::quiet_NaN();
}

// What a folder's results depend on besides the fractions: the settings and the data paths.
std::string identity(const OptimizeOptions& o) {
  std::error_code ec;
  const auto abs = [&](const fs::path& p) { return p.empty() ? std::string() : fs::weakly_canonical(p, ec).string(); };
  return o.settings.fingerprint() + "optimize_pool=" + abs(o.pool) + "\noptimize_val=" + abs(o.val) +
         "\noptimize_test=" + abs(o.test) + "\n";
}

std::vector<model::SizeRow> read_rows(const StateFile& s) {
  std::vector<model::SizeRow> rows;
  for (const auto& line : s.all("row")) rows.push_back(parse_size_row(line));
  return rows;
}

// Fit options that give a model on `subset` samples as many optimiser steps as fit.epochs epochs on
// `pool` samples (model::with_min_steps; patience and the MAPE phase scaled alike).
model::FitOptions step_matched(const model::FitOptions& fit, std::size_t pool, std::size_t subset) {
  if (subset == 0 || fit.batch_size < 1) throw Error("step_matched_epochs: subset and batch_size must be positive");
  const auto b = static_cast<std::size_t>(fit.batch_size);
  const std::size_t pool_steps = static_cast<std::size_t>(std::max(fit.epochs, 1)) * ((pool + b - 1) / b);
  return model::with_min_steps(fit, subset, pool_steps);
}

}  // namespace

int step_matched_epochs(int epochs, std::size_t pool, std::size_t subset, int batch_size) {
  model::FitOptions fit;
  fit.epochs = std::max(epochs, 1);
  fit.batch_size = batch_size;
  return step_matched(fit, pool, subset).epochs;
}

std::string fraction_folder(double fraction) {
  std::string s = "f";  // appended: "f" + std::string trips GCC 12's -Wrestrict false positive
  s += fraction_text(fraction);
  return s;
}

OptimizeResult optimize_dataset(const OptimizeOptions& o) {
  if (o.fractions.empty()) throw Error("autoopt optimize: --fraction: expected at least one fraction");
  for (std::size_t i = 0; i < o.fractions.size(); ++i) {
    const double f = o.fractions[i];
    if (!(f > 0.0 && f <= 1.0)) {
      throw Error("autoopt optimize: --fraction: expected numbers in (0, 1], got " + fraction_text(f));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (fraction_folder(o.fractions[j]) == fraction_folder(f)) {
        throw Error("autoopt optimize: --fraction: " + fraction_text(f) + " is given twice");
      }
    }
  }
  if (o.pool.empty()) throw Error("autoopt optimize: --pool is required");
  if (o.val.empty()) throw Error("autoopt optimize: --val is required");
  if (o.out.empty()) throw Error("autoopt optimize: --out is required");
  const io::Distribution& d = o.dist;
  const auto log = [&](const std::string& s) {
    if (d.rank != 0) return;
    if (o.log) {
      o.log(s);
    } else {
      std::printf("%s\n", s.c_str());
      std::fflush(stdout);
    }
  };
  RunConfig cfg = o.settings;
  const int threads = cfg.threads > 0 ? cfg.threads
                                      : std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
                                                        std::max(1, d.size));
  torch::set_num_threads(threads);

  // Every rank: the pool and the validation subset (the service scores and retrains on them).
  auto t0 = Clock::now();
  const bool progress = o.progress && d.rank == 0;
  const std::vector<net::Sample> pool = load_dataset(o.pool, "--pool", progress);
  const std::vector<net::Sample> val = load_dataset(o.val, "--val", progress);
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (!model::has_labels(pool[i])) {
      throw Error("autoopt optimize: --pool: " + o.pool.string() + ": sample " + std::to_string(i) + " (" +
                  pool[i].graph_name + ") has no labels (no results, no measured delay)");
    }
  }
  std::vector<std::size_t> n_max(o.fractions.size());
  for (std::size_t k = 0; k < o.fractions.size(); ++k) {
    n_max[k] = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::llround(o.fractions[k] * static_cast<double>(pool.size()))));
    if (cfg.seed_clusters * cfg.seeds_per_cluster > n_max[k]) {
      throw Error("autoopt optimize: --fraction " + fraction_text(o.fractions[k]) + " keeps " +
                  std::to_string(n_max[k]) + " of " + std::to_string(pool.size()) + " samples, fewer than the " +
                  std::to_string(cfg.seed_clusters * cfg.seeds_per_cluster) +
                  " seeds (seed_clusters x seeds_per_cluster); raise --fraction or lower the seeds");
    }
  }
  cfg.pool_size = pool.size();
  const std::vector<net::Sample> val_sub = smallest_subset(val, cfg.val_subset);
  const ModelSettings models = model_settings(cfg);
  const double load_seconds = seconds_since(t0);

  OptimizeResult result;
  result.pool_size = pool.size();
  (void)run_with_pool_service(d, pool, val_sub, filter_options(models), [&](PoolService& service) {
    const std::vector<net::Sample> test =
        o.test.empty() ? std::vector<net::Sample>{} : load_dataset(o.test, "--test", o.progress);
    const std::vector<net::Sample> test_sub = smallest_subset(test, cfg.val_subset);
    // The filter models' MAPE in the iteration log is on these subsets, not on the final models' set.
    const std::string val_label = subset_label("val", val_sub.size(), val.size());
    const std::string test_label = subset_label("test", test_sub.size(), test.size());
    const std::vector<net::Sample>& eval = test.empty() ? val : test;
    fs::create_directories(o.out);
    const fs::path id_file = o.out / "optimize.txt";
    const std::string id = identity(o);
    if (fs::exists(id_file)) {
      if (io::read_file(id_file) != id) {
        throw Error("autoopt optimize: --out: " + o.out.string() + " holds results made with other settings or data (" +
                    id_file.string() + "); use another --out or remove it");
      }
    } else {
      io::write_file_atomic(id_file, id);
    }

    // The model on the whole pool: a method of its own and the feature extractor; trained once.
    const fs::path all_dir = o.out / "models" / "all-pool";
    MethodResult all_method{"all-pool", "all " + std::to_string(pool.size()) + " samples of the pool", pool.size(),
                            0.0, {}};
    double all_stage_seconds = 0.0;
    std::optional<model::Trainer> all_trainer;
    if (fs::is_regular_file(all_dir / "state.txt") && fs::is_directory(all_dir / "model")) {
      const StateFile st = StateFile::read(all_dir / "state.txt");
      all_method.train_seconds = st.number("train_seconds");
      all_method.table = read_rows(st);
      all_trainer.emplace(model::Trainer::load(all_dir / "model"));
      result.all_pool_resumed = true;
      log("all-pool: model of an earlier call reused (" + (all_dir / "model").string() + "): delay MAPE " +
          pct(overall(all_method.table).delay_mape));
    } else {
      t0 = Clock::now();
      log("all-pool: training on " + std::to_string(pool.size()) + " samples");
      TrainedModel all = train_model(pool, val_sub, models, models.fit.epochs);
      all.trainer.save(all_dir / "model");
      const model::EvaluationTable table = evaluate_model(all.trainer, eval, "evaluate all-pool", o.progress);
      io::write_file_atomic(all_dir / "table.csv", table.to_csv());
      all_method.train_seconds = all.seconds;
      all_method.table = table.rows();
      StateFile st;
      st.add_double("train_seconds", all.seconds);
      for (const auto& r : all_method.table) st.add("row", size_row_line(r));
      st.write(all_dir / "state.txt");
      all_trainer.emplace(std::move(all.trainer));
      all_stage_seconds = seconds_since(t0);
      log("all-pool: delay MAPE " + pct(overall(all_method.table).delay_mape) + ", jitter MAPE " +
          pct(jitter_or_nan(overall(all_method.table))));
    }
    // Embeddings by the service (shared among the ranks; the same from a saved or a fresh model).
    t0 = Clock::now();
    service.set_model(*all_trainer);
    std::vector<std::size_t> everyone(pool.size());
    std::iota(everyone.begin(), everyone.end(), std::size_t{0});
    std::size_t dim = 0;
    const std::vector<float> emb = service.embed(everyone, dim);
    const double embed_seconds = seconds_since(t0);
    const gen::IndicatorSet pool_indicators = gen::collect_indicators(pool);
    const gen::IndicatorSet val_indicators = gen::collect_indicators(val);
    // Table IV of the fractions done so far (this seed): <out>/table4.html, table4_*.csv; rewritten
    // after every fraction. `autoopt report table4` merges such files of several seeds.
    const auto write_table4 = [&] {
      if (!o.write_report) return;
      std::string label = o.pool.string();  // the CSV's dataset column: no commas or line breaks
      std::replace_if(label.begin(), label.end(), [](char c) { return c == ',' || c == '\n' || c == '\r'; }, ';');
      std::vector<opt::FractionRun> runs;
      for (const FractionResult& f : result.fractions) {
        runs.push_back({label, f.fraction, cfg.seed, f.autoopt_delay_mape * 100.0,
                        f.random_delay_mape * 100.0, f.all_pool_delay_mape * 100.0});
      }
      opt::FractionReportOptions ro;
      ro.title = "autoopt optimize: " + o.pool.string() + ": accuracy against the fraction kept (Table IV)";
      ro.note = "seed " + std::to_string(cfg.seed) + "; evaluated on " +
                (o.test.empty() ? "the validation set " + o.val.string() : "the test set " + o.test.string()) +
                (o.command_line.empty() ? std::string() : "; command: " + o.command_line);
      (void)opt::write_fraction_report(o.out, runs, ro);
    };

    for (std::size_t k = 0; k < o.fractions.size(); ++k) {
      const double fraction = o.fractions[k];
      FractionResult fr;
      fr.fraction = fraction;
      fr.dir = o.out / fraction_folder(fraction);
      fr.n_max = n_max[k];
      if (fs::is_regular_file(fr.dir / "summary.txt") && fs::is_regular_file(fr.dir / "result.txt")) {
        const StateFile st = StateFile::read(fr.dir / "result.txt");
        fr.resumed = true;
        fr.selected = st.ids("selected");
        fr.autoopt_delay_mape = st.number("autoopt_delay_mape");
        fr.random_delay_mape = st.number("random_delay_mape");
        fr.all_pool_delay_mape = st.number("all_pool_delay_mape");
        fr.delay_mape_lost = st.number("delay_mape_lost");
        fr.jitter_mape_lost = st.number("jitter_mape_lost");
        fr.random_delay_mape_lost = st.number("random_delay_mape_lost");
        log("fraction " + fraction_text(fraction) + ": done by an earlier call (" + fr.dir.string() + "), skipped");
        result.fractions.push_back(std::move(fr));
        write_table4();
        continue;
      }
      log("== fraction " + fraction_text(fraction) + ": keep " + std::to_string(fr.n_max) + " of " +
          std::to_string(pool.size()));
      fs::create_directories(fr.dir);
      RunConfig fcfg = cfg;
      fcfg.n_max = fr.n_max;
      const Stage2Settings s2 = stage2_settings(fcfg);
      std::vector<StageTime> stages = {{"load", load_seconds, false},
                                       {"all-pool model", all_stage_seconds, result.all_pool_resumed},
                                       {"embeddings", embed_seconds, false}};
      t0 = Clock::now();
      const auto stage_done = [&](const std::string& name) {
        stages.push_back({name, seconds_since(t0), false});
        log("stage " + name + ": done in " + std::to_string(static_cast<int>(stages.back().seconds)) + " s");
        t0 = Clock::now();
      };

      const SeedResult seeds = select_seed_set(pool, emb, dim, s2);
      log("seeds: " + std::to_string(seeds.seeds.size()) + " (" + std::to_string(seeds.replacements.size()) +
          " replaced by the expert rules)");
      stage_done("seeds");

      std::vector<opt::IterationLog> rows;
      const auto ti = Clock::now();
      const IncrementalOutcome inc = run_incremental_stage(
          pool, val_sub, test_sub, seeds.seeds, emb, dim, s2, models,
          [&](const opt::IterationLog& row) {
            rows.push_back(row);
            log(iteration_line(row, fr.n_max, seconds_since(ti), val_label, test_label));
            io::write_file_atomic(fr.dir / "table2.csv", iterations_csv(rows));
          },
          &service);
      fr.selected = inc.result.selected;
      std::string csv = "position,sample_id,graph,nodes\n";
      for (std::size_t i : fr.selected) {
        csv += std::to_string(i) + "," + std::to_string(pool[i].id) + "," + pool[i].graph_name + "," +
               std::to_string(pool[i].num_nodes()) + "\n";
      }
      io::write_file_atomic(fr.dir / "selected.csv", csv);
      io::write_file_atomic(fr.dir / "table2.csv", iterations_csv(inc.result.log));
      stage_done("incremental");

      std::vector<MethodResult> methods;
      // Both subset models have the same size, so the same budget; with final_budget = steps they get
      // the all-pool model's optimiser steps (epochs, patience and the MAPE phase scaled alike).
      ModelSettings subset_models = models;
      if (cfg.final_budget == "steps") {
        subset_models.fit = step_matched(models.fit, pool.size(), fr.selected.size());
        log("final models: " + std::to_string(subset_models.fit.epochs) + " epochs on " + std::to_string(fr.selected.size()) +
            " samples (the all-pool model's optimiser steps; patience " + std::to_string(subset_models.fit.patience) +
            ")");
      }
      const int repeats = std::max(cfg.final_repeats, 1);
      if (repeats > 1) {
        log("final models: " + std::to_string(repeats) + " trainings per selection (seeds " +
            std::to_string(subset_models.fit.seed) + " to " + std::to_string(subset_models.fit.seed + repeats - 1) +
            "), figures averaged");
      }
      // Trains `repeats` models on `train` (the first keeps the run's seed: one repeat is the plain run),
      // saves them (models/<name>/model, model-2, ...), evaluates each and keeps the per-size mean.
      const auto train_subset = [&](const std::string& name, const std::string& description,
                                    std::span<const net::Sample> train) {
        std::vector<std::vector<model::SizeRow>> tables;
        std::vector<double> overall_mapes;
        double seconds = 0.0;
        const fs::path dir = fr.dir / "models" / name;
        for (int r = 0; r < repeats; ++r) {
          ModelSettings ms = subset_models;
          ms.fit.seed = subset_models.fit.seed + static_cast<std::uint64_t>(r);
          TrainedModel m = train_model(train, val_sub, ms, ms.fit.epochs);
          seconds += m.seconds;
          const std::string k = std::to_string(r + 1);
          std::string model_dir = "model";  // appended, not "model-" + k: GCC 12's -Wrestrict false positive
          if (r > 0) (model_dir += '-') += k;
          m.trainer.save(dir / model_dir);
          const model::EvaluationTable table = evaluate_model(
              m.trainer, eval, "evaluate " + name + (repeats > 1 ? " " + k + "/" + std::to_string(repeats) : ""),
              o.progress);
          tables.push_back(table.rows());
          overall_mapes.push_back(overall(tables.back()).delay_mape);
          if (repeats > 1) {
            std::string table_name = "table-";
            (table_name += k) += ".csv";
            io::write_file_atomic(dir / table_name, table.to_csv());
            log(name + " " + k + "/" + std::to_string(repeats) + " (seed " + std::to_string(ms.fit.seed) +
                "): delay MAPE " + pct(overall_mapes.back()));
          }
        }
        std::vector<model::SizeRow> rows = model::mean_rows(tables);
        io::write_file_atomic(dir / "table.csv", model::rows_csv(rows));
        log(name + ": delay MAPE " + pct(overall(rows).delay_mape) + ", jitter MAPE " +
            pct(jitter_or_nan(overall(rows))) + (repeats > 1 ? " (mean of " + std::to_string(repeats) + ")" : ""));
        methods.push_back({name, description, train.size(), seconds, std::move(rows)});
        return overall_mapes;
      };
      const std::vector<net::Sample> chosen = pick(pool, fr.selected);
      const std::vector<double> autoopt_runs =
          train_subset("autoopt",
                       "AutoOPT: " + std::to_string(fr.selected.size()) + " of " + std::to_string(pool.size()) +
                           " samples (fraction " + fraction_text(fraction) +
                           ") by seed selection + incremental optimization",
                       chosen);
      methods.push_back(all_method);
      const auto rnd_ids = random_selection(pool.size(), fr.selected.size(), cfg.seed);
      const std::vector<net::Sample> rnd = pick(pool, rnd_ids);
      const std::vector<double> random_runs = train_subset(
          "random", std::to_string(rnd.size()) + " samples drawn uniformly at random (seed " + std::to_string(cfg.seed) + ")",
          rnd);
      stage_done("final models + evaluation");

      const model::SizeRow& a = overall(methods[0].table);
      const model::SizeRow& b = overall(methods[1].table);
      const model::SizeRow& r = overall(methods[2].table);
      fr.autoopt_delay_mape = a.delay_mape;
      fr.all_pool_delay_mape = b.delay_mape;
      fr.random_delay_mape = r.delay_mape;
      fr.delay_mape_lost = a.delay_mape - b.delay_mape;
      fr.jitter_mape_lost = jitter_or_nan(a) - jitter_or_nan(b);
      fr.random_delay_mape_lost = r.delay_mape - b.delay_mape;

      RunReportInput& in = fr.report;
      in.title = "autoopt optimize: " + o.pool.string() + ", fraction " + fraction_text(fraction);
      in.preset = cfg.name;
      in.command_line = o.command_line;
      in.evaluation_set = (o.test.empty() ? "validation set " + o.val.string() : "test set " + o.test.string());
      in.methods = methods;
      in.iterations = inc.result.log;
      in.iteration_sets = "The filter model's MAPE per iteration is measured on " + val_label + " and " + test_label +
                          "; the final models' figures above are on all of the " + (test.empty() ? "validation" : "test") + " set.";
      in.influence_agreement = inc.result.agreement;
      in.pool_size = pool.size();
      in.seed_count = seeds.seeds.size();
      in.seed_replacements = seeds.replacements;
      in.ood_dropped = inc.dropped;
      in.candidates = pool_indicators;
      in.selected = gen::collect_indicators(chosen);
      in.validation = val_indicators;
      in.stages = stages;
      if (o.write_report) (void)write_run_report(fr.dir / "report", in);

      StateFile st;
      st.add_double("fraction", fraction);
      st.add("n_max", std::to_string(fr.n_max));
      st.add("pool_size", std::to_string(pool.size()));
      st.add_ids("selected", fr.selected);
      st.add_double("autoopt_delay_mape", fr.autoopt_delay_mape);
      st.add_double("random_delay_mape", fr.random_delay_mape);
      st.add_double("all_pool_delay_mape", fr.all_pool_delay_mape);
      st.add_double("delay_mape_lost", fr.delay_mape_lost);
      st.add_double("jitter_mape_lost", fr.jitter_mape_lost);
      st.add_double("random_delay_mape_lost", fr.random_delay_mape_lost);
      st.add("dropped", std::to_string(inc.dropped.size()));
      if (repeats > 1) {
        st.add("final_repeats", std::to_string(repeats));
        for (int r = 0; r < repeats; ++r) {
          st.add_double("autoopt_delay_mape_" + std::to_string(r + 1), autoopt_runs[static_cast<std::size_t>(r)]);
          st.add_double("random_delay_mape_" + std::to_string(r + 1), random_runs[static_cast<std::size_t>(r)]);
        }
      }
      st.write(fr.dir / "result.txt");

      std::string summary = "pool " + std::to_string(pool.size()) + " samples, fraction " + fraction_text(fraction) +
                            " -> " + std::to_string(fr.selected.size()) + " selected\n";
      for (const auto& m : methods) {
        summary += m.name + ": delay MAPE " + pct(overall(m.table).delay_mape) + ", jitter MAPE " +
                   pct(jitter_or_nan(overall(m.table))) + " (" + std::to_string(m.train_samples) +
                   " training samples)\n";
      }
      summary += "accuracy lost by AutoOPT (delay MAPE vs all-pool): " + pct(fr.delay_mape_lost) +
                 " points; by random selection: " + pct(fr.random_delay_mape_lost) + " points\n";
      io::write_file_atomic(fr.dir / "summary.txt", summary);
      result.fractions.push_back(std::move(fr));
      write_table4();
    }
    return std::string();
  });
  return result;
}

}  // namespace autoopt::pipeline
