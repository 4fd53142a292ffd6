// The indicator report (see indicator_report.hpp).
#include "gen/indicator_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "gen/json.hpp"
#include "gen/svg.hpp"
#include "io/archive.hpp"
#include "net/error.hpp"

namespace autoopt::gen {

namespace {

namespace fs = std::filesystem;

// The distance table; without a reference, every row has reference count 0 and NaN distances.
DistanceTable table_of(const IndicatorSet& cand, const IndicatorSet* ref) {
  return compare_indicators(cand, ref != nullptr ? *ref : IndicatorSet{});
}

std::string num(double v) {  // CSV/JSON number, %.6g; NaN/inf -> ""
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_num(double v) {
  const std::string s = num(v);
  return s.empty() ? "null" : s;
}

std::string json_stats(const ValueStats& s) {
  return "{\"count\":" + std::to_string(s.count) + ",\"mean\":" + json_num(s.mean) + ",\"stddev\":" +
         json_num(s.stddev) + ",\"min\":" + json_num(s.min) + ",\"p10\":" + json_num(s.p10) +
         ",\"median\":" + json_num(s.median) + ",\"p90\":" + json_num(s.p90) + ",\"max\":" + json_num(s.max) + "}";
}

std::string json_set(const IndicatorSet& set, const std::string& label) {
  std::string sizes = "{";
  bool first = true;
  for (const auto& [n, c] : set.sizes()) {
    sizes += (first ? "\"" : ",\"") + std::to_string(n) + "\":" + std::to_string(c);
    first = false;
  }
  sizes += "}";
  return "{\"label\":" + json_string(label) + ",\"samples\":" + std::to_string(set.samples()) +
         ",\"samples_without_results\":" + std::to_string(set.samples_without_results()) +
         ",\"undelivered_paths\":" + std::to_string(set.undelivered_paths()) + ",\"sizes\":" + sizes + "}";
}

// Per-indicator plot choices.
double clip_of(Indicator id) {
  switch (id) {
    case Indicator::LinkUtilization:
    case Indicator::LinkLoss:
    case Indicator::PathLoss:
    case Indicator::PathLength:
    case Indicator::NodeDegree: return 0.0;  // bounded or discrete: show everything
    default: return 0.001;
  }
}

std::string x_label(const IndicatorInfo& info) {
  return std::string(info.title) + (info.unit == "1" ? "" : " (" + std::string(info.unit) + ")");
}

// Every indicator's values, sorted once: the page draws each distribution in two to three plots,
// and sorting millions of path values again for every plot dominated the report's time.
class SortedValues {
 public:
  SortedValues(const IndicatorSet& cand, const IndicatorSet* ref) : has_ref_(ref != nullptr) {
    for (const IndicatorInfo& info : indicator_catalog()) {
      cand_.push_back(sorted_copy(cand.values(info.id)));
      ref_.push_back(ref != nullptr ? sorted_copy(ref->values(info.id)) : std::vector<double>{});
    }
  }
  [[nodiscard]] std::vector<svg::Series> series(Indicator id, const ReportLabels& labels) const {
    const std::size_t k = index_of(id);
    std::vector<svg::Series> out;
    out.push_back({labels.candidates, cand_[k]});
    if (has_ref_) out.push_back({labels.reference, ref_[k]});
    return out;
  }

 private:
  static std::vector<double> sorted_copy(std::span<const double> v) {
    std::vector<double> out(v.begin(), v.end());
    std::sort(out.begin(), out.end());  // NaN-free: indicators are finite (IndicatorSet::add checks)
    return out;
  }
  static std::size_t index_of(Indicator id) {
    const auto catalog = indicator_catalog();
    for (std::size_t k = 0; k < catalog.size(); ++k) {
      if (catalog[k].id == id) return k;
    }
    throw Error("indicator report: indicator missing from the catalogue");
  }
  bool has_ref_;
  std::vector<std::vector<double>> cand_, ref_;
};

std::string plot_series(bool cdf, Indicator id, std::span<const svg::Series> series,
                        const std::string& title_prefix) {
  const IndicatorInfo& info = indicator_info(id);
  svg::PlotOptions o;
  o.title = title_prefix + std::string(info.title) + (cdf ? " - CDF" : " - histogram");
  o.x_label = x_label(info);
  // Loss ratios are mostly exactly 0: their histograms show the positive values on a log axis
  // (the legend counts the zeros left out); their CDFs keep a linear axis with the zeros.
  const bool loss = id == Indicator::LinkLoss || id == Indicator::PathLoss;
  o.log_x = info.log_scale || (loss && !cdf);
  o.clip = loss && !cdf ? 0.001 : clip_of(id);
  return cdf ? svg::cdf_plot(series, o) : svg::histogram_plot(series, o);
}

std::string plot(bool cdf, Indicator id, const SortedValues& values, const ReportLabels& labels,
                 const std::string& title_prefix = "") {
  const auto series = values.series(id, labels);
  return plot_series(cdf, id, series, title_prefix);
}

std::string set_line(const IndicatorSet& set, const std::string& label) {
  std::string sizes;
  for (const auto& [n, c] : set.sizes()) {
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(c) + " x " + std::to_string(n) + " nodes";
  }
  return "<li><b>" + svg::escape(label) + "</b>: " + std::to_string(set.samples()) + " samples (" +
         svg::escape(sizes.empty() ? "none" : sizes) + "); " + std::to_string(set.undelivered_paths()) +
         " paths without delivered packets; " + std::to_string(set.samples_without_results()) +
         " samples without results</li>\n";
}

std::string td(const std::string& s, bool right = true) {
  return std::string(right ? "<td class=\"n\">" : "<td>") + svg::escape(s) + "</td>";
}

std::string shown(double v) {
  const std::string s = num(v);
  return s.empty() ? "-" : s;
}

std::string csv_of(const DistanceTable& t) {
  std::string out =
      "indicator,unit,scope,n_candidates,n_reference,mean_candidates,mean_reference,median_candidates,"
      "median_reference,p10_candidates,p10_reference,p90_candidates,p90_reference,wasserstein1,"
      "wasserstein1_scaled,ks\n";
  for (const IndicatorDistance& r : t.rows) {
    const IndicatorInfo& info = indicator_info(r.id);
    out += std::string(info.name) + ',' + std::string(info.unit) + ',' + std::string(to_string(info.scope)) + ',' +
           std::to_string(r.candidates.count) + ',' + std::to_string(r.reference.count) + ',' +
           num(r.candidates.mean) + ',' + num(r.reference.mean) + ',' + num(r.candidates.median) + ',' +
           num(r.reference.median) + ',' + num(r.candidates.p10) + ',' + num(r.reference.p10) + ',' +
           num(r.candidates.p90) + ',' + num(r.reference.p90) + ',' + num(r.wasserstein) + ',' +
           num(r.wasserstein_scaled) + ',' + num(r.ks) + '\n';
  }
  return out;
}

std::string json_of(const IndicatorSet& cand, const IndicatorSet* ref, const ReportLabels& labels,
                    const DistanceTable& t) {
  std::string out = "{\"title\":" + json_string(labels.title) + ",\"candidates\":" + json_set(cand, labels.candidates) +
                    ",\"reference\":" + (ref != nullptr ? json_set(*ref, labels.reference) : std::string("null")) +
                    ",\"indicators\":[";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const IndicatorDistance& r = t.rows[i];
    const IndicatorInfo& info = indicator_info(r.id);
    out += std::string(i ? "," : "") + "\n{\"name\":" + json_string(info.name) + ",\"title\":" +
           json_string(info.title) + ",\"unit\":" + json_string(info.unit) + ",\"scope\":" +
           json_string(to_string(info.scope)) + ",\"scale_free\":" + (info.scale_free ? "true" : "false") +
           ",\"candidates\":" + json_stats(r.candidates) +
           ",\"reference\":" + (ref != nullptr ? json_stats(r.reference) : std::string("null")) +
           ",\"comparable\":" + (r.comparable ? "true" : "false") + ",\"wasserstein1\":" + json_num(r.wasserstein) +
           ",\"wasserstein1_scaled\":" + json_num(r.wasserstein_scaled) + ",\"ks\":" + json_num(r.ks) + "}";
  }
  out += "\n],\"summary\":";
  if (ref == nullptr) {
    out += "null";
  } else {
    out += "{\"comparable\":" + std::to_string(t.summary.comparable) + ",\"mean_ks\":" + json_num(t.summary.mean_ks) +
           ",\"max_ks\":" + json_num(t.summary.max_ks) + ",\"worst\":" +
           (t.summary.comparable > 0 ? json_string(indicator_info(t.summary.worst).name) : std::string("null")) +
           ",\"mean_wasserstein1_scaled\":" + json_num(t.summary.mean_wasserstein_scaled) + "}";
  }
  out += "}\n";
  return out;
}

std::string text_of(const IndicatorSet* ref, const DistanceTable& t) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-18s %9s %9s %11s %11s %11s %9s %7s\n", "indicator", "n_cand", "n_ref",
                "median_cand", "median_ref", "W1", "W1/sd", "KS");
  out += buf;
  for (const IndicatorDistance& r : t.rows) {
    std::snprintf(buf, sizeof buf, "%-18s %9zu %9zu %11s %11s %11s %9s %7s\n",
                  std::string(indicator_info(r.id).name).c_str(), r.candidates.count, r.reference.count,
                  shown(r.candidates.median).c_str(), shown(r.reference.median).c_str(), shown(r.wasserstein).c_str(),
                  shown(r.wasserstein_scaled).c_str(), shown(r.ks).c_str());
    out += buf;
  }
  if (ref != nullptr && t.summary.comparable > 0) {
    std::snprintf(buf, sizeof buf, "summary: %zu indicators compared, mean KS %.4f, max KS %.4f (%s), mean W1/sd %.4f\n",
                  t.summary.comparable, t.summary.mean_ks, t.summary.max_ks,
                  std::string(indicator_info(t.summary.worst).name).c_str(), t.summary.mean_wasserstein_scaled);
    out += buf;
  }
  return out;
}

