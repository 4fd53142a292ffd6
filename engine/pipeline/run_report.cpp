// The report of one `autoopt run` (see run_report.hpp): HTML page, Table I/II CSVs, JSON, text.
#include "pipeline/run_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <span>
#include <string_view>

#include "gen/distance.hpp"
#include "gen/indicator_report.hpp"
#include "gen/json.hpp"
#include "gen/svg.hpp"
#include "io/archive.hpp"
#include "io/numfmt.hpp"
#include "net/error.hpp"

namespace autoopt::pipeline {

namespace {

namespace fs = std::filesystem;
using gen::svg::escape;
using gen::json_string;

// ---------------------------------------------------------------- number and text formats

// Fixed decimals for the page; NaN/inf -> "n/a".
std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// %.4g for the page; NaN/inf -> "n/a".
std::string general(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string pct(double fraction) { return fixed(fraction * 100.0, 2); }

// Jitter MAPE and loss MAE of a row, NaN (shown "n/a", empty in CSV, null in JSON) where the row has
// paths but none with that label: link-path data (GNNet 2023) measures the delay only.
double jitter_of(const model::SizeRow* r) {
  if (r == nullptr || (r->paths > 0 && r->jitter_paths == 0)) return std::numeric_limits<double>::quiet_NaN();
  return r->jitter_mape;
}
double loss_of(const model::SizeRow* r) {
  if (r == nullptr || (r->paths > 0 && r->loss_paths == 0)) return std::numeric_limits<double>::quiet_NaN();
  return r->loss_mae;
}

// Shortest round-trip text; NaN/inf -> "" (CSV).
std::string csv_num(double v) {
  if (!std::isfinite(v)) return "";
  std::string out;
  io::numfmt::append_shortest(out, v);
  return out;
}

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  std::string out;
  io::numfmt::append_shortest(out, v);
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

template <typename T, typename F>
std::string json_array(const std::vector<T>& items, F&& each) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += each(items[i]);
  }
  return out + "]";
}

std::string td(const std::string& text, bool numeric = true) {
  return std::string(numeric ? "<td class=\"n\">" : "<td>") + escape(text) + "</td>";
}
std::string th(const std::string& text, int colspan = 1) {
  return colspan > 1 ? "<th colspan=\"" + std::to_string(colspan) + "\">" + escape(text) + "</th>"
                     : "<th>" + escape(text) + "</th>";
}

// ---------------------------------------------------------------- Table I data

// The overall row of a method's table (nodes 0; the last one if several), or null.
const model::SizeRow* overall_row(const MethodResult& m) {
  const model::SizeRow* found = nullptr;
  for (const model::SizeRow& r : m.table) {
    if (r.nodes == 0) found = &r;
  }
  return found;
}

const model::SizeRow* size_row(const MethodResult& m, int nodes) {
  for (const model::SizeRow& r : m.table) {
    if (r.nodes == nodes) return &r;
  }
  return nullptr;
}

// Every network size of any method, ascending (the overall rows excluded).
std::vector<int> all_sizes(const RunReportInput& in) {
  std::set<int> sizes;
  for (const MethodResult& m : in.methods) {
    for (const model::SizeRow& r : m.table) {
      if (r.nodes != 0) sizes.insert(r.nodes);
    }
  }
  return {sizes.begin(), sizes.end()};
}

bool any_test_mape(const RunReportInput& in) {
  return std::any_of(in.iterations.begin(), in.iterations.end(),
                     [](const opt::IterationLog& l) { return l.test_mape.has_value(); });
}

double test_value(const opt::IterationLog& l) {
  return l.test_mape ? *l.test_mape : std::numeric_limits<double>::quiet_NaN();
}

// ---------------------------------------------------------------- indicators

struct IndicatorData {
  std::vector<gen::LabeledIndicatorSet> sets;  // present ones: candidates, selected, validation
  std::optional<gen::DistanceTable> cand_vs_val, sel_vs_val;
};

bool any_indicators(const RunReportInput& in) {
  return in.candidates.has_value() || in.selected.has_value() || in.validation.has_value();
}

IndicatorData indicator_data(const RunReportInput& in) {
  IndicatorData d;
  if (in.candidates) d.sets.push_back({"candidates", &*in.candidates});
  if (in.selected) d.sets.push_back({"selected", &*in.selected});
  if (in.validation) d.sets.push_back({"validation", &*in.validation});
  if (in.validation) {
    if (in.candidates) d.cand_vs_val = gen::compare_indicators(*in.candidates, *in.validation);
    if (in.selected) d.sel_vs_val = gen::compare_indicators(*in.selected, *in.validation);
  }
  return d;
}

std::string sizes_text(const gen::IndicatorSet& set) {
  std::string sizes;
  for (const auto& [n, c] : set.sizes()) {
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(c) + " x " + std::to_string(n) + " nodes";
  }
  return sizes.empty() ? "none" : sizes;
}

// ---------------------------------------------------------------- HTML sections

constexpr std::size_t kListShown = 500;   // lines of a long list on the page (all in report.json)
constexpr std::size_t kListOpen = 10;     // longer lists are collapsed

std::string html_list(const std::string& what, const std::vector<std::string>& lines) {
  if (lines.empty()) return "<p>" + escape(what) + ": none.</p>\n";
  std::string items = "<ul class=\"lines\">\n";
  for (std::size_t i = 0; i < std::min(lines.size(), kListShown); ++i) items += "<li>" + escape(lines[i]) + "</li>\n";
  if (lines.size() > kListShown) {
    items += "<li><i>... and " + std::to_string(lines.size() - kListShown) + " more (see report.json)</i></li>\n";
  }
  items += "</ul>\n";
  const std::string head = escape(what) + ": " + std::to_string(lines.size());
  if (lines.size() <= kListOpen) return "<p>" + head + "</p>\n" + items;
  return "<details><summary>" + head + " (click to show)</summary>\n" + items + "</details>\n";
}

std::string method_summary(const MethodResult& m) {
  const model::SizeRow* o = overall_row(m);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return "delay MAPE " + pct(o ? o->delay_mape : nan) + " %, jitter MAPE " + pct(jitter_of(o)) +
         " %, loss MAE " + general(loss_of(o));
}

std::string html_header(const RunReportInput& in) {
  std::string h = "<h1>" + escape(in.title) + "</h1>\n<table class=\"meta\">\n";
  h += "<tr><th>preset</th><td>" + escape(in.preset.empty() ? "(none)" : in.preset) + "</td></tr>\n";
  h += "<tr><th>command line</th><td><code>" + escape(in.command_line.empty() ? "(not recorded)" : in.command_line) +
       "</code></td></tr>\n";
  h += "<tr><th>evaluation set</th><td>" + escape(in.evaluation_set.empty() ? "(not recorded)" : in.evaluation_set) +
       "</td></tr>\n</table>\n";
  if (in.methods.empty()) {
    h += "<p class=\"headline\">No evaluated methods: there is no headline result and Table I is empty.</p>\n";
    return h;
  }
  h += "<p class=\"headline\"><b>" + escape(in.methods.front().name) + "</b> overall: " +
       escape(method_summary(in.methods.front())) + "</p>\n";
  if (in.methods.size() > 1) {
    h += "<ul class=\"baselines\">\n";
    for (std::size_t i = 1; i < in.methods.size(); ++i) {
      h += "<li><b>" + escape(in.methods[i].name) + "</b>: " + escape(method_summary(in.methods[i])) + "</li>\n";
    }
    h += "</ul>\n";
  }
  return h;
}

std::string html_table1(const RunReportInput& in) {
  std::string h = "<h2>Table I: prediction error by network size</h2>\n";
  if (in.methods.empty()) return h + "<p>No methods were evaluated.</p>\n";
  const std::vector<int> sizes = all_sizes(in);
  h += "<table class=\"t1\">\n<tr><th rowspan=\"2\">nodes</th><th rowspan=\"2\">samples</th>";
  for (const MethodResult& m : in.methods) h += th(m.name, 3);
  h += "</tr>\n<tr>";
  for (std::size_t i = 0; i < in.methods.size(); ++i) h += "<th>delay MAPE %</th><th>jitter MAPE %</th><th>loss MAE</th>";
  h += "</tr>\n";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto row = [&](const std::string& label, const auto& pick, const char* cls) {
    std::string samples = "n/a";
    for (const MethodResult& m : in.methods) {
      if (const model::SizeRow* r = pick(m)) {
        samples = std::to_string(r->samples);
        break;
      }
    }
    std::string out = std::string("<tr class=\"") + cls + "\">" + td(label) + td(samples);
    for (const MethodResult& m : in.methods) {
      const model::SizeRow* r = pick(m);
      out += td(pct(r ? r->delay_mape : nan)) + td(pct(jitter_of(r))) + td(general(loss_of(r)));
    }
    return out + "</tr>\n";
  };
  for (const int n : sizes) h += row(std::to_string(n), [n](const MethodResult& m) { return size_row(m, n); }, "size");
  h += row("overall", [](const MethodResult& m) { return overall_row(m); }, "overall");
  h += "</table>\n";

  h += "<h3>Methods</h3>\n<table>\n<tr>" + th("method") + th("training samples") + th("training time (s)") +
       th("how its training set was chosen") + "</tr>\n";
  for (const MethodResult& m : in.methods) {
    h += "<tr>" + td(m.name, false) + td(std::to_string(m.train_samples)) + td(fixed(m.train_seconds, 1)) +
         td(m.description, false) + "</tr>\n";
  }
  h += "</table>\n";

  if (sizes.empty()) return h + "<p>No per-size rows: nothing to plot.</p>\n";
  std::vector<gen::svg::XYSeries> delay, jitter;
  for (const MethodResult& m : in.methods) {
    gen::svg::XYSeries d{m.name, {}, {}}, j{m.name, {}, {}};
    for (const model::SizeRow& r : m.table) {
      if (r.nodes == 0) continue;
      d.x.push_back(r.nodes);
      d.y.push_back(r.delay_mape * 100.0);
      j.x.push_back(r.nodes);
      j.y.push_back(jitter_of(&r) * 100.0);
    }
    delay.push_back(std::move(d));
    jitter.push_back(std::move(j));
  }
  gen::svg::PlotOptions o;
  o.x_label = "network size (nodes)";
  o.title = "Delay MAPE by network size";
  o.y_label = "delay MAPE (%)";
  h += "<div class=\"grid\">\n" + gen::svg::line_plot(delay, o);
  o.title = "Jitter MAPE by network size";
  o.y_label = "jitter MAPE (%)";
  h += gen::svg::line_plot(jitter, o) + "</div>\n";
  return h;
}

std::string html_table2(const RunReportInput& in) {
  std::string h = "<h2>Table II: incremental optimization</h2>\n";
  if (in.iterations.empty()) {
    h += "<p>No incremental-optimization iterations were recorded.</p>\n";
  } else {
    const bool test = any_test_mape(in);
    const double k = in.iteration_mape_scale;
    h += "<table class=\"t2\">\n<tr>" + th("iteration") + th("|D_tra|") + th("added easy") + th("added hard") +
         th("rule failures") + th("replaced") + th("dropped by influence") + th("validation MAPE %") +
         (test ? th("test MAPE %") : std::string()) + th("pool left") + "</tr>\n";
    for (const opt::IterationLog& l : in.iterations) {
      h += "<tr class=\"it\">" + td(std::to_string(l.iteration)) + td(std::to_string(l.train_size)) +
           td(std::to_string(l.added_easy)) + td(std::to_string(l.added_hard)) + td(std::to_string(l.failed_rules)) +
           td(std::to_string(l.replaced)) + td(std::to_string(l.dropped_by_influence)) +
           td(fixed(l.validation_mape * k, 2)) + (test ? td(fixed(test_value(l) * k, 2)) : std::string()) +
           td(std::to_string(l.pool_left)) + "</tr>\n";
    }
    h += "</table>\n";
    if (!in.iteration_sets.empty()) h += "<p>" + escape(in.iteration_sets) + "</p>\n";
    std::vector<gen::svg::XYSeries> s(1);
    s[0].name = "validation MAPE";
    if (test) {
      s.emplace_back();
      s[1].name = "test MAPE";
    }
    for (const opt::IterationLog& l : in.iterations) {
      s[0].x.push_back(static_cast<double>(l.train_size));
      s[0].y.push_back(l.validation_mape * k);
      if (test) {
        s[1].x.push_back(static_cast<double>(l.train_size));
        s[1].y.push_back(test_value(l) * k);
      }
    }
    gen::svg::PlotOptions o;
    o.title = "MAPE against the training-set size";
    o.x_label = "|D_tra| (samples)";
    o.y_label = "MAPE (%)";
    h += "<div class=\"grid\">\n" + gen::svg::line_plot(s, o) + "</div>\n";
  }
  if (in.influence_agreement) {
    const opt::InfluenceAgreement& a = *in.influence_agreement;
    const double share =
        a.compared > 0 ? 100.0 * static_cast<double>(a.agreed) / static_cast<double>(a.compared)
                       : std::numeric_limits<double>::quiet_NaN();
    h += "<h3>Influence: exact vs fast</h3>\n<table>\n<tr>" + th("compared") + th("agreed") + th("agreed %") +
         th("max |difference|") + "</tr>\n<tr>" + td(std::to_string(a.compared)) + td(std::to_string(a.agreed)) +
         td(fixed(share, 1)) + td(general(a.max_abs_difference)) + "</tr>\n</table>\n";
  }
  return h;
}

std::string html_selection(const RunReportInput& in) {
  std::string h = "<h2>Selection</h2>\n<table>\n<tr><th>candidate pool |D_can|</th>" +
                  td(std::to_string(in.pool_size)) + "</tr>\n<tr><th>seeds</th>" + td(std::to_string(in.seed_count)) +
                  "</tr>\n<tr><th>seed replacements</th>" + td(std::to_string(in.seed_replacements.size())) +
                  "</tr>\n<tr><th>dropped as OOD</th>" + td(std::to_string(in.ood_dropped.size())) +
                  "</tr>\n</table>\n";
  h += html_list("Seeds replaced after failing the expert rules", in.seed_replacements);
  h += html_list("Samples dropped as out of distribution (rules or influence)", in.ood_dropped);
  return h;
}

std::string html_indicators(const RunReportInput& in, const IndicatorData& d) {
  std::string h = "<h2>Indicators</h2>\n";
  if (d.sets.empty()) return h + "<p>No indicator sets were given (candidates, selected, validation): no plots.</p>\n";
  h += "<ul>\n";
  for (const gen::LabeledIndicatorSet& s : d.sets) {
    h += "<li><b>" + escape(s.label) + "</b>: " + std::to_string(s.set->samples()) + " samples (" +
         escape(sizes_text(*s.set)) + "); " + std::to_string(s.set->undelivered_paths()) +
         " paths without delivered packets</li>\n";
  }
  h += "</ul>\n";
  if (!in.validation) h += "<p>No validation set: the distances are not available.</p>\n";

  h += "<table class=\"dist\">\n<tr><th rowspan=\"2\">indicator</th><th rowspan=\"2\">unit</th>";
  for (const gen::LabeledIndicatorSet& s : d.sets) h += th("n " + s.label);
  for (const gen::LabeledIndicatorSet& s : d.sets) h += th("median " + s.label);
  h += th("candidates vs validation", 2) + th("selected vs validation", 2) + "</tr>\n<tr>";
  for (std::size_t i = 0; i < 2 * d.sets.size(); ++i) h += "<th></th>";
  h += "<th>W1</th><th>KS</th><th>W1</th><th>KS</th></tr>\n";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const gen::IndicatorInfo& info : gen::indicator_catalog()) {
    const auto k = static_cast<std::size_t>(info.id);
    h += "<tr>" + td(std::string(info.name), false) + td(std::string(info.unit), false);
    std::vector<gen::ValueStats> stats;
    for (const gen::LabeledIndicatorSet& s : d.sets) stats.push_back(gen::value_stats(s.set->values(info.id)));
    for (const gen::ValueStats& st : stats) h += td(std::to_string(st.count));
    for (const gen::ValueStats& st : stats) h += td(general(st.median));
    const auto pair = [&](const std::optional<gen::DistanceTable>& t) {
      return t ? td(general(t->rows[k].wasserstein)) + td(general(t->rows[k].ks))
               : td(general(nan)) + td(general(nan));
    };
    h += pair(d.cand_vs_val) + pair(d.sel_vs_val) + "</tr>\n";
  }
  h += "</table>\n";
  const auto summary = [&](const char* what, const std::optional<gen::DistanceTable>& t) {
    if (!t || t->summary.comparable == 0) return std::string();
    return "<li>" + escape(what) + ": " + std::to_string(t->summary.comparable) + " indicators compared, mean KS " +
           general(t->summary.mean_ks) + ", max KS " + general(t->summary.max_ks) + " (" +
           escape(std::string(gen::indicator_info(t->summary.worst).name)) + "), mean W1/sd " +
           general(t->summary.mean_wasserstein_scaled) + "</li>\n";
  };
  const std::string sums = summary("candidates vs validation", d.cand_vs_val) +
                           summary("selected vs validation", d.sel_vs_val);
  if (!sums.empty()) h += "<ul>\n" + sums + "</ul>\n";
  h += "<p>W1: 1-Wasserstein distance in the indicator's unit; KS: two-sample Kolmogorov-Smirnov statistic "
       "(largest CDF gap); n/a where a side has no values.</p>\n";

