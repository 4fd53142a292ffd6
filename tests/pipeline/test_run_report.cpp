// The run report: Table I/II CSVs parse back to the inputs, report.json is well-formed JSON whose
// numbers round-trip, the HTML page is balanced, escaped and shows n/a for NaN, optional sections
// appear only with their inputs, and write_run_report leaves exactly its four files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../gen/indicator_fixtures.hpp"
#include "gen/distance.hpp"
#include "io/archive.hpp"
#include "io/numfmt.hpp"
#include "net/error.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::pipeline {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------- a minimal JSON parser

struct Json;
using JsonObject = std::vector<std::pair<std::string, Json>>;
using JsonArray = std::vector<Json>;
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<JsonArray>, std::shared_ptr<JsonObject>> v;
  [[nodiscard]] bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  [[nodiscard]] double num() const { return std::get<double>(v); }
  [[nodiscard]] const std::string& str() const { return std::get<std::string>(v); }
  [[nodiscard]] const JsonArray& arr() const { return *std::get<std::shared_ptr<JsonArray>>(v); }
  [[nodiscard]] const Json& operator[](std::string_view key) const {
    for (const auto& [k, val] : *std::get<std::shared_ptr<JsonObject>>(v)) {
      if (k == key) return val;
    }
    throw std::runtime_error("no key " + std::string(key));
  }
  [[nodiscard]] const Json& operator[](std::size_t i) const { return arr().at(i); }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}
  Json parse_document() {
    Json j = value();
    ws();
    if (p_ != s_.size()) fail("trailing characters");
    return j;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(p_));
  }
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\t' || s_[p_] == '\r')) ++p_;
  }
  bool eat(std::string_view lit) {
    if (s_.substr(p_, lit.size()) != lit) return false;
    p_ += lit.size();
    return true;
  }
  Json value() {
    ws();
    if (p_ >= s_.size()) fail("unexpected end");
    const char c = s_[p_];
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return Json{string()};
    if (eat("null")) return Json{nullptr};
    if (eat("true")) return Json{true};
    if (eat("false")) return Json{false};
    return Json{number()};
  }
  double number() {
    // JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    const std::size_t start = p_;
    const auto digits = [&] {
      const std::size_t d = p_;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
      if (p_ == d) fail("digit expected");
    };
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    if (p_ < s_.size() && s_[p_] == '0') {
      ++p_;
    } else {
      digits();
    }
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      digits();
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      digits();
    }
    double out = 0;
    const std::string_view text = s_.substr(start, p_ - start);
    // from_chars-based parsing (no '+' in front; the exponent's '+' is fine).
    if (!io::numfmt::parse_double(text, out)) fail("bad number " + std::string(text));
    return out;
  }
  std::string string() {
    ++p_;  // opening quote
    std::string out;
    while (true) {
      if (p_ >= s_.size()) fail("unterminated string");
      const char c = s_[p_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= s_.size()) fail("bad escape");
      const char e = s_[p_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (p_ + 4 > s_.size()) fail("bad \\u escape");
          const unsigned code = std::stoul(std::string(s_.substr(p_, 4)), nullptr, 16);
          p_ += 4;
          if (code >= 0x80) fail("test parser handles ASCII \\u escapes only");
          out += static_cast<char>(code);
          break;
        }
        default: fail("bad escape");
      }
    }
  }
  Json array() {
    ++p_;
    auto a = std::make_shared<JsonArray>();
    ws();
    if (eat("]")) return Json{a};
    while (true) {
      a->push_back(value());
      ws();
      if (eat("]")) return Json{a};
      if (!eat(",")) fail("',' or ']' expected");
    }
  }
  Json object() {
    ++p_;
    auto o = std::make_shared<JsonObject>();
    ws();
    if (eat("}")) return Json{o};
    while (true) {
      ws();
      if (p_ >= s_.size() || s_[p_] != '"') fail("key expected");
      std::string key = string();
      ws();
      if (!eat(":")) fail("':' expected");
      o->emplace_back(std::move(key), value());
      ws();
      if (eat("}")) return Json{o};
      if (!eat(",")) fail("',' or '}' expected");
    }
  }
  std::string_view s_;
  std::size_t p_ = 0;
};

