// Minimal self-contained SVG plots (no dependencies): empirical CDFs, density histograms and x-y
// line plots of several named series on shared axes, with ticks, labels, a legend and an optional log x axis.
// The output is a well-formed <svg> element (text is XML-escaped) that can be written to a file or
// inlined in HTML.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::gen::svg {

// XML text/attribute escaping of & < > " '.
[[nodiscard]] std::string escape(std::string_view text);

// Short number for labels: %.4g, with "-0" written as "0".
[[nodiscard]] std::string format_number(double v);

// "Nice" tick positions (1, 2, 5 x 10^k steps) covering [lo, hi], about `target` of them, all
// inside [lo, hi]. lo < hi required (otherwise one tick at lo).
[[nodiscard]] std::vector<double> linear_ticks(double lo, double hi, int target = 5);
// Powers of ten inside [lo, hi] (0 < lo < hi); if fewer than two fit, 1-2-5 ticks are added.
[[nodiscard]] std::vector<double> log_ticks(double lo, double hi);

// A named list of raw values (a non-owning view: it must outlive the plotting call). Non-finite
// values are ignored; on a log axis so are values <= 0, and the legend says how many.
struct Series {
  std::string name;
  std::span<const double> values;
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;        // empty: "CDF" or "density" / "density per decade"
  bool log_x = false;
  int width = 560;
  int height = 340;
  int bins = 40;              // histograms
  // The x range spans the pooled [clip, 1 - clip] quantiles of all series; values beyond are
  // drawn at the edges (CDF) or folded into the edge bins (histogram). 0 = full range.
  double clip = 0.001;
};

// Empirical CDFs of the series, one line each (exact steps up to 2000 distinct values, otherwise
// 800 evenly spaced order statistics).
[[nodiscard]] std::string cdf_plot(std::span<const Series> series, const PlotOptions& options);

// Overlaid histograms on shared bins, each normalised to unit area (per unit x, or per decade on a
// log axis), drawn as translucent step outlines.
[[nodiscard]] std::string histogram_plot(std::span<const Series> series, const PlotOptions& options);

// A named polyline: points (x[i], y[i]); x and y must have the same length (extra values are
// ignored). A point with a non-finite coordinate breaks the line (no marker, no segment across it).
struct XYSeries {
  std::string name;
  std::vector<double> x, y;
};

// Line plot of the series on shared axes (markers at the points, legend at the top right). The x
// range spans all finite x (log axis when options.log_x and every x is positive); the y range
// starts at 0 unless a value is negative. options.bins and options.clip are not used.
[[nodiscard]] std::string line_plot(std::span<const XYSeries> series, const PlotOptions& options);

// The colour of series i ("#1f77b4", ...), cycling.
[[nodiscard]] std::string_view series_color(std::size_t i) noexcept;

}  // namespace autoopt::gen::svg
