// Stage 2 and `autoopt optimize` on GNNet 2023 real testbed data (link-path samples, measured delays
// only): a planted noisy scenario (one real mb scenario with its delay labels x10) in a small real pool
// is rejected by OOD detection, and we check which detector does it (the expert rules' path_delay
// range of configs/expert_rules_gnnet2023.conf; the fast influence is printed for comparison); and
// optimize_dataset runs end to end on a small real pool with two fractions (f<F>/ folders, jitter n/a,
// resume).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/gnnet2023.hpp"
#include "model/features.hpp"
#include "model/filter_model.hpp"
#include "net/error.hpp"
#include "opt/fraction_report.hpp"
#include "pipeline/optimize.hpp"
#include "pipeline/stage2.hpp"
#include "shared_data.hpp"

namespace autoopt::pipeline {
namespace {
namespace fs = std::filesystem;

const fs::path kConfigs = fs::path(__FILE__).parent_path().parent_path().parent_path() / "configs";

fs::path mb_fold(int k) {
  return autoopt::testing::shared_dir() / "data/gnnet2023-real/mb" / ("fold" + std::to_string(k) + ".jsonl.gz");
}

std::vector<net::Sample> first(const fs::path& file, std::size_t n) {
  std::vector<net::Sample> all = io::read_gnnet2023(file);
  if (all.size() > n) all.resize(n);
  return all;
}

ModelSettings tiny_models() {
  ModelSettings m;
  m.config.path_dim = m.config.link_dim = m.config.queue_dim = 8;
  m.config.iterations = 2;
  m.config.readout_hidden = 8;
  m.fit.epochs = 3;
  m.fit.patience = 3;
  m.fit.batch_size = 4;
  m.fit.lr = 1e-2;
  m.fit.seed = 3;
  m.extractor_epochs = 3;
  m.filter_epochs = 3;
  return m;
}

// Pool: 16 real mb scenarios and, last, a copy of one of them with its delays x10 (a new id).
TEST(OptimizeLinkPath, PlantedTenfoldScenarioIsRejectedByTheRulesSlow) {
  AUTOOPT_REQUIRE_SHARED(mb_fold(0));
  torch::set_num_threads(1);
  std::vector<net::Sample> pool = first(mb_fold(0), 16);
  const std::vector<net::Sample> val = first(mb_fold(2), 4);
  ASSERT_EQ(pool.size(), 16u);
  // The scenario to corrupt: the first whose largest delay is above 30 ms, so that x10 leaves the
  // plausible range (0.26 s is the largest delay of the whole data set). A scenario with sub-ms
  // delays x10 stays plausible and is not caught (see docs/optimize.md).
  const auto max_delay = [](const net::Sample& s) {
    double m = 0.0;
    for (const auto& f : s.link_paths.flows) m = std::max(m, f.avg_delay);
    return m;
  };
  std::size_t victim = 0;
  while (victim < pool.size() && max_delay(pool[victim]) <= 0.03) ++victim;
  ASSERT_LT(victim, pool.size());
  net::Sample planted = pool[victim];
  planted.id = 1000000 + pool[victim].id;
  for (auto& f : planted.link_paths.flows) f.avg_delay *= 10.0;
  pool.push_back(planted);
  const std::size_t planted_pos = pool.size() - 1;
  for (const auto& s : pool) ASSERT_TRUE(model::has_labels(s));

  const ModelSettings models = tiny_models();
  Stage2Settings s2;
  s2.seed_clusters = 2;
  s2.seeds_per_cluster = 1;
  s2.rules = opt::ExpertRules::load(kConfigs / "expert_rules_gnnet2023.conf");
  // One iteration draws the whole rest of the pool (windows cover it, r_iter 1): every sample is
  // verified by the rules, every hard one scored by influence.
  s2.incremental.n_max = pool.size();
  s2.incremental.r_iter = 1.0;
  s2.incremental.n_easy = 8;
  s2.incremental.n_hard = 8;
  s2.incremental.thr_iter = 0.5;
  s2.incremental.influence = opt::InfluenceMode::fast;
  s2.incremental.max_iterations = 1;
  s2.incremental.seed = 4;

  TrainedModel ext = train_model(pool, val, models, models.extractor_epochs);
  const std::vector<float> emb = model::embed_pool(ext.trainer, pool);
  const std::size_t dim = emb.size() / pool.size();
  const SeedResult seeds = select_seed_set(pool, emb, dim, s2);
  const IncrementalOutcome inc = run_incremental_stage(pool, val, {}, seeds.seeds, emb, dim, s2, models, {});

  // Not selected, and dropped (or replaced as a seed) by the path_delay rule, naming the sample.
  EXPECT_EQ(std::find(inc.result.selected.begin(), inc.result.selected.end(), planted_pos), inc.result.selected.end());
  const std::string name = "cand-" + std::to_string(planted.id) + ":";
  std::string why;
  for (const auto& d : inc.dropped) {
    if (d.rfind(name, 0) == 0) why = d;
  }
  for (const auto& r : seeds.replacements) {
    if (r.rfind("cand-" + std::to_string(planted.id) + " ->", 0) == 0) why = r;
  }
  EXPECT_NE(why.find("path_delay"), std::string::npos) << "planted sample: '" << why << "'";
  // No real scenario is rejected by the rules.
  for (const auto& d : inc.dropped) {
    if (d.rfind(name, 0) != 0) EXPECT_EQ(d.find("rules"), std::string::npos) << d;
  }

  // For the record: the fast influence of the planted scenario against the normal ones (rules off).
  model::FilterModelOptions fo = filter_options(models);
  model::RouteNetFilter filter(pool, val, {}, fo);
  filter.train(seeds.seeds);
  std::vector<double> normal;
  for (std::size_t i = 0; i < planted_pos; ++i) {
    if (std::find(seeds.seeds.begin(), seeds.seeds.end(), i) == seeds.seeds.end()) {
      normal.push_back(filter.influence(seeds.seeds, i));
    }
  }
  const double planted_influence = filter.influence(seeds.seeds, planted_pos);
  std::printf("fast influence: planted %+.5f, normal %+.5f .. %+.5f\n", planted_influence,
              *std::min_element(normal.begin(), normal.end()), *std::max_element(normal.begin(), normal.end()));
}

// Copies the first n lines of a gzip JSON-lines file into `out` (gzip).
void copy_lines(const fs::path& in, const fs::path& out, std::size_t n) {
  gzFile src = gzopen(in.c_str(), "rb");
  ASSERT_NE(src, nullptr) << in;
  fs::create_directories(out.parent_path());
  gzFile dst = gzopen(out.c_str(), "wb");
  ASSERT_NE(dst, nullptr) << out;
  std::string line;
  std::vector<char> buf(1 << 16);
  std::size_t lines = 0;
  while (lines < n && gzgets(src, buf.data(), static_cast<int>(buf.size())) != nullptr) {
    line += buf.data();
    if (!line.empty() && line.back() == '\n') {
      gzwrite(dst, line.data(), static_cast<unsigned>(line.size()));
      line.clear();
      ++lines;
    }
  }
  gzclose(dst);
  gzclose(src);
  ASSERT_EQ(lines, n);
}

TEST(OptimizeLinkPath, TwoFractionsEndToEndAndResumeSlow) {
  AUTOOPT_REQUIRE_SHARED(mb_fold(0));
  const fs::path dir = fs::temp_directory_path() / ("autoopt_test_optimize_linkpath_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  copy_lines(mb_fold(0), dir / "pool" / "mb" / "fold0.jsonl.gz", 20);
  copy_lines(mb_fold(2), dir / "val" / "mb" / "fold2.jsonl.gz", 4);
  io::write_file_atomic(dir / "tiny.conf",
                        "val_subset: 4\nseed_clusters: 2\nseeds_per_cluster: 1\nr_iter: 0.5\nn_easy: 2\nn_hard: 2\n"
                        "decay: 0.1\nthr_iter: 0.5\ninfluence: fast\nrules: " +
                            (kConfigs / "expert_rules_gnnet2023.conf").string() +
                            "\nmodel_dim: 8\nmodel_iterations: 2\nextractor_epochs: 1\nfilter_epochs: 1\n"
                            "final_epochs: 2\npatience: 2\nbatch_size: 4\nseed: 3\nthreads: 1\n");
  OptimizeOptions o;
  o.pool = dir / "pool";
  o.val = dir / "val";
  o.out = dir / "out";
  o.fractions = {0.25, 0.5};
  o.settings = load_run_config(dir / "tiny.conf");
  o.progress = false;
  o.log = [](const std::string&) {};
  const OptimizeResult r = optimize_dataset(o);
  EXPECT_EQ(r.pool_size, 20u);
  ASSERT_EQ(r.fractions.size(), 2u);
  for (const FractionResult& f : r.fractions) {
    EXPECT_EQ(f.n_max, static_cast<std::size_t>(std::llround(f.fraction * 20)));
    EXPECT_EQ(f.selected.size(), f.n_max);
    EXPECT_TRUE(std::isfinite(f.autoopt_delay_mape) && f.autoopt_delay_mape > 0) << f.autoopt_delay_mape;
    EXPECT_TRUE(std::isnan(f.jitter_mape_lost));  // no jitter labels in this data
    EXPECT_DOUBLE_EQ(f.all_pool_delay_mape, r.fractions[0].all_pool_delay_mape);  // one all-pool model
    for (const char* file : {"selected.csv", "table2.csv", "result.txt", "summary.txt", "report/report.html",
                             "report/table1.csv"}) {
      EXPECT_TRUE(fs::is_regular_file(f.dir / file)) << f.dir / file;
    }
    // Table I: jitter and loss columns empty (n/a) for link-path data.
    const std::string t1 = io::read_file(f.dir / "report" / "table1.csv");
    EXPECT_NE(t1.find("autoopt,all,"), std::string::npos) << t1;
    EXPECT_NE(t1.find(",,\n"), std::string::npos) << t1;
    EXPECT_NE(io::read_file(f.dir / "summary.txt").find("jitter MAPE n/a"), std::string::npos);
  }
  EXPECT_EQ(r.fractions[0].dir, o.out / "f0.25");
  EXPECT_EQ(r.fractions[1].dir, o.out / "f0.5");
  // Table IV of this seed: one row per fraction, in percent, as `autoopt report table4` reads it.
  const auto table4 = [&] { return opt::parse_fraction_runs(io::read_file(o.out / "table4_runs.csv"), "t4"); };
  ASSERT_EQ(table4().size(), 2u);
  EXPECT_DOUBLE_EQ(table4()[1].fraction, 0.5);
  EXPECT_EQ(table4()[1].seed, 3u);
  EXPECT_NEAR(table4()[1].autoopt_pct, r.fractions[1].autoopt_delay_mape * 100.0, 1e-9);
  EXPECT_NEAR(table4()[1].random_pct, r.fractions[1].random_delay_mape * 100.0, 1e-9);
  EXPECT_NEAR(table4()[0].all_pool_pct, r.fractions[0].all_pool_delay_mape * 100.0, 1e-9);
  EXPECT_NE(io::read_file(o.out / "table4.html").find("<svg"), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(o.out / "table4_summary.csv"));

  // A third fraction added on rerun: the first two are read back, the all-pool model reused.
  o.fractions = {0.25, 0.5, 0.75};
  const OptimizeResult again = optimize_dataset(o);
  EXPECT_TRUE(again.all_pool_resumed);
  ASSERT_EQ(again.fractions.size(), 3u);
  EXPECT_TRUE(again.fractions[0].resumed && again.fractions[1].resumed);
  EXPECT_FALSE(again.fractions[2].resumed);
  EXPECT_EQ(again.fractions[1].selected, r.fractions[1].selected);
  EXPECT_DOUBLE_EQ(again.fractions[2].all_pool_delay_mape, r.fractions[0].all_pool_delay_mape);
  EXPECT_EQ(table4().size(), 3u);  // the resumed fractions are in it too
  fs::remove_all(dir);
}

// final_repeats: AutoOPT's and random's models are trained with seeds seed, seed + 1, ...; the first is
// the plain run's model, and the fraction's figures are the means of the repeats'.
TEST(OptimizeLinkPath, FinalRepeatsAverageTheTrainingsSlow) {
  AUTOOPT_REQUIRE_SHARED(mb_fold(0));
  const fs::path dir = fs::temp_directory_path() / ("autoopt_test_optimize_repeats_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  copy_lines(mb_fold(0), dir / "pool" / "mb" / "fold0.jsonl.gz", 16);
  copy_lines(mb_fold(2), dir / "val" / "mb" / "fold2.jsonl.gz", 4);
  const std::string conf =
      "val_subset: 4\nseed_clusters: 4\nseeds_per_cluster: 1\nr_iter: 0.5\nn_easy: 2\nn_hard: 2\n"
      "decay: 0.1\nthr_iter: 0.5\ninfluence: fast\nrules: " +
      (kConfigs / "expert_rules_gnnet2023.conf").string() +
      "\nmodel_dim: 8\nmodel_iterations: 2\nextractor_epochs: 1\nfilter_epochs: 1\n"
      "final_epochs: 2\npatience: 2\nbatch_size: 4\nseed: 3\nthreads: 1\nweight_decay: 0.1\n";
  io::write_file_atomic(dir / "one.conf", conf);
  io::write_file_atomic(dir / "two.conf", conf + "final_repeats: 2\n");
  OptimizeOptions o;
  o.pool = dir / "pool";
  o.val = dir / "val";
  o.fractions = {0.25};
  o.progress = false;
  o.write_report = false;
  o.log = [](const std::string&) {};
  o.out = dir / "one";
  o.settings = load_run_config(dir / "one.conf");
  const OptimizeResult one = optimize_dataset(o);
  o.out = dir / "two";
  o.settings = load_run_config(dir / "two.conf");
  const OptimizeResult two = optimize_dataset(o);
  ASSERT_EQ(one.fractions.size(), 1u);
  ASSERT_EQ(two.fractions.size(), 1u);
  const FractionResult& a = one.fractions[0];
  const FractionResult& b = two.fractions[0];
  EXPECT_EQ(a.selected, b.selected);  // the repeats change the final trainings only
  EXPECT_DOUBLE_EQ(a.all_pool_delay_mape, b.all_pool_delay_mape);

  const auto value = [](const fs::path& file, const std::string& key) {
    std::istringstream in(io::read_file(file));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(key + "\t", 0) == 0) return std::stod(line.substr(key.size() + 1));
    }
    ADD_FAILURE() << key << " not in " << file;
    return std::nan("");
  };
  const fs::path res = b.dir / "result.txt";
  EXPECT_EQ(value(res, "final_repeats"), 2.0);
  for (const std::string m : {"autoopt", "random"}) {
    const double r1 = value(res, m + "_delay_mape_1"), r2 = value(res, m + "_delay_mape_2");
    const double mean = m == "autoopt" ? b.autoopt_delay_mape : b.random_delay_mape;
    const double plain = m == "autoopt" ? a.autoopt_delay_mape : a.random_delay_mape;
    EXPECT_NEAR(mean, (r1 + r2) / 2.0, 1e-12) << m;
    EXPECT_NEAR(r1, plain, 1e-12) << m << ": the first repeat is the plain run's model";
    EXPECT_NE(r1, r2) << m << ": the second repeat has its own seed";
    for (const char* f : {"model", "model-2", "table-1.csv", "table-2.csv", "table.csv"})
      EXPECT_TRUE(fs::exists(b.dir / "models" / m / f)) << m << "/" << f;
    EXPECT_FALSE(fs::exists(b.dir / "models" / m / "model-3"));
  }
  EXPECT_EQ(io::read_file(a.dir / "result.txt").find("final_repeats"), std::string::npos);
  EXPECT_NEAR(b.delay_mape_lost, b.autoopt_delay_mape - b.all_pool_delay_mape, 1e-12);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoopt::pipeline
