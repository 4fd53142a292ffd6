// autoopt run / optimize: a tiny variant of the quick preset end to end through run_pipeline (report
// files, Table I/II contents, |selected| = N_max, seeds within the selection), resume by stage, refusal
// of a changed configuration, optimize on the run's pool, config errors naming the key, the presets, and
// the small helpers (random/oracle selection, stage files).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include <unistd.h>

#include "io/archive.hpp"
#include "net/error.hpp"
#include "pipeline/optimize.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/stage2.hpp"

namespace autoopt::pipeline {
namespace {
namespace fs = std::filesystem;

const fs::path kConfigs = fs::path(__FILE__).parent_path().parent_path().parent_path() / "configs";

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("autoopt_test_pipeline_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// The tiny variant of the quick preset (everything that costs time made small). Permissive expert
// rules: the point here is the plumbing, the rules have their own tests.
std::string tiny_config(const fs::path& dir, std::size_t n_max = 6) {
  io::write_file_atomic(dir / "rules.conf", "link_utilization.min: 0\nlink_utilization.max: 100\n");
  return "pool_size: 12\nmax_nodes: 6\ngenerator_config: " + (kConfigs / "generator.conf").string() +
         "\nsim_time: 40\neval_count: 2\neval_min_nodes: 8\neval_max_nodes: 10\neval_sim_time: 40\nval_subset: 1\n"
         "n_max: " + std::to_string(n_max) +
         "\nseed_clusters: 2\nseeds_per_cluster: 1\nr_iter: 0.5\nn_easy: 2\nn_hard: 2\ndecay: 0.1\nthr_iter: 0.5\n"
         "influence: fast\nrules: rules.conf\nmodel_dim: 8\nmodel_iterations: 2\nextractor_epochs: 1\n"
         "filter_epochs: 1\nfinal_epochs: 2\npatience: 2\nbatch_size: 4\n"
         "baselines: random, quickstart, oracle\nquickstart_config: " + (kConfigs / "quickstart.conf").string() +
         "\nseed: 3\nthreads: 1\n";
}

RunConfig tiny(const fs::path& dir, std::size_t n_max = 6) {
  io::write_file_atomic(dir / "tiny.conf", tiny_config(dir, n_max));
  return load_run_config(dir / "tiny.conf");
}

RunOptions quiet(const fs::path& run) {
  RunOptions o;
  o.run_dir = run;
  o.progress = false;
  o.log = [](const std::string&) {};
  o.command_line = "test";
  return o;
}

// One end-to-end run shared by the tests below (made once).
class PipelineRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<fs::path>(temp_dir("run"));
    config_ = std::make_unique<RunConfig>(tiny(*dir_));
    first_ = std::make_unique<RunResult>(run_pipeline(*config_, quiet(*dir_ / "RUN")));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    first_.reset();
    config_.reset();
    dir_.reset();
  }
  inline static std::unique_ptr<fs::path> dir_;
  inline static std::unique_ptr<RunConfig> config_;
  inline static std::unique_ptr<RunResult> first_;
};

TEST_F(PipelineRun, EndToEndWritesReportTablesSlow) {
  const RunResult& r = *first_;
  const fs::path run = *dir_ / "RUN";
  // Every stage ran, in order.
  const auto names = stage_names(*config_);
  ASSERT_EQ(r.stages.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(r.stages[i].stage, names[i]);
    EXPECT_FALSE(r.stages[i].resumed) << names[i];
    EXPECT_GE(r.stages[i].seconds, 0.0);
  }
  for (const char* f : {"report.html", "table1.csv", "table2.csv", "report.json"}) {
    EXPECT_TRUE(fs::is_regular_file(run / "report" / f)) << f;
  }
  EXPECT_TRUE(fs::is_regular_file(run / "stages.json"));
  EXPECT_TRUE(fs::is_regular_file(run / "stage2" / "table2.csv"));

  // Table I: four methods with the same evaluation set; sizes inside the eval range, overall last.
  const RunReportInput& in = r.report;
  ASSERT_EQ(in.methods.size(), 4U);
  EXPECT_EQ(in.methods[0].name, "autoopt");
  EXPECT_EQ(in.methods[1].name, "random");
  EXPECT_EQ(in.methods[2].name, "quickstart");
  EXPECT_EQ(in.methods[3].name, "oracle");
  for (const auto& m : in.methods) {
    ASSERT_GE(m.table.size(), 2U) << m.name;
    const auto& all = m.table.back();
    EXPECT_EQ(all.nodes, 0) << m.name;
    EXPECT_GE(all.samples, 1) << m.name;
    EXPECT_LE(all.samples, 2) << m.name;
    EXPECT_TRUE(std::isfinite(all.delay_mape) && all.delay_mape > 0) << m.name;
    std::int64_t per_size = 0;
    for (std::size_t i = 0; i + 1 < m.table.size(); ++i) {
      EXPECT_GE(m.table[i].nodes, 8) << m.name;
      EXPECT_LE(m.table[i].nodes, 10) << m.name;
      per_size += m.table[i].samples;
    }
    EXPECT_EQ(per_size, all.samples) << m.name;
    EXPECT_EQ(m.table.back().samples, in.methods[0].table.back().samples);
    if (m.name != "quickstart") EXPECT_EQ(m.train_samples, 6U) << m.name;
    EXPECT_GE(m.train_samples, 1U);
  }

  // Table II: row 0 = the seeds, then growth to N_max.
  ASSERT_GE(in.iterations.size(), 2U);
  EXPECT_EQ(in.iterations.front().iteration, 0U);
  EXPECT_EQ(in.iterations.front().train_size, 2U);
  EXPECT_EQ(in.iterations.back().train_size, 6U);
  for (std::size_t i = 1; i < in.iterations.size(); ++i) {
    EXPECT_GT(in.iterations[i].train_size, in.iterations[i - 1].train_size);
  }
  EXPECT_EQ(in.seed_count, 2U);
  EXPECT_GE(in.pool_size, 6U);
  EXPECT_LE(in.pool_size, 12U);
  ASSERT_TRUE(in.candidates.has_value());
  EXPECT_EQ(in.candidates->samples(), in.pool_size);
  ASSERT_TRUE(in.selected.has_value());
  EXPECT_EQ(in.selected->samples(), 6U);

  // |selected| = N_max, distinct, seeds within.
  const auto sel = StateFile::read(run / "stage2" / "selection.txt").ids("selected");
  const auto seeds = StateFile::read(run / "stage2" / "seeds.txt").ids("seeds");
  EXPECT_EQ(sel.size(), 6U);
  EXPECT_EQ(std::set<std::size_t>(sel.begin(), sel.end()).size(), sel.size());
  for (std::size_t s : seeds) EXPECT_NE(std::find(sel.begin(), sel.end(), s), sel.end()) << s;
  // The report's Table I CSV names every method.
  const std::string t1 = io::read_file(run / "report" / "table1.csv");
  for (const char* m : {"autoopt", "random", "quickstart", "oracle"}) EXPECT_NE(t1.find(m), std::string::npos) << m;
}

TEST_F(PipelineRun, RerunSkipsFinishedStagesSlow) {
  const RunResult again = run_pipeline(*config_, quiet(*dir_ / "RUN"));
  ASSERT_EQ(again.stages.size(), first_->stages.size());
  for (std::size_t i = 0; i < again.stages.size(); ++i) {
    EXPECT_TRUE(again.stages[i].resumed) << again.stages[i].stage;
    EXPECT_NEAR(again.stages[i].seconds, first_->stages[i].seconds, 1e-3) << again.stages[i].stage;  // stages.json: ms
  }
  // The same results, read back from the stage files.
  ASSERT_EQ(again.report.methods.size(), first_->report.methods.size());
  for (std::size_t i = 0; i < again.report.methods.size(); ++i) {
    EXPECT_EQ(again.report.methods[i].table.back().delay_mape, first_->report.methods[i].table.back().delay_mape);
  }
  EXPECT_EQ(again.report.iterations.size(), first_->report.iterations.size());

  // A stage whose marker is gone runs again (and only that one).
  const fs::path stages = *dir_ / "RUN" / "stages.json";
  std::string text = io::read_file(stages);
  const auto pos = text.find("{\"stage\": \"evaluate-random\"");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 10, "{\"stagX\": ");
  io::write_file_atomic(stages, text);
  const RunResult third = run_pipeline(*config_, quiet(*dir_ / "RUN"));
  for (const auto& s : third.stages) EXPECT_EQ(s.resumed, s.stage != "evaluate-random") << s.stage;
}

