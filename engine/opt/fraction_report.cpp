#include "opt/fraction_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "gen/svg.hpp"
#include "io/archive.hpp"
#include "io/numfmt.hpp"
#include "net/error.hpp"

namespace autoopt::opt {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = line.find(sep, start);
    out.push_back(line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "%.2f" ("%+.2f" with sign), or "n/a" for a non-finite value.
std::string fixed2(double v, bool sign = false) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, sign ? "%+.2f" : "%.2f", v);
  return buf;
}

std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  std::string s;
  io::numfmt::append_shortest(s, v);
  return s;
}

// "mean ± std" (HTML) or "mean +- std" (fixed-width text: one byte per column).
std::string mean_std(const MeanStd& m, bool sign = false, const char* pm = " ± ") {
  if (!std::isfinite(m.mean)) return "n/a";
  return fixed2(m.mean, sign) + pm + fixed2(m.std);
}

MeanStd stats(const std::vector<double>& v) {
  if (v.empty()) return {kNaN, kNaN};
  double s = 0.0;
  for (const double x : v) s += x;
  const double m = s / static_cast<double>(v.size());
  double q = 0.0;
  for (const double x : v) q += (x - m) * (x - m);
  return {m, std::sqrt(q / static_cast<double>(v.size()))};
}

bool all_finite(const FractionRun& r) {
  return std::isfinite(r.autoopt_pct) && std::isfinite(r.random_pct) && std::isfinite(r.all_pool_pct);
}

std::string td(const std::string& text, bool numeric = true) {
  return std::string(numeric ? "<td class=\"n\">" : "<td>") + gen::svg::escape(text) + "</td>";
}
std::string th(const std::string& text) { return "<th>" + gen::svg::escape(text) + "</th>"; }

}  // namespace

std::vector<FractionRun> parse_fraction_runs(std::string_view csv, const std::string& source) {
  std::vector<FractionRun> runs;
  const std::vector<std::string_view> lines = split(csv, '\n');
  const char* required[] = {"dataset", "fraction", "seed", "autoopt_delay_mape_pct", "random_delay_mape_pct",
                            "all_pool_delay_mape_pct"};
  std::vector<std::size_t> col(std::size(required), std::string_view::npos);
  bool header = false;
  std::set<std::tuple<std::string, double, std::uint64_t>> seen;
  for (std::size_t ln = 0; ln < lines.size(); ++ln) {
    const std::string_view line = trim(lines[ln]);
    if (line.empty()) continue;
    const std::string where = source + ":" + std::to_string(ln + 1);
    const std::vector<std::string_view> f = split(line, ',');
    if (!header) {
      for (std::size_t c = 0; c < std::size(required); ++c) {
        for (std::size_t i = 0; i < f.size(); ++i) {
          if (trim(f[i]) == required[c]) col[c] = i;
        }
        if (col[c] == std::string_view::npos) {
          throw Error(where + ": the header has no column '" + required[c] +
                      "' (expected dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,"
                      "all_pool_delay_mape_pct)");
        }
      }
      header = true;
      continue;
    }
    const auto field = [&](std::size_t c) -> std::string_view {
      if (col[c] >= f.size()) {
        throw Error(where + ": " + std::to_string(f.size()) + " fields, no column '" + required[c] + "'");
      }
      return trim(f[col[c]]);
    };
    const auto number = [&](std::size_t c, bool allow_nan) {
      const std::string_view t = field(c);
      if (allow_nan && (t.empty() || t == "nan" || t == "NaN")) return kNaN;
      double v = 0.0;
      if (!io::numfmt::parse_double(t, v) || (!allow_nan && !std::isfinite(v))) {
        throw Error(where + ": column '" + required[c] + "': expected a number, got '" + std::string(t) + "'");
      }
      return v;
    };
    FractionRun r;
    r.dataset = std::string(field(0));
    if (r.dataset.empty()) throw Error(where + ": column 'dataset' is empty");
    r.fraction = number(1, false);
    if (!(r.fraction > 0.0 && r.fraction <= 1.0)) {
      throw Error(where + ": column 'fraction': expected a number in (0, 1], got '" + std::string(field(1)) + "'");
    }
    std::int64_t seed = 0;
    if (!io::numfmt::parse_int(field(2), seed) || seed < 0) {
      throw Error(where + ": column 'seed': expected a non-negative integer, got '" + std::string(field(2)) + "'");
    }
    r.seed = static_cast<std::uint64_t>(seed);
    r.autoopt_pct = number(3, true);
    r.random_pct = number(4, true);
    r.all_pool_pct = number(5, true);
    if (!seen.insert({r.dataset, r.fraction, r.seed}).second) {
      throw Error(where + ": dataset " + r.dataset + ", fraction " + shortest(r.fraction) + ", seed " +
                  std::to_string(r.seed) + " is given twice");
    }
    runs.push_back(std::move(r));
  }
  if (!header) throw Error(source + ": empty (expected a CSV header and one line per dataset, fraction and seed)");
  return runs;
}