  for (const gen::IndicatorInfo& info : gen::indicator_catalog()) {
    h += "<h3>" + escape(std::string(info.title)) + " <code>" + escape(std::string(info.name)) +
         "</code></h3>\n<div class=\"grid\">\n" + gen::indicator_plots_svg(info.id, d.sets) + "</div>\n";
  }
  return h;
}

std::string html_stages(const RunReportInput& in) {
  std::string h = "<h2>Stage wall times</h2>\n";
  if (in.stages.empty()) return h + "<p>No stage times were recorded.</p>\n";
  h += "<table>\n<tr>" + th("stage") + th("seconds") + th("note") + "</tr>\n";
  double total = 0.0;
  bool any_resumed = false;
  for (const StageTime& s : in.stages) {
    total += s.seconds;
    any_resumed = any_resumed || s.resumed;
    h += std::string(s.resumed ? "<tr class=\"resumed\">" : "<tr>") + td(s.stage, false) + td(fixed(s.seconds, 1)) +
         td(s.resumed ? "resumed: finished by an earlier invocation" : "", false) + "</tr>\n";
  }
  h += "<tr class=\"overall\">" + td("total", false) + td(fixed(total, 1)) +
       td(any_resumed ? "includes time of earlier invocations" : "", false) + "</tr>\n</table>\n";
  return h;
}