Json parse_json(std::string_view text) { return JsonParser(text).parse_document(); }

// ---------------------------------------------------------------- CSV and HTML helpers

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
    } else {
      field += c;
    }
    any = true;
  }
  EXPECT_TRUE(!any || text.back() == '\n') << "CSV must end with a newline";
  return rows;
}

double to_double(const std::string& s) {
  double v = 0;
  EXPECT_TRUE(io::numfmt::parse_double(s, v)) << "not a number: '" << s << "'";
  return v;
}

std::size_t count(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

// Every element is closed in order (void elements written as <x .../>); returns "" or the problem.
std::string tag_balance(const std::string& html) {
  std::vector<std::string> stack;
  std::size_t p = 0;
  while ((p = html.find('<', p)) != std::string::npos) {
    const std::size_t e = html.find('>', p);
    if (e == std::string::npos) return "unterminated tag at " + std::to_string(p);
    const std::string tag = html.substr(p + 1, e - p - 1);
    p = e + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '!') continue;  // <!DOCTYPE html>
    if (tag.back() == '/') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        return "</" + name + "> closes <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">";
      }
      stack.pop_back();
      continue;
    }
    const std::size_t sp = tag.find_first_of(" \n\t");
    const std::string name = tag.substr(0, sp);
    for (const char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) return "odd tag name <" + name + ">";
    }
    stack.push_back(name);
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

