// The paper's Table IV and Fig. 11 from `autoopt optimize` results: for each dataset and fraction F
// kept, the delay MAPE of the model trained on AutoOPT's selection, on a random selection of the same
// size and on the whole pool, averaged over seeds, with the points each selection loses against the
// whole pool; as CSV, fixed-width text and a self-contained HTML page with SVG plots of the MAPE and of
// the points lost against F. Input rows come from `autoopt optimize` (its <out>/table4.csv, one seed)
// or from bench/bench_table4.sh (results.csv, every dataset and seed); see parse_fraction_runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::opt {

// One `autoopt optimize` fraction of one seed. MAPEs in percent; NaN = that model is missing.
struct FractionRun {
  std::string dataset;
  double fraction = 0.0;     // (0, 1]
  std::uint64_t seed = 0;
  double autoopt_pct = 0.0;
  double random_pct = 0.0;
  double all_pool_pct = 0.0;
};

struct MeanStd {
  double mean = 0.0;
  double std = 0.0;  // population standard deviation over the seeds (0 for one seed)
};

// One row of Table IV: a dataset and a fraction over the seeds whose three MAPEs are all finite.
struct FractionSummary {
  std::string dataset;
  double fraction = 0.0;
  std::size_t seeds = 0;
  MeanStd autoopt, random, all_pool;
  MeanStd autoopt_lost, random_lost;  // points against the all-pool model of the same seed
  std::size_t autoopt_better = 0;     // seeds where AutoOPT's MAPE is below random's
};

// The CSV columns (header names, any order, extra columns ignored): dataset, fraction, seed,
// autoopt_delay_mape_pct, random_delay_mape_pct, all_pool_delay_mape_pct; "nan" or an empty field
// reads as NaN. Throws autoopt::Error naming `source`, the line and the column for a missing column,
// a bad number, a fraction outside (0, 1], or a dataset/fraction/seed given twice.
[[nodiscard]] std::vector<FractionRun> parse_fraction_runs(std::string_view csv, const std::string& source);
// The same format (what parse_fraction_runs reads back). Throws autoopt::Error for a dataset name
// that is empty or holds a comma or a line break.
[[nodiscard]] std::string fraction_runs_csv(std::span<const FractionRun> runs);

// Rows ordered by dataset (first appearance) then fraction; runs with a non-finite MAPE are left out
// (a dataset/fraction with none left has seeds = 0 and NaN figures).
[[nodiscard]] std::vector<FractionSummary> summarize_fraction_runs(std::span<const FractionRun> runs);
[[nodiscard]] std::string fraction_summary_csv(std::span<const FractionSummary> rows);
[[nodiscard]] std::string fraction_summary_text(std::span<const FractionSummary> rows);

struct FractionReportOptions {
  std::string title = "AutoOPT on a real dataset: accuracy against the fraction kept (Table IV)";
  std::string note;              // a paragraph under the title (e.g. the command that made the runs)
  double goal_lost_points = 4.0;  // drawn as a reference line on the points-lost plot; <= 0: none
};

// The HTML page: Table IV (mean ± std over seeds), per-seed figures, and per dataset a plot of the
// delay MAPE against F (AutoOPT, random, all-pool) and of the points lost against F.
[[nodiscard]] std::string fraction_report_html(std::span<const FractionRun> runs, const FractionReportOptions& options);

// Writes table4.html, table4_summary.csv and table4_runs.csv into `dir` (created when missing),
// each atomically. Returns the HTML path.
std::filesystem::path write_fraction_report(const std::filesystem::path& dir, std::span<const FractionRun> runs,
                                            const FractionReportOptions& options);

}  // namespace autoopt::opt
