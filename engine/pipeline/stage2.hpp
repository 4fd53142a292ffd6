// The pieces `autoopt run` and `autoopt optimize` share: loading datasets, the validation subset,
// training and evaluating a method's model (the same harness for AutoOPT and every baseline), Stage 2
// (feature extractor -> embeddings -> seed selection with the expert rules -> incremental
// optimization with the RouteNet-F filter model), the random and oracle baselines' selections, and the
// small text files a run folder keeps its stage results in (written atomically, read back on resume).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/filter_model.hpp"
#include "model/report.hpp"
#include "model/trainer.hpp"
#include "net/sample.hpp"
#include "opt/incremental.hpp"
#include "opt/rules.hpp"
#include "pipeline/run_config.hpp"

namespace autoopt::pipeline {

// ---- data -------------------------------------------------------------------------------------

// Every sample of a dataset (GNNet folder, HDF5 store, .h5 shard, or GNNet 2023 .jsonl(.gz) file or
// folder of them) in the dataset's order. Throws
// autoopt::Error naming `what` (e.g. "--val") when the path is missing, no dataset or empty.
[[nodiscard]] std::vector<net::Sample> load_dataset(const std::filesystem::path& path, const std::string& what,
                                                    bool progress);
// The ok samples of an `autoopt generate` run folder (its shards/ store), sorted by Sample::id (the
// candidate number), so the order does not depend on the ranks that made them.
[[nodiscard]] std::vector<net::Sample> load_generated(const std::filesystem::path& run_dir);
// The `count` smallest samples (node count, then position); count 0 or >= size: all of them, in order.
[[nodiscard]] std::vector<net::Sample> smallest_subset(std::span<const net::Sample> samples, std::size_t count);
// Copies of samples[ids].
[[nodiscard]] std::vector<net::Sample> pick(std::span<const net::Sample> samples, std::span<const std::size_t> ids);

// ---- models -----------------------------------------------------------------------------------

struct ModelSettings {
  model::RouteNetConfig config;
  model::FitOptions fit;  // fit.epochs: the final model's epochs (same for every method)
  int extractor_epochs = 10;
  int filter_epochs = 4;
  int filter_min_steps = 0;  // model::FilterModelOptions::min_steps
  std::optional<model::LrSchedule> filter_lr_schedule;  // unset: fit.lr_schedule
};
[[nodiscard]] ModelSettings model_settings(const RunConfig& config);

struct TrainedModel {
  model::Trainer trainer;
  model::FitReport fit;
  double seconds = 0.0;
};
// A fresh model fitted on `train` with early stopping on `val` (may be empty), `epochs` epochs
// (model::with_epochs of settings.fit).
[[nodiscard]] TrainedModel train_model(std::span<const net::Sample> train, std::span<const net::Sample> val,
                                       const ModelSettings& settings, int epochs);

// Table I of a model on `data` (samples with labels: results, or measured link-path delays): one forward pass per sample, per size then
// overall (EvaluationTable::rows()). `label` names the progress lines.
[[nodiscard]] model::EvaluationTable evaluate_model(model::Trainer& trainer, std::span<const net::Sample> data,
                                                    const std::string& label, bool progress);

// ---- Stage 2 ----------------------------------------------------------------------------------

struct Stage2Settings {
  std::size_t seed_clusters = 2;
  std::size_t seeds_per_cluster = 2;
  opt::IncrementalOptions incremental;      // n_max, r_iter, N_t, N_l, decay, thr_iter, influence, seed
  std::optional<opt::ExpertRules> rules;    // none: every sample passes
};
[[nodiscard]] Stage2Settings stage2_settings(const RunConfig& config);

struct SeedResult {
  std::vector<std::size_t> seeds;          // pool ids, cluster by cluster
  std::vector<std::string> replacements;   // "cand-12 -> cand-30: link_utilization: ..." per VERIFY failure
  std::string backend;                     // "cpu" / "gpu"
};
// Algorithm 1 on the embeddings (n x dim row-major, n = pool.size()) with the expert rules as VERIFY.
[[nodiscard]] SeedResult select_seed_set(std::span<const net::Sample> pool, std::span<const float> embeddings,
                                         std::size_t dim, const Stage2Settings& settings);

class PoolService;  // pipeline/pool_service.hpp

// The filter model's options (architecture, few-epoch training) from the model settings.
[[nodiscard]] model::FilterModelOptions filter_options(const ModelSettings& models);

struct IncrementalOutcome {
  opt::IncrementalResult result;
  std::vector<std::string> dropped;  // one line per sample dropped for good (rules, influence)
};
// Algorithm 2 from the seeds over the rest of the pool, with RouteNetFilter (validation: `val`, test:
// `test`, may be empty) and nearest neighbours in embedding space. on_iteration sees each Table II row.
// With a `service` (rank 0 of run_with_pool_service, built over the same pool and `val` with
// filter_options(models)), the per-sample losses of the pool and the exact influence retrainings are
// shared among the ranks; the selection is the same with or without it, whatever the number of ranks.
[[nodiscard]] IncrementalOutcome run_incremental_stage(
    std::span<const net::Sample> pool, std::span<const net::Sample> val, std::span<const net::Sample> test,
    std::span<const std::size_t> seeds, std::span<const float> embeddings, std::size_t dim,
    const Stage2Settings& settings, const ModelSettings& models,
    const std::function<void(const opt::IterationLog&)>& on_iteration, PoolService* service = nullptr);

// One terminal line per Table II row ("incremental iter 2: |D_tra| 12/16 (+3 easy, +2 hard; ...) <val_label>
// delay MAPE 8.31%, <test_label> 9.02%; ..."; the test part only when the row has a test MAPE).
[[nodiscard]] std::string iteration_line(const opt::IterationLog& row, std::size_t n_max, double elapsed_s,
                                         std::string_view val_label = "val", std::string_view test_label = "test");
// Names the set a filter model's MAPE is measured on: `name` when `subset` is all of `full`, else
// "<name> (the N smallest of M)" (smallest_subset keeps val_subset samples, the smallest networks),
// so that nobody compares the iteration log's MAPE with the final models' MAPE on the whole set.
[[nodiscard]] std::string subset_label(std::string_view name, std::size_t subset, std::size_t full);

// ---- baselines --------------------------------------------------------------------------------

// `k` distinct ids of 0..n-1 drawn uniformly (seeded), ascending.
[[nodiscard]] std::vector<std::size_t> random_selection(std::size_t n, std::size_t k, std::uint64_t seed);
// Oracle-based sampling (our reading of the GNNet 2022 "Ghost Ducks" approach): the k ids with the
// highest loss of a model trained on the whole pool (ties by id), i.e. the samples that model finds
// hardest; ascending by id.
[[nodiscard]] std::vector<std::size_t> oracle_selection(std::span<const double> losses, std::size_t k);

// ---- stage files --------------------------------------------------------------------------------

// A small text file of `key<TAB>value` lines (keys may repeat; tabs/newlines in values become spaces),
// written atomically.
class StateFile {
 public:
  void add(const std::string& key, const std::string& value);
  void add_ids(const std::string& key, std::span<const std::size_t> ids);
  void add_double(const std::string& key, double v);
  void write(const std::filesystem::path& file) const;