std::string html_of(const IndicatorSet& cand, const IndicatorSet* ref, const ReportLabels& labels,
                    const DistanceTable& t) {
  std::string h =
      "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
      "<title>" + svg::escape(labels.title) + "</title>\n"
      "<style>\nbody{font-family:sans-serif;margin:24px;color:#222}\n"
      "table{border-collapse:collapse;font-size:13px}\ntd,th{border:1px solid #ccc;padding:3px 8px}\n"
      "th{background:#f2f2f2}\ntd.n{text-align:right;font-family:monospace}\n"
      ".grid{display:flex;flex-wrap:wrap;gap:12px}\n.grid svg{border:1px solid #ddd}\n"
      "dt{font-weight:bold;margin-top:6px}\n</style>\n</head>\n<body>\n";
  h += "<h1>" + svg::escape(labels.title) + "</h1>\n<ul>\n" + set_line(cand, labels.candidates);
  if (ref != nullptr) h += set_line(*ref, labels.reference);
  h += "</ul>\n";

  // Distance table.
  h += "<h2>Distances per indicator</h2>\n";
  if (ref == nullptr) h += "<p>No reference set given: statistics of the candidates only.</p>\n";
  h += "<table>\n<tr><th>indicator</th><th>unit</th><th>n " + svg::escape(labels.candidates) + "</th><th>n " +
       svg::escape(labels.reference) + "</th><th>median " + svg::escape(labels.candidates) + "</th><th>median " +
       svg::escape(labels.reference) + "</th><th>W1</th><th>W1 / sd(ref)</th><th>KS</th></tr>\n";
  for (const IndicatorDistance& r : t.rows) {
    const IndicatorInfo& info = indicator_info(r.id);
    h += "<tr>" + td(std::string(info.name), false) + td(std::string(info.unit), false) +
         td(std::to_string(r.candidates.count)) + td(std::to_string(r.reference.count)) +
         td(shown(r.candidates.median)) + td(shown(r.reference.median)) + td(shown(r.wasserstein)) +
         td(shown(r.wasserstein_scaled)) + td(shown(r.ks)) + "</tr>\n";
  }
  h += "</table>\n";
  if (ref != nullptr && t.summary.comparable > 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%zu indicators compared: mean KS %.4f, max KS %.4f (%s), mean W1/sd %.4f.",
                  t.summary.comparable, t.summary.mean_ks, t.summary.max_ks,
                  std::string(indicator_info(t.summary.worst).name).c_str(), t.summary.mean_wasserstein_scaled);
    h += "<p>" + svg::escape(buf) + "</p>\n";
  }

  // Fig. 7 of the paper: link load CDF; histograms of scale-free path delay, loss and bandwidth.
  h += "<h2>Indicator coverage (AutoOPT Fig. 7 style)</h2>\n<div class=\"grid\">\n";
  const SortedValues sorted(cand, ref);
  h += plot(true, Indicator::LinkUtilization, sorted, labels, "(a) ");
  h += plot(false, Indicator::PathDelayNorm, sorted, labels, "(b) ");
  h += plot(false, Indicator::PathLoss, sorted, labels, "(c) ");
  h += plot(false, Indicator::PathBandwidth, sorted, labels, "(d) ");
  h += "</div>\n";

  h += "<h2>All indicators</h2>\n";
  for (const IndicatorInfo& info : indicator_catalog()) {
    h += "<h3>" + svg::escape(std::string(info.title)) + " <code>" + svg::escape(std::string(info.name)) +
         "</code></h3>\n<div class=\"grid\">\n";
    h += plot(true, info.id, sorted, labels);
    h += plot(false, info.id, sorted, labels);
    h += "</div>\n";
  }

  h += "<h2>Definitions</h2>\n<dl>\n";
  for (const IndicatorInfo& info : indicator_catalog()) {
    h += "<dt>" + svg::escape(std::string(info.name)) + " (" + svg::escape(std::string(to_string(info.scope))) +
         ", unit " + svg::escape(std::string(info.unit)) + ")</dt><dd>" +
         svg::escape(std::string(info.description)) + "</dd>\n";
  }
  h += "</dl>\n<p>W1: 1-Wasserstein distance between the empirical distributions, in the indicator's unit; "
       "W1 / sd(ref): W1 divided by the reference's standard deviation; KS: the two-sample "
       "Kolmogorov-Smirnov statistic (largest CDF gap). Paths without delivered packets have no delay "
       "indicators.</p>\n</body>\n</html>\n";
  return h;
}

}  // namespace