std::string html_of(const RunReportInput& in) {
  const IndicatorData d = indicator_data(in);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" + escape(in.title) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:24px;color:#222}\n"
      "table{border-collapse:collapse;font-size:13px;margin:6px 0}\ntd,th{border:1px solid #ccc;padding:3px 8px}\n"
      "th{background:#f2f2f2}\ntd.n{text-align:right;font-family:monospace}\ntr.overall td{font-weight:bold}\n"
      "tr.resumed td{color:#777}\n.headline{font-size:16px}\n.grid{display:flex;flex-wrap:wrap;gap:12px}\n"
      ".grid svg{border:1px solid #ddd}\nul.lines{font-family:monospace;font-size:12px}\n</style>\n</head>\n<body>\n";
  h += html_header(in);
  h += html_table1(in);
  h += html_table2(in);
  h += html_selection(in);
  h += html_indicators(in, d);
  h += html_stages(in);
  h += "</body>\n</html>\n";
  return h;
}

// ---------------------------------------------------------------- JSON

std::string json_size_row(const model::SizeRow& r) {
  return "{\"nodes\":" + std::to_string(r.nodes) + ",\"overall\":" + json_bool(r.nodes == 0) +
         ",\"samples\":" + std::to_string(r.samples) + ",\"paths\":" + std::to_string(r.paths) +
         ",\"delay_paths\":" + std::to_string(r.delay_paths) + ",\"jitter_paths\":" + std::to_string(r.jitter_paths) +
         ",\"delay_mape\":" + json_num(r.delay_mape) + ",\"jitter_mape\":" + json_num(jitter_of(&r)) +
         ",\"loss_mae\":" + json_num(loss_of(&r)) + "}";
}

