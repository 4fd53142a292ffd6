// Minimal SVG plots (see svg.hpp).
#include "gen/svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace autoopt::gen::svg {

namespace {

constexpr std::array<std::string_view, 8> kColors{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string fx(double v) {  // coordinate
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Prepared {
  std::string name;
  std::vector<double> sorted;   // shown values (finite; > 0 on a log axis), ascending
  std::size_t not_shown = 0;    // values <= 0 on a log axis
};

std::vector<Prepared> prepare(std::span<const Series> series, bool log_x) {
  std::vector<Prepared> out;
  for (const Series& s : series) {
    Prepared p;
    p.name = s.name;
    p.sorted.reserve(s.values.size());
    for (const double v : s.values) {
      if (!std::isfinite(v)) continue;
      if (log_x && v <= 0.0) {
        ++p.not_shown;
        continue;
      }
      p.sorted.push_back(v);
    }
    if (!std::is_sorted(p.sorted.begin(), p.sorted.end())) std::sort(p.sorted.begin(), p.sorted.end());
    out.push_back(std::move(p));
  }
  return out;
}

bool any_positive(std::span<const Series> series) {
  for (const Series& s : series) {
    for (const double v : s.values) {
      if (std::isfinite(v) && v > 0.0) return true;
    }
  }
  return false;
}

// Pooled [clip, 1-clip] quantile range of all prepared series; widened if degenerate.
std::pair<double, double> x_range(const std::vector<Prepared>& ps, double clip, bool log_x) {
  std::vector<double> pool;
  for (const Prepared& p : ps) pool.insert(pool.end(), p.sorted.begin(), p.sorted.end());
  if (pool.empty()) return log_x ? std::pair{1.0, 10.0} : std::pair{0.0, 1.0};
  clip = std::clamp(clip, 0.0, 0.49);
  const auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(std::floor(q * static_cast<double>(pool.size() - 1)));
    std::nth_element(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k), pool.end());
    return pool[k];
  };
  double lo = clip > 0 ? at(clip) : *std::min_element(pool.begin(), pool.end());
  double hi = clip > 0 ? at(1.0 - clip) : *std::max_element(pool.begin(), pool.end());
  if (lo == hi) {
    if (log_x) {
      lo /= 2.0;
      hi *= 2.0;
    } else {
      const double w = lo == 0.0 ? 0.5 : std::abs(lo) * 0.1;
      lo -= w;
      hi += w;
    }
  }
  return {lo, hi};
}

struct Frame {
  double W, H;
  double L = 64, R = 16, T = 34, B = 46;
  double x0, x1, y0, y1;
  bool log_x;
  [[nodiscard]] double tx(double x) const {
    return log_x ? (std::log10(x) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) : (x - x0) / (x1 - x0);
  }
  [[nodiscard]] double px(double x) const { return L + std::clamp(tx(x), 0.0, 1.0) * (W - L - R); }
  [[nodiscard]] double py(double y) const {
    return H - B - std::clamp((y - y0) / (y1 - y0), 0.0, 1.0) * (H - T - B);
  }
};

std::string open_svg(const Frame& f, const PlotOptions& o) {
  const std::string w = std::to_string(static_cast<int>(f.W)), h = std::to_string(static_cast<int>(f.H));
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
                  "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s += "<rect width=\"" + w + "\" height=\"" + h + "\" fill=\"white\"/>\n";
  s += "<text x=\"" + fx(f.W / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"13\">" + escape(o.title) +
       "</text>\n";
  return s;
}

std::string axes(const Frame& f, const PlotOptions& o, const std::string& y_label) {
  std::string s;
  const double xl = f.L, xr = f.W - f.R, yb = f.H - f.B, yt = f.T;
  const std::vector<double> xt = f.log_x ? log_ticks(f.x0, f.x1) : linear_ticks(f.x0, f.x1, 6);
  for (const double t : xt) {
    const double x = f.px(t);
    s += "<line x1=\"" + fx(x) + "\" y1=\"" + fx(yt) + "\" x2=\"" + fx(x) + "\" y2=\"" + fx(yb) +
         "\" stroke=\"#e4e4e4\"/>\n";
    s += "<line x1=\"" + fx(x) + "\" y1=\"" + fx(yb) + "\" x2=\"" + fx(x) + "\" y2=\"" + fx(yb + 4) +
         "\" stroke=\"black\"/>\n";
    s += "<text x=\"" + fx(x) + "\" y=\"" + fx(yb + 16) + "\" text-anchor=\"middle\">" + escape(format_number(t)) +
         "</text>\n";
  }
  for (const double t : linear_ticks(f.y0, f.y1, 5)) {
    const double y = f.py(t);
    s += "<line x1=\"" + fx(xl) + "\" y1=\"" + fx(y) + "\" x2=\"" + fx(xr) + "\" y2=\"" + fx(y) +
         "\" stroke=\"#e4e4e4\"/>\n";
    s += "<text x=\"" + fx(xl - 6) + "\" y=\"" + fx(y + 4) + "\" text-anchor=\"end\">" + escape(format_number(t)) +
         "</text>\n";
  }
  s += "<line x1=\"" + fx(xl) + "\" y1=\"" + fx(yb) + "\" x2=\"" + fx(xr) + "\" y2=\"" + fx(yb) +
       "\" stroke=\"black\"/>\n";
  s += "<line x1=\"" + fx(xl) + "\" y1=\"" + fx(yt) + "\" x2=\"" + fx(xl) + "\" y2=\"" + fx(yb) +
       "\" stroke=\"black\"/>\n";
  s += "<text x=\"" + fx((xl + xr) / 2) + "\" y=\"" + fx(f.H - 8) + "\" text-anchor=\"middle\">" +
       escape(o.x_label + (f.log_x ? " (log scale)" : "")) + "</text>\n";
  const double ym = (yt + yb) / 2;
  s += "<text x=\"14\" y=\"" + fx(ym) + "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + fx(ym) + ")\">" +
       escape(y_label) + "</text>\n";
  return s;
}

std::string legend_of(const Frame& f, const std::vector<std::string>& labels, bool bottom) {
  std::size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  const double width = 30 + 6.2 * static_cast<double>(longest);
  const double x = std::max(f.L + 4, f.W - f.R - width - 6);
  const double line_h = 15;
  double y = bottom ? f.H - f.B - 10 - line_h * static_cast<double>(labels.size() - 1) : f.T + 12;
  std::string s = "<rect x=\"" + fx(x - 4) + "\" y=\"" + fx(y - 10) + "\" width=\"" + fx(width + 4) +
                  "\" height=\"" + fx(line_h * static_cast<double>(labels.size()) + 4) +
                  "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  for (std::size_t i = 0; i < labels.size(); ++i, y += line_h) {
    const std::string c(series_color(i));
    s += "<line x1=\"" + fx(x) + "\" y1=\"" + fx(y - 3) + "\" x2=\"" + fx(x + 20) + "\" y2=\"" + fx(y - 3) +
         "\" stroke=\"" + c + "\" stroke-width=\"2.5\"/>\n";
    s += "<text x=\"" + fx(x + 25) + "\" y=\"" + fx(y + 1) + "\">" + escape(labels[i]) + "</text>\n";
  }
  return s;
}