std::string indicator_report_csv(const IndicatorSet& cand, const IndicatorSet* ref) {
  return csv_of(table_of(cand, ref));
}

std::string indicator_report_json(const IndicatorSet& cand, const IndicatorSet* ref, const ReportLabels& labels) {
  return json_of(cand, ref, labels, table_of(cand, ref));
}

std::string indicator_report_text(const IndicatorSet& cand, const IndicatorSet* ref) {
  return text_of(ref, table_of(cand, ref));
}

std::string indicator_report_html(const IndicatorSet& cand, const IndicatorSet* ref, const ReportLabels& labels) {
  return html_of(cand, ref, labels, table_of(cand, ref));
}

std::string indicator_plots_svg(Indicator id, std::span<const LabeledIndicatorSet> sets,
                                const std::string& title_prefix) {
  std::vector<std::vector<double>> sorted;  // sorted once for both plots
  std::vector<std::string> names;
  for (const LabeledIndicatorSet& s : sets) {
    if (s.set == nullptr) continue;
    const auto v = s.set->values(id);
    sorted.emplace_back(v.begin(), v.end());
    std::sort(sorted.back().begin(), sorted.back().end());
    names.push_back(s.label);
  }
  std::vector<svg::Series> series;
  for (std::size_t i = 0; i < sorted.size(); ++i) series.push_back({names[i], sorted[i]});
  return plot_series(true, id, series, title_prefix) + plot_series(false, id, series, title_prefix);
}

ReportFiles write_indicator_report(const fs::path& out_dir, const IndicatorSet& cand, const IndicatorSet* ref,
                                   const ReportLabels& labels) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create report folder " + out_dir.string() + ": " + ec.message());
  ReportFiles files{out_dir / "indicators.html", out_dir / "indicators.csv", out_dir / "indicators.json"};
  const DistanceTable t = table_of(cand, ref);  // sorting a million values per indicator: once
  io::write_file_atomic(files.html, html_of(cand, ref, labels, t));
  io::write_file_atomic(files.csv, csv_of(t));
  io::write_file_atomic(files.json, json_of(cand, ref, labels, t));
  return files;
}

}  // namespace autoopt::gen