std::string json_stats(const gen::ValueStats& s) {
  return "{\"count\":" + std::to_string(s.count) + ",\"mean\":" + json_num(s.mean) + ",\"stddev\":" +
         json_num(s.stddev) + ",\"min\":" + json_num(s.min) + ",\"p10\":" + json_num(s.p10) +
         ",\"median\":" + json_num(s.median) + ",\"p90\":" + json_num(s.p90) + ",\"max\":" + json_num(s.max) + "}";
}

std::string json_set(const std::optional<gen::IndicatorSet>& set) {
  if (!set) return "null";
  std::string sizes = "{";
  for (const auto& [n, c] : set->sizes()) {
    sizes += (sizes.size() > 1 ? ",\"" : "\"") + std::to_string(n) + "\":" + std::to_string(c);
  }
  sizes += "}";
  return "{\"samples\":" + std::to_string(set->samples()) +
         ",\"samples_without_results\":" + std::to_string(set->samples_without_results()) +
         ",\"undelivered_paths\":" + std::to_string(set->undelivered_paths()) + ",\"sizes\":" + sizes + "}";
}

std::string json_distance(const std::optional<gen::DistanceTable>& t, std::size_t k) {
  if (!t) return "null";
  const gen::IndicatorDistance& r = t->rows[k];
  return "{\"comparable\":" + json_bool(r.comparable) + ",\"wasserstein1\":" + json_num(r.wasserstein) +
         ",\"wasserstein1_scaled\":" + json_num(r.wasserstein_scaled) + ",\"ks\":" + json_num(r.ks) + "}";
}