TEST_F(PipelineRun, ChangedConfigIsRefusedNamingTheKey) {
  const fs::path other = *dir_ / "other";
  fs::create_directories(other);
  const RunConfig changed = tiny(other, 5);
  try {
    (void)run_pipeline(changed, quiet(*dir_ / "RUN"));
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("another configuration"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
    EXPECT_NE(msg.find("n_max: was 6, now 5"), std::string::npos) << msg;
  }
  // A folder that is not a run folder is not touched.
  const fs::path foreign = *dir_ / "foreign";
  fs::create_directories(foreign);
  io::write_file_atomic(foreign / "precious.txt", "x");
  RunOptions o = quiet(foreign);
  o.force = true;
  EXPECT_THROW((void)run_pipeline(*config_, o), Error);
  EXPECT_TRUE(fs::exists(foreign / "precious.txt"));
}

TEST_F(PipelineRun, OptimizeOnTheRunsPoolSlow) {
  OptimizeOptions o;
  o.pool = *dir_ / "RUN" / "pool" / "shards";
  o.val = *dir_ / "RUN" / "eval" / "shards";
  o.out = *dir_ / "opt";
  o.fractions = {0.5};
  o.settings = *config_;
  o.progress = false;
  o.log = [](const std::string&) {};
  const OptimizeResult res = optimize_dataset(o);
  EXPECT_EQ(res.pool_size, first_->report.pool_size);
  EXPECT_FALSE(res.all_pool_resumed);
  ASSERT_EQ(res.fractions.size(), 1U);
  const FractionResult& r = res.fractions[0];
  EXPECT_FALSE(r.resumed);
  EXPECT_EQ(r.dir, o.out / "f0.5");
  EXPECT_EQ(r.n_max, static_cast<std::size_t>(std::llround(0.5 * static_cast<double>(res.pool_size))));
  EXPECT_EQ(r.selected.size(), r.n_max);
  ASSERT_EQ(r.report.methods.size(), 3U);
  EXPECT_EQ(r.report.methods[0].name, "autoopt");
  EXPECT_EQ(r.report.methods[1].name, "all-pool");
  EXPECT_EQ(r.report.methods[2].name, "random");
  EXPECT_EQ(r.report.methods[1].train_samples, res.pool_size);
  EXPECT_EQ(r.report.methods[2].train_samples, r.n_max);
  EXPECT_DOUBLE_EQ(r.delay_mape_lost,
                   r.report.methods[0].table.back().delay_mape - r.report.methods[1].table.back().delay_mape);
  EXPECT_DOUBLE_EQ(r.random_delay_mape_lost, r.random_delay_mape - r.all_pool_delay_mape);
  for (const char* f : {"selected.csv", "table2.csv", "summary.txt", "result.txt", "report/report.html",
                        "models/autoopt/table.csv", "models/random/table.csv"}) {
    EXPECT_TRUE(fs::is_regular_file(r.dir / f)) << f;
  }
  for (const char* f : {"optimize.txt", "models/all-pool/table.csv", "models/all-pool/state.txt"}) {
    EXPECT_TRUE(fs::is_regular_file(o.out / f)) << f;
  }

  // Rerun: the fraction is read back, the all-pool model reused.
  const OptimizeResult again = optimize_dataset(o);
  EXPECT_TRUE(again.all_pool_resumed);
  ASSERT_EQ(again.fractions.size(), 1U);
  EXPECT_TRUE(again.fractions[0].resumed);
  EXPECT_EQ(again.fractions[0].selected, r.selected);
  EXPECT_DOUBLE_EQ(again.fractions[0].autoopt_delay_mape, r.autoopt_delay_mape);
  EXPECT_DOUBLE_EQ(again.fractions[0].all_pool_delay_mape, r.all_pool_delay_mape);

  // Other settings into the same folder are refused, naming the file.
  OptimizeOptions other = o;
  other.settings.seed += 1;
  try {
    (void)optimize_dataset(other);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("optimize.txt"), std::string::npos) << e.what();
  }

  o.fractions = {0.05};  // fewer than the seeds
  try {
    (void)optimize_dataset(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--fraction"), std::string::npos) << e.what();
  }
  o.fractions = {0.5, 0.5};
  try {
    (void)optimize_dataset(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("given twice"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fraction_folder(0.25), "f0.25");
  EXPECT_EQ(fraction_folder(0.1), "f0.1");
}

// ---- configuration -----------------------------------------------------------------------------

std::string config_error(const std::string& text) {
  try {
    (void)run_config_from(gen::ConfigFile::parse(text, "bad.conf"));
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RunConfig, BadValuesNameTheKey) {
  EXPECT_NE(config_error("n_max: -3\n").find("bad.conf:1: key 'n_max'"), std::string::npos) << config_error("n_max: -3\n");
  EXPECT_NE(config_error("pool_size: 10\nr_iter: 2\n").find("bad.conf:2: key 'r_iter'"), std::string::npos);
  EXPECT_NE(config_error("pool_sise: 10\n").find("pool_sise"), std::string::npos);
  const std::string big = config_error("pool_size: 10\nn_max: 20\n");
  EXPECT_NE(big.find("bad.conf:2: key 'n_max'"), std::string::npos) << big;
  EXPECT_NE(big.find("exceeds the pool size 10"), std::string::npos) << big;
  EXPECT_NE(config_error("baselines: random, fancy\n").find("unknown baseline 'fancy'"), std::string::npos);
  EXPECT_NE(config_error("influence: slow\n").find("key 'influence'"), std::string::npos);
  EXPECT_NE(config_error("baselines: quickstart\n").find("quickstart_config"), std::string::npos);
  EXPECT_NE(config_error("seed_clusters: 5\nseeds_per_cluster: 5\n").find("key 'seed_clusters'"), std::string::npos);
  EXPECT_EQ(config_error("n_max: 5\nbaselines: none\n"), "no error");
  EXPECT_NE(config_error("delay_loss: mse\n").find("key 'delay_loss'"), std::string::npos);
  EXPECT_NE(config_error("occupancy_scale: big\n").find("key 'occupancy_scale'"), std::string::npos);
}

TEST(RunConfig, LossAndScaleReachTheModelSettingsAndTheFingerprint) {
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_EQ(model_settings(d).fit.delay_loss, model::DelayLoss::mape);
  EXPECT_EQ(model_settings(d).fit.occupancy_scale, model::OccupancyScale::automatic);
  // Defaults add nothing to the fingerprint (older run folders still resume).
  EXPECT_EQ(d.fingerprint().find("delay_loss"), std::string::npos);
  const RunConfig c =
      run_config_from(gen::ConfigFile::parse("n_max: 5\ndelay_loss: log_mse\noccupancy_scale: packet\n", "c.conf"));
  EXPECT_EQ(model_settings(c).fit.delay_loss, model::DelayLoss::log_mse);
  EXPECT_EQ(model_settings(c).fit.occupancy_scale, model::OccupancyScale::packet);
  EXPECT_NE(c.fingerprint(), d.fingerprint());
  EXPECT_NE(c.fingerprint().find("delay_loss=log_mse"), std::string::npos);
  const RunConfig t = load_run_config(find_preset("testbed", kConfigs.parent_path()));
  EXPECT_EQ(t.delay_loss, "log_mse");
  EXPECT_EQ(t.occupancy_scale, "labels");  // with the softplus head the labels scale trains (docs/gnnet2023.md)
  EXPECT_EQ(t.occupancy_head, "softplus");
  EXPECT_EQ(t.lr_schedule, "cosine");
  EXPECT_EQ(t.final_budget, "steps");
  EXPECT_GT(t.weight_decay, 0.0);  // 88 scenarios overfit without it (docs/optimize.md)
  EXPECT_GT(t.weight_decay_reference, 0.0);
  EXPECT_GE(t.final_repeats, 2);
  EXPECT_GT(t.mape_epochs, 0);
  EXPECT_LE(t.mape_epochs, t.final_epochs);
  EXPECT_TRUE(model_settings(t).config.positive_occupancy);
  EXPECT_EQ(t.influence_threshold, "relative");  // docs/optimize.md: the fast influence of small filters
  EXPECT_EQ(filter_options(model_settings(t)).fit.lr_schedule, model::LrSchedule::constant);
}

TEST(RunConfig, CapacityInputReachesTheModelAndTheFingerprint) {
  // Default: the link embedding does not read the capacity (the public RouteNet-Fermi's inputs); the
  // fingerprint says so, so a run folder whose models read it (made before the key) does not resume.
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_FALSE(d.capacity_input);
  EXPECT_FALSE(model_settings(d).config.capacity_input);
  EXPECT_NE(d.fingerprint().find("capacity_input=0\n"), std::string::npos) << d.fingerprint();
  const RunConfig c = run_config_from(gen::ConfigFile::parse("n_max: 5\ncapacity_input: yes\n", "c.conf"));
  EXPECT_TRUE(model_settings(c).config.capacity_input);
  EXPECT_EQ(c.fingerprint().find("capacity_input"), std::string::npos) << c.fingerprint();
  EXPECT_NE(config_error("capacity_input: maybe\n").find("capacity_input"), std::string::npos);
  // The testbed preset keeps the input it was measured with (every scenario has the same link
  // capacities, so there is no range to extrapolate); the paper preset generalises across sizes.
  EXPECT_TRUE(load_run_config(find_preset("testbed", kConfigs.parent_path())).capacity_input);
  EXPECT_FALSE(load_run_config(find_preset("paper", kConfigs.parent_path())).capacity_input);
}

TEST(RunConfig, QueueMessagesReachTheModelAndTheFingerprint) {
  // Default: load-weighted; the fingerprint says so, so a folder made with plain sums (before the key)
  // does not resume with other models, while an explicit `sum` matches such a folder.
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_EQ(d.queue_messages, "load");
  EXPECT_TRUE(model_settings(d).config.load_weighted_messages);
  EXPECT_NE(d.fingerprint().find("queue_messages=load\n"), std::string::npos) << d.fingerprint();
  const RunConfig c = run_config_from(gen::ConfigFile::parse("n_max: 5\nqueue_messages: sum\n", "c.conf"));
  EXPECT_FALSE(model_settings(c).config.load_weighted_messages);
  EXPECT_EQ(c.fingerprint().find("queue_messages"), std::string::npos) << c.fingerprint();
  EXPECT_NE(config_error("queue_messages: mean\n").find("key 'queue_messages'"), std::string::npos);
  // The testbed preset keeps the plain sums its Table IV runs were measured with.
  EXPECT_EQ(load_run_config(find_preset("testbed", kConfigs.parent_path())).queue_messages, "sum");
}

TEST(RunConfig, WeightDecayAndFinalRepeats) {
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_EQ(model_settings(d).fit.weight_decay, 0.0);
  EXPECT_EQ(d.final_repeats, 1);
  for (const char* key : {"weight_decay", "final_repeats"})  // (weight_decay_reference contains weight_decay)
    EXPECT_EQ(d.fingerprint().find(key), std::string::npos) << key;  // defaults: older folders resume
  const RunConfig c =
      run_config_from(gen::ConfigFile::parse("n_max: 5\nweight_decay: 0.5\nweight_decay_reference: 88\nfinal_repeats: 3\n", "c.conf"));
  EXPECT_EQ(model_settings(c).fit.weight_decay, 0.5);
  EXPECT_EQ(model_settings(c).fit.weight_decay_reference, 88.0);
  EXPECT_DOUBLE_EQ(model::effective_weight_decay(model_settings(c).fit, 880), 0.05);  // 0.5 x 88 / 880
  EXPECT_DOUBLE_EQ(model::effective_weight_decay(model_settings(d).fit, 880), 0.0);
  EXPECT_NE(c.fingerprint().find("weight_decay_reference=88\n"), std::string::npos) << c.fingerprint();
  EXPECT_NE(config_error("weight_decay_reference: -3\n").find("key 'weight_decay_reference'"), std::string::npos);
  EXPECT_EQ(filter_options(model_settings(c)).fit.weight_decay, 0.5);  // the filter models train alike
  EXPECT_EQ(c.final_repeats, 3);
  EXPECT_NE(c.fingerprint().find("weight_decay=0.5\n"), std::string::npos) << c.fingerprint();
  EXPECT_NE(c.fingerprint().find("final_repeats=3\n"), std::string::npos) << c.fingerprint();
  EXPECT_NE(config_error("weight_decay: -1\n").find("key 'weight_decay'"), std::string::npos);
  EXPECT_NE(config_error("final_repeats: 0\n").find("key 'final_repeats'"), std::string::npos);
}

TEST(RunConfig, ScheduleMapePhaseAndFinalBudget) {
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_EQ(model_settings(d).fit.lr_schedule, model::LrSchedule::constant);
  EXPECT_EQ(model_settings(d).fit.mape_epochs, 0);
  EXPECT_EQ(d.final_budget, "epochs");
  for (const char* key : {"lr_schedule", "mape_epochs", "final_budget"})
    EXPECT_EQ(d.fingerprint().find(key), std::string::npos) << key;  // defaults: older folders resume
  const RunConfig c = run_config_from(gen::ConfigFile::parse(
      "n_max: 5\nfinal_epochs: 10\nlr_schedule: cosine\nmape_epochs: 4\nfinal_budget: steps\n", "c.conf"));
  EXPECT_EQ(model_settings(c).fit.lr_schedule, model::LrSchedule::cosine);
  EXPECT_EQ(model_settings(c).fit.mape_epochs, 4);
  EXPECT_NE(c.fingerprint().find("lr_schedule=cosine\nmape_epochs=4\nfinal_budget=steps\n"), std::string::npos)
      << c.fingerprint();
  EXPECT_FALSE(model_settings(d).config.positive_occupancy);
  EXPECT_TRUE(model_settings(run_config_from(gen::ConfigFile::parse("occupancy_head: softplus\n", "s.conf")))
                  .config.positive_occupancy);
  EXPECT_NE(config_error("occupancy_head: relu\n").find("key 'occupancy_head'"), std::string::npos);
  EXPECT_NE(config_error("lr_schedule: step\n").find("key 'lr_schedule'"), std::string::npos);
  EXPECT_NE(config_error("final_budget: time\n").find("key 'final_budget'"), std::string::npos);
  const std::string over = config_error("final_epochs: 3\nmape_epochs: 4\n");
  EXPECT_NE(over.find("bad.conf:2: key 'mape_epochs'"), std::string::npos) << over;
  EXPECT_NE(over.find("exceeds final_epochs = 3"), std::string::npos) << over;

  // A shorter or longer training keeps the share of its MAPE phase (at least one epoch).
  const model::FitOptions f = model_settings(c).fit;
  EXPECT_EQ(model::with_epochs(f, 20).mape_epochs, 8);
  EXPECT_EQ(model::with_epochs(f, 20).epochs, 20);
  EXPECT_EQ(model::with_epochs(f, 5).mape_epochs, 2);
  EXPECT_EQ(model::with_epochs(f, 1).mape_epochs, 1);
  EXPECT_EQ(model::with_epochs(model_settings(d).fit, 7).mape_epochs, 0);
  // The filter model's short trainings too (filter_epochs 4 of final_epochs 10: 2 of 4 rounded).
  EXPECT_EQ(filter_options(model_settings(c)).fit.mape_epochs, 2);
  EXPECT_EQ(filter_options(model_settings(c)).fit.epochs, 4);
  EXPECT_EQ(filter_options(model_settings(c)).min_steps, 0);
  const RunConfig m = run_config_from(gen::ConfigFile::parse("n_max: 5\nfilter_min_steps: 120\n", "m.conf"));
  EXPECT_EQ(filter_options(model_settings(m)).min_steps, 120);
  EXPECT_NE(m.fingerprint().find("filter_min_steps=120\n"), std::string::npos);
  // The filter models' own schedule (default: the final models').
  EXPECT_EQ(filter_options(model_settings(c)).fit.lr_schedule, model::LrSchedule::cosine);
  const RunConfig fc = run_config_from(
      gen::ConfigFile::parse("n_max: 5\nlr_schedule: cosine\nfilter_lr_schedule: constant\n", "fc.conf"));
  EXPECT_EQ(filter_options(model_settings(fc)).fit.lr_schedule, model::LrSchedule::constant);
  EXPECT_EQ(model_settings(fc).fit.lr_schedule, model::LrSchedule::cosine);
  EXPECT_NE(fc.fingerprint().find("filter_lr_schedule=constant\n"), std::string::npos);
  EXPECT_EQ(d.fingerprint().find("filter_lr_schedule"), std::string::npos);
  EXPECT_NE(config_error("filter_lr_schedule: step\n").find("key 'filter_lr_schedule'"), std::string::npos);

  // Equal optimiser steps: 878 samples in batches of 8 are 110 steps an epoch, 88 samples 11.
  EXPECT_EQ(step_matched_epochs(8, 878, 88, 8), 80);
  EXPECT_EQ(step_matched_epochs(8, 878, 220, 8), 32);   // 28 steps an epoch: 880 / 28 = 31.4 -> 32
  EXPECT_EQ(step_matched_epochs(8, 100, 100, 8), 8);    // the whole pool: unchanged
  EXPECT_EQ(step_matched_epochs(3, 10, 9, 4), 3);       // the same batches an epoch (3): unchanged
  EXPECT_EQ(step_matched_epochs(2, 1000, 1, 1), 2000);
  EXPECT_THROW((void)step_matched_epochs(8, 100, 0, 8), Error);
  EXPECT_THROW((void)step_matched_epochs(8, 100, 10, 0), Error);
}

TEST(RunConfig, InfluenceThresholdReachesStage2AndTheFingerprint) {
  const RunConfig d = run_config_from(gen::ConfigFile::parse("n_max: 5\n", "d.conf"));
  EXPECT_EQ(stage2_settings(d).incremental.threshold, opt::InfluenceThreshold::absolute);
  EXPECT_EQ(d.fingerprint().find("influence_threshold"), std::string::npos);  // older folders resume
  const RunConfig r = run_config_from(
      gen::ConfigFile::parse("n_max: 5\ninfluence_threshold: relative\ninfluence_mad_k: 2.5\n", "r.conf"));
  EXPECT_EQ(stage2_settings(r).incremental.threshold, opt::InfluenceThreshold::relative);
  EXPECT_DOUBLE_EQ(stage2_settings(r).incremental.mad_k, 2.5);
  EXPECT_NE(r.fingerprint().find("influence_threshold=relative\ninfluence_mad_k=2.5\n"), std::string::npos)
      << r.fingerprint();
  EXPECT_NE(config_error("influence_threshold: median\n").find("key 'influence_threshold'"), std::string::npos);
  EXPECT_NE(config_error("influence_mad_k: -1\n").find("key 'influence_mad_k'"), std::string::npos);
}

TEST(RunConfig, OverridesAreCheckedAndChangeTheFingerprint) {
  RunConfig c = run_config_from(gen::ConfigFile::parse("pool_size: 20\nn_max: 10\n", "x.conf"));
  const std::string fp = c.fingerprint();
  RunOverrides o;
  o.threads = 2;
  o.device = "cpu";
  apply_overrides(c, o);
  EXPECT_EQ(c.fingerprint(), fp);  // threads and device are not part of the identity
  o.seed = 7;
  apply_overrides(c, o);
  EXPECT_NE(c.fingerprint(), fp);
  o.n_max = 30;
  try {
    apply_overrides(c, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("command line"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("n_max"), std::string::npos) << e.what();
  }
}

TEST(RunConfig, PresetsLoadAndResolvePaths) {
  const fs::path quick = find_preset("quick", kConfigs.parent_path() / "build" / "drivers");
  const RunConfig q = load_run_config(quick);
  EXPECT_EQ(q.name, "quick");
  EXPECT_LE(q.n_max, 20U);
  EXPECT_LE(q.max_nodes, 8);
  EXPECT_TRUE(q.val.empty());
  EXPECT_TRUE(fs::is_regular_file(q.generator_config)) << q.generator_config;
  EXPECT_TRUE(fs::is_regular_file(q.rules)) << q.rules;
  EXPECT_TRUE(fs::is_regular_file(q.quickstart_config)) << q.quickstart_config;
  const RunConfig p = load_run_config(find_preset("paper", kConfigs.parent_path()));
  EXPECT_EQ(p.n_max, 100U);
  EXPECT_EQ(p.max_nodes, 10);
  EXPECT_EQ(p.baselines.size(), 3U);
  EXPECT_THROW((void)find_preset("Bad/Name", kConfigs), Error);
  try {
    (void)find_preset("nonexistent", kConfigs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run-nonexistent.conf not found"), std::string::npos) << e.what();
  }
}

// ---- helpers ------------------------------------------------------------------------------------

TEST(Stage2Helpers, RandomSelectionIsSeededAndDistinct) {
  const auto a = random_selection(50, 10, 4);
  EXPECT_EQ(a, random_selection(50, 10, 4));
  EXPECT_NE(a, random_selection(50, 10, 5));
  EXPECT_EQ(std::set<std::size_t>(a.begin(), a.end()).size(), 10U);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_LT(a.back(), 50U);
  EXPECT_EQ(random_selection(5, 5, 1).size(), 5U);
  EXPECT_THROW((void)random_selection(3, 4, 1), Error);
}

TEST(Stage2Helpers, OracleTakesTheHighestLosses) {
  const std::vector<double> losses = {0.1, 0.9, 0.3, 0.9, 0.05, 0.5};
  EXPECT_EQ(oracle_selection(losses, 3), (std::vector<std::size_t>{1, 3, 5}));
  EXPECT_EQ(oracle_selection(losses, 1), (std::vector<std::size_t>{1}));  // ties: lower id first
  EXPECT_THROW((void)oracle_selection(losses, 7), Error);
}

// The iteration log names the subsets the filter model's MAPE is on (smallest_subset keeps val_subset
// samples), so that its figures are not read as the final models' figures on the whole set.
TEST(Stage2Helpers, IterationLineNamesTheSubsetsOfItsMapes) {
  EXPECT_EQ(subset_label("test", 100, 878), "test (the 100 smallest of 878)");
  EXPECT_EQ(subset_label("val", 100, 100), "val");
  EXPECT_EQ(subset_label("val", 0, 0), "val");
  opt::IterationLog l;
  l.iteration = 2;
  l.train_size = 88;
  l.added_easy = 1;
  l.validation_mape = 0.4892;
  l.pool_left = 789;
  const std::string plain = iteration_line(l, 88, 12.4);
  EXPECT_NE(plain.find("|D_tra| 88/88 (+1 easy, +0 hard;"), std::string::npos) << plain;
  EXPECT_NE(plain.find(") val delay MAPE 48.92%; pool left 789; 12 s"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("test"), std::string::npos) << plain;  // no test MAPE, no test column
  l.test_mape = 0.4069;
  const std::string named = iteration_line(l, 88, 12.4, subset_label("val", 100, 100), subset_label("test", 100, 878));
  EXPECT_NE(named.find(") val delay MAPE 48.92%, test (the 100 smallest of 878) 40.69%; pool left 789"),
            std::string::npos)
      << named;
}

TEST(Stage2Helpers, StageFilesRoundTrip) {
  const fs::path dir = temp_dir("state");
  StateFile f;
  f.add_ids("ids", std::vector<std::size_t>{3, 1, 4});
  f.add("reason", "tab\there\nnewline");
  f.add("reason", "second");
  f.add_double("x", 0.1);
  f.write(dir / "s.txt");
  const StateFile g = StateFile::read(dir / "s.txt");
  EXPECT_EQ(g.ids("ids"), (std::vector<std::size_t>{3, 1, 4}));
  EXPECT_EQ(g.all("reason"), (std::vector<std::string>{"tab here newline", "second"}));
  EXPECT_EQ(g.number("x"), 0.1);
  EXPECT_THROW((void)g.get("missing"), Error);

  model::SizeRow r;
  r.nodes = 50;
  r.samples = 3;
  r.paths = 120;
  r.delay_paths = 118;
  r.jitter_paths = 110;
  r.loss_paths = 119;
  r.delay_mape = 0.0123456789012345;
  r.jitter_mape = 0.2;
  r.loss_mae = 1e-3;
  const model::SizeRow back = parse_size_row(size_row_line(r));
  EXPECT_EQ(back.nodes, 50);
  EXPECT_EQ(back.delay_paths, 118);
  EXPECT_EQ(back.loss_paths, 119);
  EXPECT_EQ(back.delay_mape, r.delay_mape);
  opt::IterationLog it;
  it.iteration = 2;
  it.train_size = 9;
  it.validation_mape = 0.07;
  it.pool_left = 30;
  EXPECT_FALSE(parse_iteration_row(iteration_row_line(it)).test_mape.has_value());
  it.test_mape = 0.08;
  const auto it2 = parse_iteration_row(iteration_row_line(it));
  EXPECT_EQ(it2.test_mape, 0.08);
  EXPECT_EQ(it2.pool_left, 30U);

  const std::vector<float> emb = {1.5F, -2.0F, 3.25F, 1e-7F, 0.0F, 7.0F};
  write_embeddings(dir / "e.txt", emb, 3);
  std::size_t dim = 0;
  EXPECT_EQ(read_embeddings(dir / "e.txt", dim), emb);
  EXPECT_EQ(dim, 3U);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoopt::pipeline