std::string legend(const Frame& f, const std::vector<Prepared>& ps, bool bottom) {
  std::vector<std::string> labels;
  for (const Prepared& p : ps) {
    std::string l = p.name + " (n=" + std::to_string(p.sorted.size());
    if (p.not_shown > 0) l += "; " + std::to_string(p.not_shown) + " <= 0 not shown";
    l += ")";
    labels.push_back(std::move(l));
  }
  return legend_of(f, labels, bottom);
}

std::string no_data(const Frame& f) {
  return "<text x=\"" + fx((f.L + f.W - f.R) / 2) + "\" y=\"" + fx((f.T + f.H - f.B) / 2) +
         "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
}

bool all_empty(const std::vector<Prepared>& ps) {
  return std::all_of(ps.begin(), ps.end(), [](const Prepared& p) { return p.sorted.empty(); });
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string format_number(double v) {
  if (v == 0.0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string_view series_color(std::size_t i) noexcept { return kColors[i % kColors.size()]; }

std::vector<double> linear_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  target = std::max(target, 2);
  const double raw = (hi - lo) / target;
  const int e = static_cast<int>(std::floor(std::log10(raw)));
  // step = m x 10^e; tick k is k x m x 10^e, computed as an integer over (or times) a power of ten
  // so that 3 x 0.2 prints and compares as 0.6.
  const double p10 = std::pow(10.0, std::abs(e));
  const auto value = [&](double units) { return e < 0 ? units / p10 : units * p10; };  // units x 10^e
  double m = 1.0;
  for (const double cand : {1.0, 2.0, 5.0, 10.0}) {
    m = cand;
    if (value(cand) >= raw) break;
  }
  std::vector<double> out;
  const double step = value(m);
  if (!(step > 0.0) || std::abs(lo / step) > 1e15 || std::abs(hi / step) > 1e15) return {lo, hi};  // no room
  const auto k0 = static_cast<long long>(std::ceil(lo / step - 1e-9));
  for (long long k = k0; k < k0 + 1000; ++k) {
    const double t = value(static_cast<double>(k) * m);
    if (t > hi + step * 1e-9) break;
    out.push_back(t == 0.0 ? 0.0 : t);
  }
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!(lo > 0.0) || !(hi > lo)) return {lo};
  std::vector<double> out;
  const int e0 = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
  const int e1 = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
  const int stride = std::max(1, (e1 - e0 + 1 + 7) / 8);  // at most ~8 decade labels
  for (int e = e0; e <= e1; e += stride) out.push_back(std::pow(10.0, e));
  if (out.size() < 2) {
    out.clear();
    for (int e = e0 - 1; e <= e1 + 1; ++e) {
      for (const double m : {1.0, 2.0, 5.0}) {
        const double t = m * std::pow(10.0, e);
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push_back(t);
      }
    }
  }
  if (out.empty()) out.push_back(lo);
  return out;
}

std::string cdf_plot(std::span<const Series> series, const PlotOptions& o) {
  const bool log_x = o.log_x && any_positive(series);
  const auto ps = prepare(series, log_x);
  const auto [lo, hi] = x_range(ps, o.clip, log_x);
  const Frame f{static_cast<double>(o.width), static_cast<double>(o.height), 64, 16, 34, 46, lo, hi, 0.0, 1.0, log_x};
  std::string s = open_svg(f, o);
  s += axes(f, o, o.y_label.empty() ? "CDF" : o.y_label);
  if (all_empty(ps)) {
    s += no_data(f);
  }
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const auto& v = ps[i].sorted;
    if (v.empty()) continue;
    const double n = static_cast<double>(v.size());
    // Distinct values with the CDF just after each.
    std::vector<std::pair<double, double>> steps;
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (k + 1 < v.size() && v[k + 1] == v[k]) continue;
      steps.emplace_back(v[k], static_cast<double>(k + 1) / n);
    }
    std::string pts;
    if (steps.size() <= 2000) {
      pts += fx(f.px(lo)) + "," + fx(f.py(0)) + " ";
      double prev = 0.0;
      for (const auto& [x, y] : steps) {
        pts += fx(f.px(x)) + "," + fx(f.py(prev)) + " " + fx(f.px(x)) + "," + fx(f.py(y)) + " ";
        prev = y;
      }
      pts += fx(f.px(hi)) + "," + fx(f.py(1.0));
    } else {
      constexpr std::size_t kPoints = 800;
      pts += fx(f.px(lo)) + "," + fx(f.py(0)) + " ";
      for (std::size_t k = 0; k < kPoints; ++k) {
        const auto idx = static_cast<std::size_t>(std::llround(static_cast<double>(k) * (n - 1) / (kPoints - 1)));
        pts += fx(f.px(v[idx])) + "," + fx(f.py(static_cast<double>(idx + 1) / n)) + " ";
      }
      pts += fx(f.px(hi)) + "," + fx(f.py(1.0));
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(series_color(i)) + "\" stroke-width=\"2\" points=\"" +
         pts + "\"/>\n";
  }
  if (!ps.empty()) s += legend(f, ps, true);
  s += "</svg>\n";
  return s;
}

