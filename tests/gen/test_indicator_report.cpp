// SVG plots and the indicator report: well-formed XML (checked by a small tag/entity checker),
// every indicator present in HTML/CSV/JSON, escaping, atomic writes.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "gen/indicator_report.hpp"
#include "gen/svg.hpp"
#include "indicator_fixtures.hpp"
#include "net/error.hpp"

namespace autoopt::gen {
namespace {

namespace fs = std::filesystem;

// A small XML well-formedness check: balanced and properly nested tags, quoted attributes, no raw
// '<' in text or attributes, only known entities after '&'. Returns "" if fine, else the problem.
std::string xml_problem(const std::string& s) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  const auto entity_ok = [&](std::size_t at) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (s.compare(at, std::char_traits<char>::length(e), e) == 0) return true;
    }
    if (s.compare(at, 2, "&#") == 0) {
      const std::size_t semi = s.find(';', at);
      return semi != std::string::npos && semi - at <= 8;
    }
    return false;
  };
  bool root_seen = false;
  while (i < s.size()) {
    if (s[i] == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const std::size_t e = s.find("-->", i);
      if (e == std::string::npos) return "unclosed comment";
      i = e + 3;
      continue;
    }
    if (s.compare(i, 2, "<!") == 0 || s.compare(i, 2, "<?") == 0) {
      const std::size_t e = s.find('>', i);
      if (e == std::string::npos) return "unclosed declaration";
      i = e + 1;
      continue;
    }
    const bool closing = s.compare(i, 2, "</") == 0;
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':' ||
                            s[j] == '_')) {
      ++j;
    }
    const std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return "empty tag name at " + std::to_string(i);
    if (closing) {
      if (j >= s.size() || s[j] != '>') return "bad closing tag </" + name;
      if (stack.empty() || stack.back() != name) {
        return "</" + name + "> closes <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">";
      }
      stack.pop_back();
      i = j + 1;
      continue;
    }
    // Attributes.
    bool self_closing = false;
    while (true) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return "unterminated tag <" + name;
      if (s[j] == '>') break;
      if (s.compare(j, 2, "/>") == 0) {
        self_closing = true;
        ++j;
        break;
      }
      const std::size_t a = j;
      while (j < s.size() && s[j] != '=' && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '>') ++j;
      if (j == a || j >= s.size() || s[j] != '=') return "attribute without value in <" + name;
      ++j;
      if (j >= s.size() || s[j] != '"') return "unquoted attribute in <" + name;
      const std::size_t close = s.find('"', j + 1);
      if (close == std::string::npos) return "unterminated attribute in <" + name;
      for (std::size_t k = j + 1; k < close; ++k) {
        if (s[k] == '<') return "'<' in an attribute of <" + name;
        if (s[k] == '&' && !entity_ok(k)) return "bad entity in an attribute of <" + name;
      }
      j = close + 1;
    }
    if (!self_closing) {
      if (stack.empty() && root_seen) return "second root element <" + name;
      stack.push_back(name);
    }
    root_seen = true;
    i = j + 1;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_seen) return "no element";
  return "";
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() / ("autoopt-indrep-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(XmlChecker, CatchesBrokenXml) {
  EXPECT_EQ(xml_problem("<a><b x=\"1\"/>t &amp; u</a>"), "");
  EXPECT_NE(xml_problem("<a><b></a></b>"), "");
  EXPECT_NE(xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(xml_problem("<a x=1></a>"), "");
  EXPECT_NE(xml_problem("<a>"), "");
}

TEST(Svg, EscapeAndNumbers) {
  EXPECT_EQ(svg::escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(svg::format_number(0.0), "0");
  EXPECT_EQ(svg::format_number(-0.0), "0");
  EXPECT_EQ(svg::format_number(0.25), "0.25");
  EXPECT_EQ(svg::format_number(12345678), "1.235e+07");
}

TEST(Svg, Ticks) {
  EXPECT_EQ(svg::linear_ticks(0.0, 1.0, 5), (std::vector<double>{0.0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  const auto t = svg::linear_ticks(0.13, 0.87, 4);
  ASSERT_FALSE(t.empty());
  EXPECT_GE(t.front(), 0.13);
  EXPECT_LE(t.back(), 0.87);
  EXPECT_EQ(svg::log_ticks(0.001, 10.0), (std::vector<double>{0.001, 0.01, 0.1, 1.0, 10.0}));
  const auto narrow = svg::log_ticks(1.1, 40.0);  // only 10 is a power of ten inside
  EXPECT_GE(narrow.size(), 3u);
  for (const double v : narrow) {
    EXPECT_GE(v, 1.1);
    EXPECT_LE(v, 40.0);
  }
}

TEST(Svg, PlotsAreWellFormedAndNameTheirSeries) {
  const std::vector<double> a{0.0, 0.1, 0.2, 0.2, 0.5, 1.0}, b{0.05, 0.3, 0.31, 2.0};
  const std::vector<svg::Series> series{{"small <N=10> & co", a}, {"large", b}};
  svg::PlotOptions o;
  o.title = "Link \"load\"";
  o.x_label = "utilisation";
  for (const bool log_x : {false, true}) {
    o.log_x = log_x;
    for (const std::string& s : {svg::cdf_plot(series, o), svg::histogram_plot(series, o)}) {
      EXPECT_EQ(xml_problem(s), "") << s;
      EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
      EXPECT_NE(s.find("small &lt;N=10&gt; &amp; co (n="), std::string::npos);
      EXPECT_NE(s.find("Link &quot;load&quot;"), std::string::npos);
      EXPECT_NE(s.find(std::string(svg::series_color(1))), std::string::npos);
      // On a log axis the zero of the first series is left out and the legend says so.
      EXPECT_EQ(s.find("1 &lt;= 0 not shown") != std::string::npos, log_x);
      EXPECT_EQ(s.find("(log scale)") != std::string::npos, log_x);
    }
  }
  const std::vector<svg::Series> empty{{"none", std::span<const double>{}}};
  const std::string e = svg::histogram_plot(empty, o);
  EXPECT_EQ(xml_problem(e), "");
  EXPECT_NE(e.find("no data"), std::string::npos);
}

TEST(Svg, HistogramIsDensityNormalised) {
  // Values 0.25 and 0.75 once each on [0, 1] with 2 bins: density 1 in both bins, so the top of
  // both steps is at the same height and the y axis reaches at least 1.
  const std::vector<double> v{0.0, 0.25, 0.75, 1.0};
  svg::PlotOptions o;
  o.bins = 2;
  o.clip = 0.0;
  const std::vector<svg::Series> series{{"u", v}};
  const std::string s = svg::histogram_plot(series, o);
  EXPECT_EQ(xml_problem(s), "");
  // The y tick labels go 0 .. 1 (density 1.0 = 2 values / (4 values x 0.5 bin width)).
  EXPECT_NE(s.find("text-anchor=\"end\">1</text>"), std::string::npos) << s;
  EXPECT_EQ(s.find("text-anchor=\"end\">2</text>"), std::string::npos) << s;
}

TEST(Svg, ExtremeValuesAndDegenerateRanges) {
  // A far outlier beyond the clipped range is folded into the last bin (no int overflow).
  const std::vector<double> wild{0.0, 1.0, 2.0, 3.0, 1e300, -1e300};
  svg::PlotOptions o;
  o.clip = 0.2;
  const std::vector<svg::Series> w{{"wild", wild}};
  EXPECT_EQ(xml_problem(svg::histogram_plot(w, o)), "");
  EXPECT_EQ(xml_problem(svg::cdf_plot(w, o)), "");
  // One repeated value: the range is widened around it.
  const std::vector<double> same(10, 0.5);
  const std::vector<svg::Series> s{{"same", same}};
  for (const bool log_x : {false, true}) {
    o.log_x = log_x;
    const std::string h = svg::histogram_plot(s, o);
    EXPECT_EQ(xml_problem(h), "");
    EXPECT_EQ(h.find("nan"), std::string::npos) << h;
    EXPECT_EQ(h.find("inf"), std::string::npos) << h;
  }
  EXPECT_EQ(svg::linear_ticks(1e300, 1e300 + 1e285, 5).size(), 2u);  // no room for 1-2-5 steps
}

TEST(IndicatorReport, WritesWellFormedHtmlCsvJsonWithEveryIndicator) {
  const TempDir dir;
  const IndicatorSet cand = sample_indicators(autoopt::testing::indicator_sample());
  net::Sample other = autoopt::testing::indicator_sample();
  for (net::PortStats& p : other.results->ports) p.utilization *= 1.5;
  const IndicatorSet ref = sample_indicators(other);
  ReportLabels labels;
  labels.candidates = "small <3>";
  labels.reference = "big & busy";
  const ReportFiles files = write_indicator_report(dir.path() / "report", cand, &ref, labels);
  ASSERT_TRUE(fs::exists(files.html));
  ASSERT_TRUE(fs::exists(files.csv));
  ASSERT_TRUE(fs::exists(files.json));
  // Nothing but the three files (the temporary files were renamed into place).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "report"), fs::directory_iterator{}), 3);

  const std::string html = read(files.html);
  EXPECT_EQ(xml_problem(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("small &lt;3&gt;"), std::string::npos);
  EXPECT_NE(html.find("big &amp; busy"), std::string::npos);
  // Fig. 7 (4 plots) + a CDF and a histogram per indicator.
  EXPECT_EQ(count(html, "<svg "), 4u + 2u * kNumIndicators);
  for (const IndicatorInfo& info : indicator_catalog()) {
    EXPECT_NE(html.find("<td>" + std::string(info.name) + "</td>"), std::string::npos) << info.name;
    EXPECT_NE(html.find(std::string(info.title) + " - CDF"), std::string::npos) << info.name;
  }
  EXPECT_NE(html.find("(a) Link utilisation - CDF"), std::string::npos);

  const std::string csv = read(files.csv);
  EXPECT_EQ(count(csv, "\n"), 1u + kNumIndicators);
  for (const IndicatorInfo& info : indicator_catalog()) {
    EXPECT_NE(csv.find("\n" + std::string(info.name) + ","), std::string::npos) << info.name;
  }
  // link_utilization: every value x1.5 -> W1 = 0.5 x mean(0.35, 0.15, 0.075, 0.08) = 0.081875.
  EXPECT_NE(csv.find("link_utilization,1,link,4,4,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",0.081875,"), std::string::npos) << csv;

  const std::string json = read(files.json);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(count(json, "\"name\":"), static_cast<std::size_t>(kNumIndicators));
  EXPECT_NE(json.find("\"label\":\"big & busy\""), std::string::npos);
  EXPECT_NE(json.find("\"summary\":{\"comparable\":10"), std::string::npos) << json;
  EXPECT_EQ(count(json, "{"), count(json, "}"));
  EXPECT_EQ(count(json, "["), count(json, "]"));
}

TEST(IndicatorReport, WithoutReference) {
  const IndicatorSet cand = sample_indicators(autoopt::testing::indicator_sample());
  const std::string html = indicator_report_html(cand, nullptr, ReportLabels{});
  EXPECT_EQ(xml_problem(html), "");
  EXPECT_NE(html.find("No reference set given"), std::string::npos);
  const std::string csv = indicator_report_csv(cand, nullptr);
  // n_reference 0 and empty distance columns.
  EXPECT_NE(csv.find("\nlink_utilization,1,link,4,0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",,,\n"), std::string::npos) << csv;
  const std::string json = indicator_report_json(cand, nullptr, ReportLabels{});
  EXPECT_NE(json.find("\"reference\":null"), std::string::npos);
  EXPECT_NE(json.find("\"summary\":null"), std::string::npos);
  EXPECT_EQ(json.find("nan"), std::string::npos);
  const std::string text = indicator_report_text(cand, nullptr);
  EXPECT_EQ(count(text, "\n"), 1u + kNumIndicators);
}

TEST(IndicatorReport, UnwritableFolderIsAnError) {
  const TempDir dir;
  fs::create_directories(dir.path());
  { std::ofstream(dir.path() / "file") << "x"; }
  const IndicatorSet cand = sample_indicators(autoopt::testing::indicator_sample());
  EXPECT_THROW((void)write_indicator_report(dir.path() / "file" / "sub", cand, nullptr, ReportLabels{}), Error);
}

}  // namespace
}  // namespace autoopt::gen