// The text between `start` and the next "<h2>" (or the end).
std::string section(const std::string& html, std::string_view start) {
  const std::size_t b = html.find(start);
  if (b == std::string::npos) return "";
  const std::size_t e = html.find("<h2>", b + start.size());
  return html.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

// ---------------------------------------------------------------- inputs

model::SizeRow size_row(int nodes, std::int64_t samples, double delay, double jitter, double loss) {
  model::SizeRow r;
  r.nodes = nodes;
  r.samples = samples;
  r.paths = samples * nodes * (nodes - 1);
  r.delay_paths = r.paths;
  r.jitter_paths = r.paths - 1;
  r.loss_paths = r.paths;
  r.delay_mape = delay;
  r.jitter_mape = jitter;
  r.loss_mae = loss;
  return r;
}

// The fixture sample with its results scaled by f (delays, jitter, utilisation, occupancy).
net::Sample varied_sample(double f) {
  net::Sample s = testing::indicator_sample();
  for (net::PathStats& p : s.results->pairs) {
    if (p.avg_delay > 0) {
      p.avg_delay *= f;
      p.jitter *= f * f;
      p.avg_ln_delay = std::log(p.avg_delay);
      p.p10 = p.p20 = p.p50 = p.p80 = p.p90 = p.avg_delay;
    }
  }
  for (net::PortStats& port : s.results->ports) {
    port.utilization *= f;
    for (net::QueueStats& q : port.queues) {
      q.utilization *= f;
      q.avg_occupancy *= f;
      q.max_occupancy *= f;
    }
  }
  return s;
}

gen::IndicatorSet varied_set(std::size_t samples, double lo, double hi) {
  gen::IndicatorSet set;
  for (std::size_t i = 0; i < samples; ++i) {
    const double f = samples == 1 ? lo : lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(samples - 1);
    set.add(varied_sample(f));
  }
  return set;
}

RunReportInput basic_input() {
  RunReportInput in;
  in.title = "run <quick> & test";
  in.preset = "quick";
  in.command_line = "autoopt run --preset quick --out /tmp/x";
  in.evaluation_set = "/work/shared/data/gnnet2022/validation";
  in.stages = {{"generate", 12.5, true}, {"seeds", 3.25, false}, {"incremental", 100.0, false}};
  MethodResult a;
  a.name = "autoopt";
  a.description = "seeds + incremental optimization";
  a.train_samples = 120;
  a.train_seconds = 33.3;
  a.table = {size_row(10, 5, 0.0123, 0.1234567, 0.001), size_row(50, 4, 0.0456, 0.2, 0.002),
             size_row(300, 2, 0.0789, kNaN, 0.003), size_row(0, 11, 0.05, 0.21, 0.0021)};
  MethodResult b;
  b.name = "rand<script>alert(1)</script>,\"x\"";
  b.description = "uniform random from the pool";
  b.train_samples = 120;
  b.table = {size_row(10, 5, 0.031, 0.33, 0.004), size_row(50, 4, 0.062, 0.4, 0.005),
             size_row(300, 2, 0.125, 0.5, 0.006), size_row(0, 11, 0.0777, 0.4, 0.005)};
  in.methods = {a, b};
  for (std::size_t i = 0; i < 4; ++i) {
    opt::IterationLog l;
    l.iteration = i;
    l.train_size = 20 + 10 * i;
    l.added_easy = i == 0 ? 0 : 6;
    l.added_hard = i == 0 ? 0 : 4 - i;
    l.failed_rules = i;
    l.replaced = i / 2;
    l.dropped_by_influence = i == 3 ? 1 : 0;
    l.validation_mape = 0.2 / static_cast<double>(i + 1) + 1e-17 * static_cast<double>(i);
    if (i != 2) l.test_mape = 0.25 / static_cast<double>(i + 1);
    l.pool_left = 1000 - l.train_size;
    in.iterations.push_back(l);
  }
  in.influence_agreement = opt::InfluenceAgreement{12, 10, 0.0375};
  in.pool_size = 1000;
  in.seed_count = 20;
  in.seed_replacements = {"seed 17 failed 'max_avg_lambda' -> 23"};
  for (int i = 0; i < 14; ++i) in.ood_dropped.push_back("sample " + std::to_string(i) + " <influence 0.1>");
  return in;
}

RunReportInput with_indicators(RunReportInput in) {
  in.candidates = varied_set(6, 0.6, 1.4);
  in.selected = varied_set(3, 0.8, 1.2);
  in.validation = varied_set(4, 0.9, 1.6);
  return in;
}

// ---------------------------------------------------------------- tests

TEST(RunReport, Table1CsvParsesBackToTheInputs) {
  const RunReportInput in = basic_input();
  const auto rows = parse_csv(table1_csv(in));
  ASSERT_EQ(rows.size(), 1 + 8u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"method", "nodes", "samples", "paths", "delay_mape_pct",
                                                "jitter_mape_pct", "loss_mae"}));
  std::size_t r = 1;
  for (const MethodResult& m : in.methods) {
    for (const model::SizeRow& s : m.table) {
      const auto& row = rows[r++];
      ASSERT_EQ(row.size(), 7u);
      EXPECT_EQ(row[0], m.name);  // quoted field with a comma and quotes reads back
      EXPECT_EQ(row[1], s.nodes == 0 ? "all" : std::to_string(s.nodes));
      EXPECT_EQ(to_double(row[2]), static_cast<double>(s.samples));
      EXPECT_EQ(to_double(row[3]), static_cast<double>(s.paths));
      EXPECT_EQ(to_double(row[4]), s.delay_mape * 100.0);
      if (std::isnan(s.jitter_mape)) {
        EXPECT_EQ(row[5], "");
      } else {
        EXPECT_EQ(to_double(row[5]), s.jitter_mape * 100.0);
      }
      EXPECT_EQ(to_double(row[6]), s.loss_mae);
    }
  }
}

TEST(RunReport, Table1CsvPutsTheOverallRowLast) {
  RunReportInput in;
  MethodResult m;
  m.name = "m";
  m.table = {size_row(0, 3, 0.1, 0.2, 0.3), size_row(20, 3, 0.1, 0.2, 0.3)};
  in.methods = {m};
  const auto rows = parse_csv(table1_csv(in));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][1], "20");
  EXPECT_EQ(rows[2][1], "all");
}

