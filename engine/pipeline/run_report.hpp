// The report of one `autoopt run` / `autoopt optimize`: a self-contained HTML page (inline SVG, no
// external files) plus CSV/JSON, from plain data the pipeline collected (no libtorch here):
//   - Table I: per topology size, delay MAPE, jitter MAPE and loss MAE of the final model of every
//     method (AutoOPT and the baselines), and a plot of the error against the size;
//   - Table II: one row per incremental-optimization iteration (opt::IterationLog) and a plot of the
//     validation (and test) MAPE against |D_tra|;
//   - the selection: seeds, replacements by the expert rules, samples dropped as OOD;
//   - the indicator plots of the selected samples vs all candidates vs the validation set
//     (gen/indicator_report), and the per-indicator distances;
//   - the wall time of every stage.
// Files are written atomically (temporary name, then rename).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gen/indicators.hpp"
#include "model/report.hpp"
#include "opt/incremental.hpp"

namespace autoopt::pipeline {

// One trained-and-evaluated model: AutoOPT's final model, or a baseline on the same harness.
struct MethodResult {
  std::string name;                        // "autoopt", "random", "quickstart", "oracle", "all-pool", ...
  std::string description;                 // one line: how its training set was chosen
  std::size_t train_samples = 0;           // |training set|
  double train_seconds = 0.0;              // wall time of the final training
  std::vector<model::SizeRow> table;       // EvaluationTable::rows(): per size, then overall (nodes 0)
};

// Wall time of one stage ("generate", "extractor", "seeds", "incremental", "final", "evaluate", ...).
struct StageTime {
  std::string stage;
  double seconds = 0.0;
  bool resumed = false;  // finished by an earlier invocation (its time is from that run)
};

struct RunReportInput {
  std::string title = "autoopt run";
  std::string preset;                      // "quick", "paper", or empty
  std::string command_line;                // how the run was started
  std::string evaluation_set;              // what Table I was measured on (path or description)
  std::vector<StageTime> stages;
  std::vector<MethodResult> methods;       // Table I; the first one is the headline (AutoOPT)
  std::vector<opt::IterationLog> iterations;   // Table II (row 0 = the seeds alone); may be empty
  std::optional<opt::InfluenceAgreement> influence_agreement;
  std::size_t pool_size = 0;               // |D_can|
  std::size_t seed_count = 0;
  std::vector<std::string> seed_replacements;  // one line per rule failure replaced during seeding
  std::vector<std::string> ood_dropped;        // one line per sample dropped (rules or influence)
  // Indicators (any may be absent): all candidates, the selected training set, the validation set.
  std::optional<gen::IndicatorSet> candidates, selected, validation;
  // Multiplies IterationLog::validation_mape / test_mape into percent for Table II: 100 when they
  // are fractions (RouteNetFilter's, as model::SizeRow), 1 when the filter model already gives %.
  double iteration_mape_scale = 100.0;
  // A sentence under Table II naming the sets the iteration MAPEs are measured on (empty: none).
  std::string iteration_sets;
};

struct RunReportFiles {
  std::filesystem::path html;     // report.html
  std::filesystem::path table1;   // table1.csv: method,nodes,samples,paths,delay_mape_pct,jitter_mape_pct,loss_mae
  std::filesystem::path table2;   // table2.csv: the IterationLog columns
  std::filesystem::path json;     // report.json: everything above as JSON
};

// The HTML page as a string (for tests) and the files in `out_dir` (created when missing).
[[nodiscard]] std::string run_report_html(const RunReportInput& input);
[[nodiscard]] std::string table1_csv(const RunReportInput& input);
[[nodiscard]] std::string table2_csv(const RunReportInput& input);
[[nodiscard]] std::string run_report_json(const RunReportInput& input);
// A fixed-width Table I (and Table II when present) for the terminal.
[[nodiscard]] std::string run_report_text(const RunReportInput& input);
RunReportFiles write_run_report(const std::filesystem::path& out_dir, const RunReportInput& input);

}  // namespace autoopt::pipeline