std::string json_summary(const std::optional<gen::DistanceTable>& t) {
  if (!t) return "null";
  const gen::DistanceSummary& s = t->summary;
  return "{\"comparable\":" + std::to_string(s.comparable) + ",\"mean_ks\":" + json_num(s.mean_ks) +
         ",\"max_ks\":" + json_num(s.max_ks) + ",\"worst\":" +
         (s.comparable > 0 ? json_string(gen::indicator_info(s.worst).name) : std::string("null")) +
         ",\"mean_wasserstein1_scaled\":" + json_num(s.mean_wasserstein_scaled) + "}";
}

std::string json_indicators(const RunReportInput& in) {
  if (!any_indicators(in)) return "null";
  const IndicatorData d = indicator_data(in);
  const auto stats = [&](const std::optional<gen::IndicatorSet>& set, gen::Indicator id) {
    return set ? json_stats(gen::value_stats(set->values(id))) : std::string("null");
  };
  std::string out = "{\"candidates\":" + json_set(in.candidates) + ",\"selected\":" + json_set(in.selected) +
                    ",\"validation\":" + json_set(in.validation) + ",\"per_indicator\":[";
  bool first = true;
  for (const gen::IndicatorInfo& info : gen::indicator_catalog()) {
    const auto k = static_cast<std::size_t>(info.id);
    out += std::string(first ? "" : ",") + "\n{\"name\":" + json_string(info.name) +
           ",\"unit\":" + json_string(info.unit) + ",\"candidates\":" + stats(in.candidates, info.id) +
           ",\"selected\":" + stats(in.selected, info.id) + ",\"validation\":" + stats(in.validation, info.id) +
           ",\"candidates_vs_validation\":" + json_distance(d.cand_vs_val, k) +
           ",\"selected_vs_validation\":" + json_distance(d.sel_vs_val, k) + "}";
    first = false;
  }
  out += "\n],\"summary\":{\"candidates_vs_validation\":" + json_summary(d.cand_vs_val) +
         ",\"selected_vs_validation\":" + json_summary(d.sel_vs_val) + "}}";
  return out;
}