TEST(RunReport, Table2CsvParsesBackWithEmptyTestMape) {
  const RunReportInput in = basic_input();
  const auto rows = parse_csv(table2_csv(in));
  ASSERT_EQ(rows.size(), 1 + in.iterations.size());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"iteration", "train_size", "added_easy", "added_hard", "failed_rules",
                                                "replaced", "dropped_by_influence", "validation_mape_pct",
                                                "test_mape_pct", "pool_left"}));
  for (std::size_t i = 0; i < in.iterations.size(); ++i) {
    const opt::IterationLog& l = in.iterations[i];
    const auto& row = rows[i + 1];
    ASSERT_EQ(row.size(), 10u);
    EXPECT_EQ(to_double(row[0]), static_cast<double>(l.iteration));
    EXPECT_EQ(to_double(row[1]), static_cast<double>(l.train_size));
    EXPECT_EQ(to_double(row[2]), static_cast<double>(l.added_easy));
    EXPECT_EQ(to_double(row[3]), static_cast<double>(l.added_hard));
    EXPECT_EQ(to_double(row[4]), static_cast<double>(l.failed_rules));
    EXPECT_EQ(to_double(row[5]), static_cast<double>(l.replaced));
    EXPECT_EQ(to_double(row[6]), static_cast<double>(l.dropped_by_influence));
    EXPECT_EQ(to_double(row[7]), l.validation_mape * 100.0);
    if (l.test_mape) {
      EXPECT_EQ(to_double(row[8]), *l.test_mape * 100.0);
    } else {
      EXPECT_EQ(row[8], "");
    }
    EXPECT_EQ(to_double(row[9]), static_cast<double>(l.pool_left));
  }
  // Already-percent MAPEs are not scaled again.
  RunReportInput pct = in;
  pct.iteration_mape_scale = 1.0;
  EXPECT_EQ(to_double(parse_csv(table2_csv(pct))[1][7]), in.iterations[0].validation_mape);
}

TEST(RunReport, JsonIsWellFormedAndRoundTrips) {
  const RunReportInput in = with_indicators(basic_input());
  const std::string text = run_report_json(in);
  Json j;
  ASSERT_NO_THROW(j = parse_json(text)) << text.substr(0, 400);
  EXPECT_EQ(j["title"].str(), in.title);
  EXPECT_EQ(j["command_line"].str(), in.command_line);
  ASSERT_EQ(j["methods"].arr().size(), in.methods.size());
  for (std::size_t m = 0; m < in.methods.size(); ++m) {
    const Json& jm = j["methods"][m];
    EXPECT_EQ(jm["name"].str(), in.methods[m].name);
    EXPECT_EQ(jm["train_samples"].num(), static_cast<double>(in.methods[m].train_samples));
    ASSERT_EQ(jm["table"].arr().size(), in.methods[m].table.size());
    for (std::size_t r = 0; r < in.methods[m].table.size(); ++r) {
      const model::SizeRow& s = in.methods[m].table[r];
      EXPECT_EQ(jm["table"][r]["nodes"].num(), s.nodes);
      EXPECT_EQ(jm["table"][r]["delay_mape"].num(), s.delay_mape);  // exact: numbers round-trip
      EXPECT_EQ(jm["table"][r]["loss_mae"].num(), s.loss_mae);
      if (std::isnan(s.jitter_mape)) {
        EXPECT_TRUE(jm["table"][r]["jitter_mape"].is_null());
      } else {
        EXPECT_EQ(jm["table"][r]["jitter_mape"].num(), s.jitter_mape);
      }
    }
    EXPECT_EQ(jm["overall"]["delay_mape"].num(), in.methods[m].table.back().delay_mape);
  }
  ASSERT_EQ(j["iterations"].arr().size(), in.iterations.size());
  for (std::size_t i = 0; i < in.iterations.size(); ++i) {
    EXPECT_EQ(j["iterations"][i]["validation_mape"].num(), in.iterations[i].validation_mape);
    EXPECT_EQ(j["iterations"][i]["test_mape"].is_null(), !in.iterations[i].test_mape.has_value());
  }
  EXPECT_EQ(j["influence_agreement"]["agreed"].num(), 10.0);
  EXPECT_EQ(j["influence_agreement"]["max_abs_difference"].num(), 0.0375);
  EXPECT_EQ(j["selection"]["ood_dropped"].arr().size(), in.ood_dropped.size());
  EXPECT_EQ(j["selection"]["ood_dropped"][3].str(), in.ood_dropped[3]);
  EXPECT_EQ(j["stages"][0]["stage"].str(), "generate");
  EXPECT_TRUE(std::get<bool>(j["stages"][0]["resumed"].v));

  // The distances are gen's, exactly.
  const Json& ind = j["indicators"];
  EXPECT_EQ(ind["candidates"]["samples"].num(), 6.0);
  const Json& util = ind["per_indicator"][0];
  EXPECT_EQ(util["name"].str(), "link_utilization");
  const auto c = in.candidates->values(gen::Indicator::LinkUtilization);
  const auto s = in.selected->values(gen::Indicator::LinkUtilization);
  const auto v = in.validation->values(gen::Indicator::LinkUtilization);
  EXPECT_EQ(util["candidates_vs_validation"]["wasserstein1"].num(), gen::wasserstein1(c, v));
  EXPECT_EQ(util["selected_vs_validation"]["ks"].num(), gen::ks_statistic(s, v));
  EXPECT_EQ(util["validation"]["count"].num(), static_cast<double>(v.size()));
}