std::string histogram_plot(std::span<const Series> series, const PlotOptions& o) {
  const bool log_x = o.log_x && any_positive(series);
  const auto ps = prepare(series, log_x);
  const auto [lo, hi] = x_range(ps, o.clip, log_x);
  const int bins = std::max(o.bins, 1);
  const double t0 = log_x ? std::log10(lo) : lo, t1 = log_x ? std::log10(hi) : hi;
  const double width_t = (t1 - t0) / bins;
  std::vector<std::vector<double>> density(ps.size(), std::vector<double>(static_cast<std::size_t>(bins), 0.0));
  double ymax = 0.0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const auto& v = ps[i].sorted;
    if (v.empty()) continue;
    for (const double x : v) {
      const double t = log_x ? std::log10(x) : x;
      // Clamp as a double first: an outlier far outside the range must not overflow the int.
      const int b = static_cast<int>(std::clamp(std::floor((t - t0) / width_t), 0.0, bins - 1.0));
      density[i][static_cast<std::size_t>(b)] += 1.0;
    }
    for (double& d : density[i]) {
      d /= static_cast<double>(v.size()) * width_t;
      ymax = std::max(ymax, d);
    }
  }
  if (!(ymax > 0.0)) ymax = 1.0;
  const std::vector<double> yt = linear_ticks(0.0, ymax * 1.05, 5);
  const double ytop = std::max(ymax * 1.05, yt.empty() ? 0.0 : yt.back());
  const Frame f{static_cast<double>(o.width), static_cast<double>(o.height), 64, 16, 34, 46, lo, hi, 0.0, ytop, log_x};
  std::string s = open_svg(f, o);
  s += axes(f, o, o.y_label.empty() ? (log_x ? "density per decade" : "density") : o.y_label);
  if (all_empty(ps)) s += no_data(f);
  const auto edge = [&](int b) { return log_x ? std::pow(10.0, t0 + b * width_t) : t0 + b * width_t; };
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].sorted.empty()) continue;
    const std::string c(series_color(i));
    std::string d = "M" + fx(f.px(edge(0))) + "," + fx(f.py(0));
    for (int b = 0; b < bins; ++b) {
      const double y = f.py(density[i][static_cast<std::size_t>(b)]);
      d += " L" + fx(f.px(edge(b))) + "," + fx(y) + " L" + fx(f.px(edge(b + 1))) + "," + fx(y);
    }
    d += " L" + fx(f.px(edge(bins))) + "," + fx(f.py(0)) + " Z";
    s += "<path d=\"" + d + "\" fill=\"" + c + "\" fill-opacity=\"0.18\" stroke=\"" + c +
         "\" stroke-width=\"1.6\"/>\n";
  }
  if (!ps.empty()) s += legend(f, ps, false);
  s += "</svg>\n";
  return s;
}