std::string json_of(const RunReportInput& in) {
  const auto str = [](const std::string& s) { return json_string(s); };
  std::string out = "{\"title\":" + json_string(in.title) + ",\"preset\":" + json_string(in.preset) +
                    ",\"command_line\":" + json_string(in.command_line) +
                    ",\"evaluation_set\":" + json_string(in.evaluation_set);
  out += ",\n\"stages\":" + json_array(in.stages, [](const StageTime& s) {
    return "{\"stage\":" + json_string(s.stage) + ",\"seconds\":" + json_num(s.seconds) +
           ",\"resumed\":" + json_bool(s.resumed) + "}";
  });
  out += ",\n\"methods\":" + json_array(in.methods, [](const MethodResult& m) {
    const model::SizeRow* o = overall_row(m);
    return "\n{\"name\":" + json_string(m.name) + ",\"description\":" + json_string(m.description) +
           ",\"train_samples\":" + std::to_string(m.train_samples) + ",\"train_seconds\":" + json_num(m.train_seconds) +
           ",\"overall\":" + (o ? json_size_row(*o) : std::string("null")) +
           ",\"table\":" + json_array(m.table, json_size_row) + "}";
  });
  out += ",\n\"iteration_mape_scale\":" + json_num(in.iteration_mape_scale);
  out += ",\n\"iterations\":" + json_array(in.iterations, [](const opt::IterationLog& l) {
    return "\n{\"iteration\":" + std::to_string(l.iteration) + ",\"train_size\":" + std::to_string(l.train_size) +
           ",\"added_easy\":" + std::to_string(l.added_easy) + ",\"added_hard\":" + std::to_string(l.added_hard) +
           ",\"failed_rules\":" + std::to_string(l.failed_rules) + ",\"replaced\":" + std::to_string(l.replaced) +
           ",\"dropped_by_influence\":" + std::to_string(l.dropped_by_influence) +
           ",\"validation_mape\":" + json_num(l.validation_mape) +
           ",\"test_mape\":" + (l.test_mape ? json_num(*l.test_mape) : std::string("null")) +
           ",\"pool_left\":" + std::to_string(l.pool_left) + "}";
  });
  out += ",\n\"influence_agreement\":";
  if (in.influence_agreement) {
    const opt::InfluenceAgreement& a = *in.influence_agreement;
    out += "{\"compared\":" + std::to_string(a.compared) + ",\"agreed\":" + std::to_string(a.agreed) +
           ",\"max_abs_difference\":" + json_num(a.max_abs_difference) + "}";
  } else {
    out += "null";
  }
  out += ",\n\"selection\":{\"pool_size\":" + std::to_string(in.pool_size) +
         ",\"seed_count\":" + std::to_string(in.seed_count) +
         ",\"seed_replacements\":" + json_array(in.seed_replacements, str) +
         ",\"ood_dropped\":" + json_array(in.ood_dropped, str) + "}";
  out += ",\n\"indicators\":" + json_indicators(in);
  out += "}\n";
  return out;
}