TEST(RunReport, JsonWithoutOptionalPartsUsesNull) {
  RunReportInput in;
  in.candidates = varied_set(2, 1.0, 2.0);  // no validation: no distances
  in.stages = {{"x", kNaN, false}};
  const Json j = parse_json(run_report_json(in));
  EXPECT_TRUE(j["influence_agreement"].is_null());
  EXPECT_TRUE(j["stages"][0]["seconds"].is_null());
  EXPECT_TRUE(j["indicators"]["validation"].is_null());
  EXPECT_TRUE(j["indicators"]["per_indicator"][0]["candidates_vs_validation"].is_null());
  EXPECT_FALSE(j["indicators"]["per_indicator"][0]["candidates"].is_null());
  in.candidates.reset();
  EXPECT_TRUE(parse_json(run_report_json(in))["indicators"].is_null());
}

TEST(RunReport, HtmlShowsTablesEscapedWithNa) {
  const RunReportInput in = basic_input();
  const std::string h = run_report_html(in);
  EXPECT_EQ(tag_balance(h), "");
  // Section order.
  const std::size_t t1 = h.find("Table I:"), t2 = h.find("Table II:"), sel = h.find("<h2>Selection"),
                    ind = h.find("<h2>Indicators"), st = h.find("<h2>Stage wall times");
  ASSERT_NE(t1, std::string::npos);
  EXPECT_LT(h.find("class=\"headline\""), t1);
  EXPECT_LT(t1, t2);
  EXPECT_LT(t2, sel);
  EXPECT_LT(sel, ind);
  EXPECT_LT(ind, st);
  EXPECT_NE(st, std::string::npos);

  // Table I: one row per size, one overall row, every method's values.
  const std::string table1 = section(h, "Table I:");
  EXPECT_EQ(count(table1, "<tr class=\"size\">"), 3u);
  EXPECT_EQ(count(table1, "<tr class=\"overall\">"), 1u);
  EXPECT_NE(table1.find("<td class=\"n\">1.23</td><td class=\"n\">12.35</td><td class=\"n\">0.001</td>"),
            std::string::npos);
  EXPECT_NE(table1.find("<td class=\"n\">12.50</td><td class=\"n\">50.00</td><td class=\"n\">0.006</td>"),
            std::string::npos);
  EXPECT_NE(table1.find("<td class=\"n\">7.89</td><td class=\"n\">n/a</td>"), std::string::npos);  // NaN jitter
  EXPECT_EQ(count(table1, "<svg"), 2u);  // delay and jitter against the size

  // Headline: AutoOPT first, then the baseline.
  EXPECT_NE(h.find("<b>autoopt</b> overall: delay MAPE 5.00 %, jitter MAPE 21.00 %, loss MAE 0.0021"),
            std::string::npos);
  EXPECT_NE(h.find("delay MAPE 7.77 %, jitter MAPE 40.00 %, loss MAE 0.005"), std::string::npos);

  // Escaping: the method name, the title, list lines.
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_NE(h.find("rand&lt;script&gt;alert(1)&lt;/script&gt;,&quot;x&quot;"), std::string::npos);
  EXPECT_NE(h.find("<title>run &lt;quick&gt; &amp; test</title>"), std::string::npos);
  EXPECT_NE(h.find("sample 3 &lt;influence 0.1&gt;"), std::string::npos);

  // Table II with the test column (one row without a test MAPE: n/a) and the agreement.
  const std::string table2 = section(h, "Table II:");
  EXPECT_EQ(count(table2, "<tr class=\"it\">"), in.iterations.size());
  EXPECT_NE(table2.find("test MAPE %"), std::string::npos);
  EXPECT_NE(table2.find("<td class=\"n\">20.00</td><td class=\"n\">25.00</td>"), std::string::npos);
  EXPECT_NE(table2.find("<td class=\"n\">6.67</td><td class=\"n\">n/a</td>"), std::string::npos);
  EXPECT_NE(table2.find("<td class=\"n\">12</td><td class=\"n\">10</td><td class=\"n\">83.3</td>"
                        "<td class=\"n\">0.0375</td>"),
            std::string::npos);
  EXPECT_EQ(count(table2, "<svg"), 1u);

  // Selection: 14 OOD lines are collapsed, 1 replacement is not.
  const std::string selection = section(h, "<h2>Selection");
  EXPECT_EQ(count(selection, "<details>"), 1u);
  EXPECT_EQ(count(selection, "<li>"), 15u);

  // Stages: the resumed one is marked.
  const std::string stages = section(h, "<h2>Stage wall times");
  EXPECT_EQ(count(stages, "<tr class=\"resumed\">"), 1u);
  EXPECT_NE(stages.find("115.8"), std::string::npos);  // total

  // No indicators given: the section says so and has no plots.
  const std::string indicators = section(h, "<h2>Indicators");
  EXPECT_NE(indicators.find("No indicator sets were given"), std::string::npos);
  EXPECT_EQ(count(indicators, "<svg"), 0u);
}

