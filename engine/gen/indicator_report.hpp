// The indicator report: a self-contained HTML page (inline SVG) comparing the indicator
// distributions of candidate samples with a reference set (AutoOPT Fig. 7 style: link-load CDF,
// histograms of scale-free path delay, loss and bandwidth, then every other indicator), with a
// per-indicator distance table; the same table as CSV and JSON. Files are written atomically.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "gen/distance.hpp"
#include "gen/indicators.hpp"

namespace autoopt::gen {

struct ReportLabels {
  std::string title = "Scale-independent indicators";
  std::string candidates = "candidates";  // legend name of the candidate set (e.g. the run folder)
  std::string reference = "reference";    // legend name of the reference set
};

struct ReportFiles {
  std::filesystem::path html, csv, json;
};

// `reference` may be null: then only the candidates are plotted and the distance columns are empty
// (CSV) or null (JSON).
[[nodiscard]] std::string indicator_report_html(const IndicatorSet& candidates, const IndicatorSet* reference,
                                                const ReportLabels& labels);
// One row per indicator: name, unit, counts, mean/median/p10/p90 of both sides, W1, scaled W1, KS.
[[nodiscard]] std::string indicator_report_csv(const IndicatorSet& candidates, const IndicatorSet* reference);
[[nodiscard]] std::string indicator_report_json(const IndicatorSet& candidates, const IndicatorSet* reference,
                                                const ReportLabels& labels);
// A fixed-width table for the terminal.
[[nodiscard]] std::string indicator_report_text(const IndicatorSet& candidates, const IndicatorSet* reference);

// One named set for the multi-set plots below (non-owning; a null set is left out).
struct LabeledIndicatorSet {
  std::string label;
  const IndicatorSet* set = nullptr;
};

// The CDF and the histogram of one indicator with every (non-null) set overlaid in order (colours
// svg::series_color(0), (1), ...), with the same per-indicator axis choices as the report page: two
// <svg> elements to inline in a page. `title_prefix` starts each plot's title (e.g. "(a) ").
[[nodiscard]] std::string indicator_plots_svg(Indicator id, std::span<const LabeledIndicatorSet> sets,
                                              const std::string& title_prefix = "");

// Writes <out_dir>/indicators.html, indicators.csv and indicators.json (creating out_dir).
ReportFiles write_indicator_report(const std::filesystem::path& out_dir, const IndicatorSet& candidates,
                                   const IndicatorSet* reference, const ReportLabels& labels);

}  // namespace autoopt::gen
