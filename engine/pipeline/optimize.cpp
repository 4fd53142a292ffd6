#include "pipeline/optimize.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "gen/indicators.hpp"
#include "io/archive.hpp"
#include "model/filter_model.hpp"
#include "net/error.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/stage2.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  return buf;
}

}  // namespace

OptimizeResult optimize_dataset(const OptimizeOptions& o) {
  if (!(o.fraction > 0.0 && o.fraction <= 1.0)) {
    throw Error("autoopt optimize: --fraction: expected a number in (0, 1], got " + std::to_string(o.fraction));
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

  OptimizeResult result;
  (void)on_rank0(d, [&] {
    std::vector<StageTime> stages;
    auto t0 = Clock::now();
    const auto stage_done = [&](const std::string& name) {
      stages.push_back({name, seconds_since(t0), false});
      log("stage " + name + ": done in " + std::to_string(static_cast<int>(stages.back().seconds)) + " s");
      t0 = Clock::now();
    };
    const std::vector<net::Sample> pool = load_dataset(o.pool, "--pool", o.progress);
    const std::vector<net::Sample> val = load_dataset(o.val, "--val", o.progress);
    const std::vector<net::Sample> test =
        o.test.empty() ? std::vector<net::Sample>{} : load_dataset(o.test, "--test", o.progress);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      if (!pool[i].results) {
        throw Error("autoopt optimize: --pool: " + o.pool.string() + ": sample " + std::to_string(i) + " (" +
                    pool[i].graph_name + ") has no results");
      }
    }
    const std::size_t n_max = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::llround(o.fraction * static_cast<double>(pool.size()))));
    cfg.pool_size = pool.size();
    cfg.n_max = n_max;
    if (cfg.seed_clusters * cfg.seeds_per_cluster > n_max) {
      throw Error("autoopt optimize: --fraction " + std::to_string(o.fraction) + " keeps " + std::to_string(n_max) +
                  " of " + std::to_string(pool.size()) + " samples, fewer than the " +
                  std::to_string(cfg.seed_clusters * cfg.seeds_per_cluster) +
                  " seeds (seed_clusters x seeds_per_cluster); raise --fraction or lower the seeds");
    }
    result.pool_size = pool.size();
    result.n_max = n_max;
    const std::vector<net::Sample> val_sub = smallest_subset(val, cfg.val_subset);
    const std::vector<net::Sample> test_sub = smallest_subset(test, cfg.val_subset);
    const std::vector<net::Sample>& eval = test.empty() ? val : test;
    const ModelSettings models = model_settings(cfg);
    const Stage2Settings s2 = stage2_settings(cfg);
    fs::create_directories(o.out);
    stage_done("load");

    std::vector<MethodResult> methods;
    const auto finish_method = [&](const std::string& name, const std::string& description, TrainedModel& m,
                                   std::size_t samples) {
      m.trainer.save(o.out / "models" / name / "model");
      const model::EvaluationTable table = evaluate_model(m.trainer, eval, "evaluate " + name, o.progress);
      io::write_file_atomic(o.out / "models" / name / "table.csv", table.to_csv());
      methods.push_back({name, description, samples, m.seconds, table.rows()});
      log(name + ": delay MAPE " + pct(table.rows().back().delay_mape) + ", jitter MAPE " +
          pct(table.rows().back().jitter_mape));
    };

    // The model on the whole pool: a method of its own and the feature extractor.
    log("all-pool: training on " + std::to_string(pool.size()) + " samples");
    TrainedModel all = train_model(pool, val_sub, models, models.fit.epochs);
    const std::vector<float> emb = model::embed_pool(all.trainer, pool);
    const std::size_t dim = emb.size() / pool.size();
    stage_done("all-pool model");

    const SeedResult seeds = select_seed_set(pool, emb, dim, s2);
    log("seeds: " + std::to_string(seeds.seeds.size()) + " (" + std::to_string(seeds.replacements.size()) +
        " replaced by the expert rules)");
    stage_done("seeds");

    std::vector<opt::IterationLog> rows;
    const auto ti = Clock::now();
    const IncrementalOutcome inc = run_incremental_stage(pool, val_sub, test_sub, seeds.seeds, emb, dim, s2, models,
                                                         [&](const opt::IterationLog& row) {
                                                           rows.push_back(row);
                                                           log(iteration_line(row, n_max, seconds_since(ti)));
                                                           io::write_file_atomic(o.out / "table2.csv",
                                                                                 iterations_csv(rows));
                                                         });
    result.selected = inc.result.selected;
    std::string csv = "position,sample_id,graph,nodes\n";
    for (std::size_t i : result.selected) {
      csv += std::to_string(i) + "," + std::to_string(pool[i].id) + "," + pool[i].graph_name + "," +
             std::to_string(pool[i].num_nodes()) + "\n";
    }
    io::write_file_atomic(o.out / "selected.csv", csv);
    io::write_file_atomic(o.out / "table2.csv", iterations_csv(inc.result.log));
    stage_done("incremental");

    const std::vector<net::Sample> chosen = pick(pool, result.selected);
    TrainedModel fin = train_model(chosen, val_sub, models, models.fit.epochs);
    finish_method("autoopt",
                  "AutoOPT: " + std::to_string(result.selected.size()) + " of " + std::to_string(pool.size()) +
                      " samples (fraction " + std::to_string(o.fraction) + ") by seed selection + incremental optimization",
                  fin, chosen.size());
    finish_method("all-pool", "all " + std::to_string(pool.size()) + " samples of the pool", all, pool.size());
    const auto rnd_ids = random_selection(pool.size(), result.selected.size(), cfg.seed);
    const std::vector<net::Sample> rnd = pick(pool, rnd_ids);
    TrainedModel rm = train_model(rnd, val_sub, models, models.fit.epochs);
    finish_method("random", std::to_string(rnd.size()) + " samples drawn uniformly at random (seed " +
                                std::to_string(cfg.seed) + ")",
                  rm, rnd.size());
    stage_done("final models + evaluation");

    const double a = methods[0].table.back().delay_mape, b = methods[1].table.back().delay_mape;
    result.delay_mape_lost = a - b;
    result.jitter_mape_lost = methods[0].table.back().jitter_mape - methods[1].table.back().jitter_mape;
    result.random_delay_mape_lost = methods[2].table.back().delay_mape - b;

    RunReportInput& in = result.report;
    in.title = "autoopt optimize: " + o.pool.string() + ", fraction " + std::to_string(o.fraction);
    in.preset = cfg.name;
    in.command_line = o.command_line;
    in.evaluation_set = (o.test.empty() ? "validation set " + o.val.string() : "test set " + o.test.string());
    in.methods = methods;
    in.iterations = inc.result.log;
    in.influence_agreement = inc.result.agreement;
    in.pool_size = pool.size();
    in.seed_count = seeds.seeds.size();
    in.seed_replacements = seeds.replacements;
    in.ood_dropped = inc.dropped;
    in.candidates = gen::collect_indicators(pool);
    in.selected = gen::collect_indicators(chosen);
    in.validation = gen::collect_indicators(val);
    in.stages = stages;
    if (o.write_report) (void)write_run_report(o.out / "report", in);

    std::string summary = "pool " + std::to_string(pool.size()) + " samples, fraction " + std::to_string(o.fraction) +
                          " -> " + std::to_string(result.selected.size()) + " selected\n";
    for (const auto& m : methods) {
      summary += m.name + ": delay MAPE " + pct(m.table.back().delay_mape) + ", jitter MAPE " +
                 pct(m.table.back().jitter_mape) + " (" + std::to_string(m.train_samples) + " training samples)\n";
    }
    summary += "accuracy lost by AutoOPT (delay MAPE vs all-pool): " + pct(result.delay_mape_lost) +
               " points; by random selection: " + pct(result.random_delay_mape_lost) + " points\n";
    io::write_file_atomic(o.out / "summary.txt", summary);
    return std::string();
  });
  return result;
}

}  // namespace autoopt::pipeline