TEST(RunReport, HtmlWithoutTestMapeHasNoTestColumn) {
  RunReportInput in = basic_input();
  for (opt::IterationLog& l : in.iterations) l.test_mape.reset();
  in.influence_agreement.reset();
  const std::string table2 = section(run_report_html(in), "Table II:");
  EXPECT_EQ(table2.find("test MAPE"), std::string::npos);
  EXPECT_EQ(table2.find("Influence"), std::string::npos);
}

TEST(RunReport, Table2NamesTheSetsOfTheIterationMapes) {
  RunReportInput in = basic_input();
  EXPECT_EQ(run_report_html(in).find("smallest of"), std::string::npos);
  in.iteration_sets = "measured on test (the 100 smallest of 878) <b>";
  const std::string table2 = section(run_report_html(in), "Table II:");
  EXPECT_NE(table2.find("measured on test (the 100 smallest of 878) &lt;b&gt;"), std::string::npos) << table2;
}

TEST(RunReport, IndicatorSectionOnlyWithIndicators) {
  const RunReportInput in = with_indicators(basic_input());
  const std::string h = run_report_html(in);
  EXPECT_EQ(tag_balance(h), "");
  const std::string ind = section(h, "<h2>Indicators");
  EXPECT_EQ(ind.find("No indicator sets were given"), std::string::npos);
  // A CDF and a histogram per indicator, each with the three sets in its legend.
  EXPECT_EQ(count(ind, "<svg"), 2u * gen::kNumIndicators);
  EXPECT_EQ(count(ind, ">candidates (n="), 2u * gen::kNumIndicators);
  EXPECT_EQ(count(ind, ">selected (n="), 2u * gen::kNumIndicators);
  EXPECT_EQ(count(ind, ">validation (n="), 2u * gen::kNumIndicators);
  // The distance table row of link_utilization holds gen's W1 and KS (formatted %.4g).
  const auto c = in.candidates->values(gen::Indicator::LinkUtilization);
  const auto v = in.validation->values(gen::Indicator::LinkUtilization);
  char w1[32];
  std::snprintf(w1, sizeof w1, "<td class=\"n\">%.4g</td><td class=\"n\">%.4g</td>", gen::wasserstein1(c, v),
                gen::ks_statistic(c, v));
  const std::size_t row = ind.find("<td>link_utilization</td>");
  ASSERT_NE(row, std::string::npos);
  EXPECT_NE(ind.substr(row, ind.find("</tr>", row) - row).find(w1), std::string::npos) << w1;

  // Without the validation set: plots of the two others, distances n/a.
  RunReportInput no_val = in;
  no_val.validation.reset();
  const std::string ind2 = section(run_report_html(no_val), "<h2>Indicators");
  EXPECT_NE(ind2.find("No validation set"), std::string::npos);
  EXPECT_EQ(count(ind2, ">validation (n="), 0u);
  EXPECT_EQ(count(ind2, ">selected (n="), 2u * gen::kNumIndicators);
  const std::size_t row2 = ind2.find("<td>link_utilization</td>");
  ASSERT_NE(row2, std::string::npos);
  EXPECT_EQ(count(ind2.substr(row2, ind2.find("</tr>", row2) - row2), "n/a"), 4u);
}