  // Reads write()'s form; throws autoopt::Error naming the file.
  [[nodiscard]] static StateFile read(const std::filesystem::path& file);
  [[nodiscard]] bool has(const std::string& key) const;
  // The first value of `key`; throws autoopt::Error naming the file and the key when absent.
  [[nodiscard]] const std::string& get(const std::string& key) const;
  [[nodiscard]] std::vector<std::string> all(const std::string& key) const;
  [[nodiscard]] std::vector<std::size_t> ids(const std::string& key) const;
  [[nodiscard]] double number(const std::string& key) const;

 private:
  std::string file_;
  std::vector<std::pair<std::string, std::string>> lines_;
};

// SizeRow / IterationLog as one line each (lossless numbers) and back.
[[nodiscard]] std::string size_row_line(const model::SizeRow& r);
[[nodiscard]] model::SizeRow parse_size_row(const std::string& line);
[[nodiscard]] std::string iteration_row_line(const opt::IterationLog& r);
[[nodiscard]] opt::IterationLog parse_iteration_row(const std::string& line);
// The Table II rows as CSV (the columns of opt::IterationLog; MAPEs in percent).
[[nodiscard]] std::string iterations_csv(std::span<const opt::IterationLog> rows);

// Embeddings: "<n> <dim>\n" then n*dim floats as text (round-trip), written atomically.
void write_embeddings(const std::filesystem::path& file, std::span<const float> values, std::size_t dim);
[[nodiscard]] std::vector<float> read_embeddings(const std::filesystem::path& file, std::size_t& dim);

}  // namespace autoopt::pipeline