// ---------------------------------------------------------------- text

std::string pad(const std::string& s, std::size_t width, bool right = true) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string table1_csv(const RunReportInput& in) {
  std::string out = "method,nodes,samples,paths,delay_mape_pct,jitter_mape_pct,loss_mae\n";
  for (const MethodResult& m : in.methods) {
    // Sizes as given, the overall row(s) last.
    for (const bool overall : {false, true}) {
      for (const model::SizeRow& r : m.table) {
        if ((r.nodes == 0) != overall) continue;
        out += csv_field(m.name) + ',' + (overall ? std::string("all") : std::to_string(r.nodes)) + ',' +
               std::to_string(r.samples) + ',' + std::to_string(r.paths) + ',' + csv_num(r.delay_mape * 100.0) + ',' +
               csv_num(jitter_of(&r) * 100.0) + ',' + csv_num(loss_of(&r)) + '\n';
      }
    }
  }
  return out;
}

std::string table2_csv(const RunReportInput& in) {
  std::string out =
      "iteration,train_size,added_easy,added_hard,failed_rules,replaced,dropped_by_influence,validation_mape_pct,"
      "test_mape_pct,pool_left\n";
  const double k = in.iteration_mape_scale;
  for (const opt::IterationLog& l : in.iterations) {
    out += std::to_string(l.iteration) + ',' + std::to_string(l.train_size) + ',' + std::to_string(l.added_easy) +
           ',' + std::to_string(l.added_hard) + ',' + std::to_string(l.failed_rules) + ',' +
           std::to_string(l.replaced) + ',' + std::to_string(l.dropped_by_influence) + ',' +
           csv_num(l.validation_mape * k) + ',' + (l.test_mape ? csv_num(*l.test_mape * k) : std::string()) + ',' +
           std::to_string(l.pool_left) + '\n';
  }
  return out;
}