TEST(RunReport, EmptyInputGivesAValidPage) {
  const RunReportInput in;
  const std::string h = run_report_html(in);
  EXPECT_EQ(tag_balance(h), "");
  EXPECT_NE(h.find("No evaluated methods"), std::string::npos);
  EXPECT_NE(h.find("No methods were evaluated"), std::string::npos);
  EXPECT_NE(h.find("No incremental-optimization iterations"), std::string::npos);
  EXPECT_NE(h.find("No indicator sets were given"), std::string::npos);
  EXPECT_NE(h.find("No stage times were recorded"), std::string::npos);
  EXPECT_EQ(count(h, "<svg"), 0u);
  EXPECT_EQ(parse_csv(table1_csv(in)).size(), 1u);
  EXPECT_EQ(parse_csv(table2_csv(in)).size(), 1u);
  const Json j = parse_json(run_report_json(in));
  EXPECT_TRUE(j["methods"].arr().empty());
  EXPECT_TRUE(j["iterations"].arr().empty());
  EXPECT_NE(run_report_text(in).find("no evaluated methods"), std::string::npos);
}

TEST(RunReport, NonFiniteValuesNeverBreakThePage) {
  RunReportInput in = basic_input();
  in.methods[0].table = {size_row(10, 1, kNaN, std::numeric_limits<double>::infinity(), -kNaN),
                         size_row(20, 1, kNaN, kNaN, kNaN), size_row(0, 2, kNaN, kNaN, kNaN)};
  in.methods[0].train_seconds = kNaN;
  in.iterations[1].validation_mape = kNaN;
  in.influence_agreement = opt::InfluenceAgreement{0, 0, kNaN};
  in.stages[0].seconds = std::numeric_limits<double>::infinity();
  const std::string h = run_report_html(in);
  EXPECT_EQ(tag_balance(h), "");
  EXPECT_EQ(h.find("nan"), std::string::npos);
  EXPECT_EQ(h.find("inf<"), std::string::npos);
  EXPECT_NE(h.find("<b>autoopt</b> overall: delay MAPE n/a %, jitter MAPE n/a %, loss MAE n/a"), std::string::npos);
  // Line plots skip the NaN points and say so in the legend.
  EXPECT_NE(h.find("points n/a)"), std::string::npos);
  EXPECT_NO_THROW(parse_json(run_report_json(in)));
  const auto rows = parse_csv(table1_csv(in));
  EXPECT_EQ(rows[1][4], "");
  EXPECT_EQ(rows[1][5], "");
}

TEST(RunReport, MethodWithoutOverallRowOrWithMissingSizes) {
  RunReportInput in = basic_input();
  in.methods[1].table = {size_row(50, 4, 0.5, 0.5, 0.5)};  // no 10, no 300, no overall row
  const std::string t1 = section(run_report_html(in), "Table I:");
  EXPECT_EQ(count(t1, "<tr class=\"size\">"), 3u);
  // The 10-node row: baseline cells are n/a.
  const std::size_t row = t1.find("<tr class=\"size\"><td class=\"n\">10</td>");
  ASSERT_NE(row, std::string::npos);
  EXPECT_EQ(count(t1.substr(row, t1.find("</tr>", row) - row), "n/a"), 3u);
  EXPECT_TRUE(parse_json(run_report_json(in))["methods"][1]["overall"].is_null());
}