std::string fraction_runs_csv(std::span<const FractionRun> runs) {
  std::string s = "dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,all_pool_delay_mape_pct\n";
  for (const FractionRun& r : runs) {
    if (r.dataset.empty() || r.dataset.find_first_of(",\n\r") != std::string::npos) {
      throw Error("fraction_runs_csv: dataset name '" + r.dataset + "' is empty or holds a comma or a line break");
    }
    s += r.dataset + "," + shortest(r.fraction) + "," + std::to_string(r.seed) + "," + shortest(r.autoopt_pct) + "," +
         shortest(r.random_pct) + "," + shortest(r.all_pool_pct) + "\n";
  }
  return s;
}

std::vector<FractionSummary> summarize_fraction_runs(std::span<const FractionRun> runs) {
  std::vector<std::string> datasets;
  for (const FractionRun& r : runs) {
    if (std::find(datasets.begin(), datasets.end(), r.dataset) == datasets.end()) datasets.push_back(r.dataset);
  }
  std::vector<FractionSummary> out;
  for (const std::string& ds : datasets) {
    std::map<double, std::vector<const FractionRun*>> by_fraction;
    for (const FractionRun& r : runs) {
      if (r.dataset == ds) by_fraction[r.fraction].push_back(&r);
    }
    for (const auto& [fraction, list] : by_fraction) {
      FractionSummary s;
      s.dataset = ds;
      s.fraction = fraction;
      std::vector<double> a, rnd, all, al, rl;
      for (const FractionRun* r : list) {
        if (!all_finite(*r)) continue;
        a.push_back(r->autoopt_pct);
        rnd.push_back(r->random_pct);
        all.push_back(r->all_pool_pct);
        al.push_back(r->autoopt_pct - r->all_pool_pct);
        rl.push_back(r->random_pct - r->all_pool_pct);
        if (r->autoopt_pct < r->random_pct) ++s.autoopt_better;
      }
      s.seeds = a.size();
      s.autoopt = stats(a);
      s.random = stats(rnd);
      s.all_pool = stats(all);
      s.autoopt_lost = stats(al);
      s.random_lost = stats(rl);
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::string fraction_summary_csv(std::span<const FractionSummary> rows) {
  std::string s =
      "dataset,fraction,seeds,autoopt_mape_pct,autoopt_std,random_mape_pct,random_std,all_pool_mape_pct,"
      "all_pool_std,autoopt_lost_points,autoopt_lost_std,random_lost_points,random_lost_std,autoopt_better_seeds\n";
  for (const FractionSummary& r : rows) {
    s += r.dataset + "," + shortest(r.fraction) + "," + std::to_string(r.seeds);
    for (const MeanStd* m : {&r.autoopt, &r.random, &r.all_pool, &r.autoopt_lost, &r.random_lost}) {
      s += ',';
      s += shortest(m->mean);
      s += ',';
      s += shortest(m->std);
    }
    s += ',';
    s += std::to_string(r.autoopt_better);
    s += '\n';
  }
  return s;
}

std::string fraction_summary_text(std::span<const FractionSummary> rows) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-10s %8s %5s %18s %18s %18s %18s %18s %8s\n", "dataset", "fraction", "seeds",
                "AutoOPT MAPE %", "random MAPE %", "all-pool MAPE %", "AutoOPT lost", "random lost", "AO<rnd");
  std::string s = buf;
  for (const FractionSummary& r : rows) {
    std::snprintf(buf, sizeof buf, "%-10s %8s %5zu %18s %18s %18s %18s %18s %4zu/%zu\n", r.dataset.c_str(),
                  shortest(r.fraction).c_str(), r.seeds, mean_std(r.autoopt, false, " +- ").c_str(),
                  mean_std(r.random, false, " +- ").c_str(), mean_std(r.all_pool, false, " +- ").c_str(),
                  mean_std(r.autoopt_lost, true, " +- ").c_str(), mean_std(r.random_lost, true, " +- ").c_str(),
                  r.autoopt_better, r.seeds);
    s += buf;
  }
  return s;
}

std::string fraction_report_html(std::span<const FractionRun> runs, const FractionReportOptions& options) {
  const std::vector<FractionSummary> rows = summarize_fraction_runs(runs);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" +
      gen::svg::escape(options.title) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:24px;color:#222}\n"
      "table{border-collapse:collapse;font-size:13px;margin:6px 0}\ntd,th{border:1px solid #ccc;padding:3px 8px}\n"
      "th{background:#f2f2f2}\ntd.n{text-align:right;font-family:monospace}\n"
      ".grid{display:flex;flex-wrap:wrap;gap:12px}\n.grid svg{border:1px solid #ddd}\n</style>\n</head>\n<body>\n";
  h += "<h1>" + gen::svg::escape(options.title) + "</h1>\n";
  if (!options.note.empty()) h += "<p>" + gen::svg::escape(options.note) + "</p>\n";
  h += "<p>Overall delay MAPE (%) on the test set of the model trained on the selection, mean ± standard "
       "deviation over seeds; <em>lost</em> = points against the model trained on the whole pool of the same "
       "seed (lower is better).</p>\n";
  h += "<h2>Table IV</h2>\n<table>\n<tr>" + th("dataset") + th("fraction") + th("seeds") + th("AutoOPT MAPE %") +
       th("random MAPE %") + th("all-pool MAPE %") + th("AutoOPT lost (points)") + th("random lost (points)") +
       th("seeds AutoOPT < random") + "</tr>\n";
  for (const FractionSummary& r : rows) {
    h += "<tr>" + td(r.dataset, false) + td(shortest(r.fraction)) + td(std::to_string(r.seeds)) +
         td(mean_std(r.autoopt)) + td(mean_std(r.random)) + td(mean_std(r.all_pool)) +
         td(mean_std(r.autoopt_lost, true)) + td(mean_std(r.random_lost, true)) +
         td(std::to_string(r.autoopt_better) + " of " + std::to_string(r.seeds)) + "</tr>\n";
  }
  h += "</table>\n";

  std::vector<std::string> datasets;
  for (const FractionSummary& r : rows) {
    if (std::find(datasets.begin(), datasets.end(), r.dataset) == datasets.end()) datasets.push_back(r.dataset);
  }
  for (const std::string& ds : datasets) {
    std::vector<gen::svg::XYSeries> mape(3), lost(2);
    mape[0].name = "AutoOPT";
    mape[1].name = "random";
    mape[2].name = "all-pool";
    lost[0].name = "AutoOPT lost";
    lost[1].name = "random lost";
    double lo = kNaN, hi = kNaN;
    for (const FractionSummary& r : rows) {
      if (r.dataset != ds || r.seeds == 0) continue;
      const MeanStd* m[] = {&r.autoopt, &r.random, &r.all_pool};
      for (std::size_t i = 0; i < 3; ++i) {
        mape[i].x.push_back(r.fraction);
        mape[i].y.push_back(m[i]->mean);
      }
      lost[0].x.push_back(r.fraction);
      lost[0].y.push_back(r.autoopt_lost.mean);
      lost[1].x.push_back(r.fraction);
      lost[1].y.push_back(r.random_lost.mean);
      lo = std::isnan(lo) ? r.fraction : std::min(lo, r.fraction);
      hi = std::isnan(hi) ? r.fraction : std::max(hi, r.fraction);
    }
    if (mape[0].x.empty()) {
      h += "<h2>" + gen::svg::escape(ds) + "</h2>\n<p>No seed with all three models: nothing to plot.</p>\n";
      continue;
    }
    if (options.goal_lost_points > 0.0) {
      gen::svg::XYSeries goal{"goal (" + shortest(options.goal_lost_points) + " points)", {lo, hi},
                              {options.goal_lost_points, options.goal_lost_points}};
      lost.push_back(std::move(goal));
    }
    gen::svg::PlotOptions o;
    o.x_label = "fraction of the pool kept";
    o.title = ds + ": delay MAPE against the fraction kept";
    o.y_label = "test delay MAPE (%)";
    h += "<h2>" + gen::svg::escape(ds) + "</h2>\n<div class=\"grid\">\n" + gen::svg::line_plot(mape, o);
    o.title = ds + ": points lost against the whole pool";
    o.y_label = "delay MAPE lost (points)";
    h += gen::svg::line_plot(lost, o) + "</div>\n";
  }

  h += "<h2>Every run</h2>\n<table>\n<tr>" + th("dataset") + th("fraction") + th("seed") + th("AutoOPT MAPE %") +
       th("random MAPE %") + th("all-pool MAPE %") + th("AutoOPT lost") + th("random lost") + "</tr>\n";
  for (const FractionRun& r : runs) {
    h += "<tr>" + td(r.dataset, false) + td(shortest(r.fraction)) + td(std::to_string(r.seed)) +
         td(fixed2(r.autoopt_pct)) + td(fixed2(r.random_pct)) + td(fixed2(r.all_pool_pct)) +
         td(fixed2(r.autoopt_pct - r.all_pool_pct, true)) + td(fixed2(r.random_pct - r.all_pool_pct, true)) + "</tr>\n";
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

std::filesystem::path write_fraction_report(const std::filesystem::path& dir, std::span<const FractionRun> runs,
                                            const FractionReportOptions& options) {
  std::filesystem::create_directories(dir);
  const std::vector<FractionSummary> rows = summarize_fraction_runs(runs);
  io::write_file_atomic(dir / "table4_runs.csv", fraction_runs_csv(runs));
  io::write_file_atomic(dir / "table4_summary.csv", fraction_summary_csv(rows));
  const std::filesystem::path html = dir / "table4.html";
  io::write_file_atomic(html, fraction_report_html(runs, options));
  return html;
}

}  // namespace autoopt::opt