std::string run_report_json(const RunReportInput& in) { return json_of(in); }

std::string run_report_html(const RunReportInput& in) { return html_of(in); }

std::string run_report_text(const RunReportInput& in) {
  std::string out = "Table I (delay MAPE %, jitter MAPE %, loss MAE)\n";
  if (in.methods.empty()) {
    out += "  no evaluated methods\n";
  } else {
    out += pad("nodes", 8);
    for (const MethodResult& m : in.methods) out += "  " + pad(m.name, 8 + 8 + 12);
    out += '\n';
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto line = [&](const std::string& label, const auto& pick) {
      std::string l = pad(label, 8);
      for (const MethodResult& m : in.methods) {
        const model::SizeRow* r = pick(m);
        l += "  " + pad(pct(r ? r->delay_mape : nan), 8) + pad(pct(jitter_of(r)), 8) +
             pad(general(loss_of(r)), 12);
      }
      return l + '\n';
    };
    for (const int n : all_sizes(in)) out += line(std::to_string(n), [n](const MethodResult& m) { return size_row(m, n); });
    out += line("all", [](const MethodResult& m) { return overall_row(m); });
  }
  if (!in.iterations.empty()) {
    const bool test = any_test_mape(in);
    const double k = in.iteration_mape_scale;
    out += "\nTable II (incremental optimization)\n";
    out += pad("iter", 5) + pad("|D_tra|", 9) + pad("easy", 6) + pad("hard", 6) + pad("rules", 7) + pad("repl", 6) +
           pad("infl", 6) + pad("val%", 9) + (test ? pad("test%", 9) : std::string()) + pad("pool", 9) + '\n';
    for (const opt::IterationLog& l : in.iterations) {
      out += pad(std::to_string(l.iteration), 5) + pad(std::to_string(l.train_size), 9) +
             pad(std::to_string(l.added_easy), 6) + pad(std::to_string(l.added_hard), 6) +
             pad(std::to_string(l.failed_rules), 7) + pad(std::to_string(l.replaced), 6) +
             pad(std::to_string(l.dropped_by_influence), 6) + pad(fixed(l.validation_mape * k, 2), 9) +
             (test ? pad(fixed(test_value(l) * k, 2), 9) : std::string()) + pad(std::to_string(l.pool_left), 9) +
             '\n';
    }
  }
  return out;
}

RunReportFiles write_run_report(const fs::path& out_dir, const RunReportInput& in) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create report folder " + out_dir.string() + ": " + ec.message());
  RunReportFiles files{out_dir / "report.html", out_dir / "table1.csv", out_dir / "table2.csv",
                       out_dir / "report.json"};
  // Everything is built before the first file is written.
  const std::string html = html_of(in), t1 = table1_csv(in), t2 = table2_csv(in), json = json_of(in);
  io::write_file_atomic(files.table1, t1);
  io::write_file_atomic(files.table2, t2);
  io::write_file_atomic(files.json, json);
  io::write_file_atomic(files.html, html);
  return files;
}

}  // namespace autoopt::pipeline