TEST(RunReport, TextHasTablesIAndII) {
  const std::string t = run_report_text(basic_input());
  EXPECT_NE(t.find("Table I"), std::string::npos);
  EXPECT_NE(t.find("Table II"), std::string::npos);
  EXPECT_NE(t.find("    1.23   12.35"), std::string::npos);
  EXPECT_NE(t.find("autoopt"), std::string::npos);
}

TEST(RunReport, WriteCreatesTheFolderAndLeavesOnlyTheFourFiles) {
  const fs::path dir = fs::temp_directory_path() / ("autoopt_run_report_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const RunReportInput in = with_indicators(basic_input());
  const fs::path out = dir / "nested" / "report";
  for (int round = 0; round < 2; ++round) {  // the second round replaces the files
    const RunReportFiles f = write_run_report(out, in);
    EXPECT_EQ(f.html, out / "report.html");
    EXPECT_EQ(f.table1, out / "table1.csv");
    EXPECT_EQ(f.table2, out / "table2.csv");
    EXPECT_EQ(f.json, out / "report.json");
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(out)) names.insert(e.path().filename().string());
    EXPECT_EQ(names, (std::set<std::string>{"report.html", "table1.csv", "table2.csv", "report.json"}));
    EXPECT_EQ(io::read_file(f.html), run_report_html(in));
    EXPECT_EQ(io::read_file(f.table1), table1_csv(in));
    EXPECT_EQ(io::read_file(f.table2), table2_csv(in));
    EXPECT_EQ(io::read_file(f.json), run_report_json(in));
  }
  fs::remove_all(dir);
}

TEST(RunReport, WriteIntoAFileFailsWithTheFolderName) {
  const fs::path file = fs::temp_directory_path() / ("autoopt_run_report_file_" + std::to_string(::getpid()));
  io::write_file_atomic(file, "x");
  try {
    (void)write_run_report(file / "sub", RunReportInput{});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create report folder"), std::string::npos) << e.what();
  }
  fs::remove(file);
}

// A realistic page: 10 sizes x 4 methods, 10 iterations, indicators of 500 candidate samples.
TEST(RunReport, RealisticPageSize) {
  RunReportInput in = basic_input();
  in.methods.clear();
  for (const char* name : {"autoopt", "random", "quickstart", "all-pool"}) {
    MethodResult m;
    m.name = name;
    for (int k = 1; k <= 10; ++k) {
      const double base = 0.01 * (1.0 + 0.3 * static_cast<double>(in.methods.size()));
      m.table.push_back(size_row(30 * k, 5, base * k, 2.0 * base * k, 0.001 * k));
    }
    m.table.push_back(size_row(0, 50, 0.05, 0.1, 0.005));
    in.methods.push_back(m);
  }
  in.iterations.clear();
  for (std::size_t i = 0; i < 10; ++i) {
    opt::IterationLog l;
    l.iteration = i;
    l.train_size = 50 + 20 * i;
    l.validation_mape = 0.3 / static_cast<double>(i + 1);
    l.test_mape = 0.35 / static_cast<double>(i + 1);
    in.iterations.push_back(l);
  }
  in.candidates = varied_set(500, 0.3, 2.5);
  in.selected = varied_set(150, 0.5, 2.0);
  in.validation = varied_set(200, 0.8, 3.0);
  const std::string h = run_report_html(in);
  EXPECT_EQ(tag_balance(h), "");
  const std::string j = run_report_json(in);
  EXPECT_NO_THROW(parse_json(j));
  std::printf("realistic page: %zu bytes HTML, %zu bytes JSON\n", h.size(), j.size());
  RecordProperty("html_bytes", static_cast<int>(h.size()));
  EXPECT_LT(h.size(), 8u << 20);
  // To look at the page: AUTOOPT_TEST_REPORT_DIR=/tmp/x ./test_pipeline_run_report
  if (const char* dir = std::getenv("AUTOOPT_TEST_REPORT_DIR")) (void)write_run_report(dir, in);
}

}  // namespace
}  // namespace autoopt::pipeline