std::string line_plot(std::span<const XYSeries> series, const PlotOptions& o) {
  const auto finite = [](double x, double y) { return std::isfinite(x) && std::isfinite(y); };
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = 0.0, ymax = -xmin;
  bool any = false, all_x_positive = true;
  for (const XYSeries& s : series) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t k = 0; k < n; ++k) {
      if (!finite(s.x[k], s.y[k])) continue;
      any = true;
      xmin = std::min(xmin, s.x[k]);
      xmax = std::max(xmax, s.x[k]);
      ymin = std::min(ymin, s.y[k]);
      ymax = std::max(ymax, s.y[k]);
      all_x_positive = all_x_positive && s.x[k] > 0.0;
    }
  }
  const bool log_x = o.log_x && any && all_x_positive;
  if (!any) {
    xmin = 0.0;
    xmax = 1.0;
    ymax = 1.0;
  }
  if (xmin == xmax) {
    if (log_x) {
      xmin /= 2.0;
      xmax *= 2.0;
    } else {
      const double w = xmin == 0.0 ? 1.0 : std::abs(xmin) * 0.1;
      xmin -= w;
      xmax += w;
    }
  }
  if (!(ymax > ymin)) ymax = ymin + 1.0;
  const double span = ymax - ymin;
  const double ybot = ymin < 0.0 ? ymin - 0.05 * span : 0.0;
  double ytop = ymax + 0.08 * span;
  const std::vector<double> yt = linear_ticks(ybot, ytop, 5);
  if (!yt.empty()) ytop = std::max(ytop, yt.back());
  const Frame f{static_cast<double>(o.width), static_cast<double>(o.height), 64, 16, 34, 46, xmin, xmax, ybot, ytop,
                log_x};
  std::string s = open_svg(f, o);
  s += axes(f, o, o.y_label);
  if (!any) s += no_data(f);
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const XYSeries& xy = series[i];
    const std::string c(series_color(i));
    const std::size_t n = std::min(xy.x.size(), xy.y.size());
    std::string pts, marks;
    std::size_t shown = 0;
    const auto flush = [&] {
      if (!pts.empty()) {
        s += "<polyline fill=\"none\" stroke=\"" + c + "\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
      }
      pts.clear();
    };
    for (std::size_t k = 0; k < n; ++k) {
      if (!finite(xy.x[k], xy.y[k])) {
        flush();
        continue;
      }
      ++shown;
      const std::string px = fx(f.px(xy.x[k])), py = fx(f.py(xy.y[k]));
      pts += (pts.empty() ? "" : " ") + px + "," + py;
      marks += "<circle cx=\"" + px + "\" cy=\"" + py + "\" r=\"3\" fill=\"" + c + "\"/>\n";
    }
    flush();
    s += marks;
    std::string l = xy.name;
    if (shown < n) l += " (" + std::to_string(n - shown) + " points n/a)";
    labels.push_back(std::move(l));
  }
  if (!labels.empty()) s += legend_of(f, labels, false);
  s += "</svg>\n";
  return s;
}

}  // namespace autoopt::gen::svg
