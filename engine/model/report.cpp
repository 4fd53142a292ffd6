// Prediction records, their MPI gathering, and the per-size evaluation table (no libtorch).
#include "model/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>

#include "io/gnnet2023.hpp"
#include "net/error.hpp"

namespace autoopt::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void append_num(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out.append(buf, r.ptr);
}

template <class T>
void append_int(std::string& out, T v) {
  out += std::to_string(v);
}

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", fraction * 100.0);
  return buf;
}

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

// Whitespace-separated tokens of one line of serialize()'s form.
class Tokens {
 public:
  Tokens(std::string_view line, std::size_t line_no) : rest_(line), line_no_(line_no) {}
  std::string_view next(const char* what) {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    const auto end = rest_.find(' ');
    const std::string_view tok = rest_.substr(0, end);
    if (tok.empty()) fail(what, "nothing");
    rest_ = end == std::string_view::npos ? std::string_view{} : rest_.substr(end);
    return tok;
  }
  template <class T>
  T integer(const char* what) {
    const auto tok = next(what);
    T v{};
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (r.ec != std::errc{} || r.ptr != tok.data() + tok.size()) fail(what, std::string(tok));
    return v;
  }
  double number(const char* what) {
    const auto tok = next(what);
    if (tok == "nan") return kNaN;
    double v = 0.0;
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (r.ec != std::errc{} || r.ptr != tok.data() + tok.size()) fail(what, std::string(tok));
    return v;
  }
  std::string_view rest() const {
    return rest_.empty() ? rest_ : rest_.substr(1);  // after the single separating space
  }
  [[noreturn]] void fail(const char* what, const std::string& got) const {
    throw Error("prediction records, line " + std::to_string(line_no_) + ": expected " + what +
                ", got '" + got + "'");
  }

 private:
  std::string_view rest_;
  std::size_t line_no_;
};

// make_records for a link-path sample: one record per PathFlow, delays in the data's unit.
SampleRecords link_path_records(const net::Sample& sample, std::size_t index, std::span<const double> delay,
                                std::span<const double> jitter, std::span<const double> loss) {
  SampleRecords r;
  r.index = index;
  r.id = sample.id;
  r.graph_name = sample.graph_name;
  r.nodes = sample.num_nodes();
  r.delay_unit_s = sample.link_paths.delay_unit_s;
  const auto& flows = sample.link_paths.flows;
  const std::string who = "sample " + std::to_string(index) + " (id " + std::to_string(sample.id) + ", " +
                          sample.graph_name + ")";
  if (!(r.delay_unit_s > 0) || !std::isfinite(r.delay_unit_s)) {
    throw Error("make_records: " + who + ": link_paths.delay_unit_s is " + std::to_string(r.delay_unit_s) +
                ", expected a finite number > 0");
  }
  if (delay.size() != flows.size() || jitter.size() != flows.size() || loss.size() != flows.size()) {
    throw Error("make_records: " + who + ": " + std::to_string(delay.size()) + "/" +
                std::to_string(jitter.size()) + "/" + std::to_string(loss.size()) +
                " delay/jitter/loss predictions, expected one per link-path flow (" +
                std::to_string(flows.size()) + ")");
  }
  const auto num_links = sample.topology.links.size();
  r.paths.reserve(flows.size());
  for (std::size_t f = 0; f < flows.size(); ++f) {
    const net::PathFlow& flow = flows[f];
    const auto bad = [&](int l) { return l < 0 || static_cast<std::size_t>(l) >= num_links; };
    if (flow.links.empty() || bad(flow.links.front()) || bad(flow.links.back())) {
      throw Error("make_records: " + who + ": flow " + std::to_string(f) + " (" + flow.name +
                  ") has an empty path or a link index outside 0.." + std::to_string(num_links) + ")");
    }
    PathRecord rec;
    rec.src = sample.topology.links[static_cast<std::size_t>(flow.links.front())].src;
    rec.dst = sample.topology.links[static_cast<std::size_t>(flow.links.back())].dst;
    rec.flow = static_cast<int>(f);
    rec.pred_delay = io::to_source_delay_unit(sample, delay[f]);
    rec.pred_jitter = rec.pred_loss = kNaN;  // not measured in this data, so not trained
    rec.true_delay = flow.avg_delay >= 0 ? io::to_source_delay_unit(sample, flow.avg_delay) : kNaN;
    rec.true_jitter = rec.true_loss = kNaN;
    r.has_truth = r.has_truth || flow.avg_delay >= 0;
    r.paths.push_back(rec);
  }
  return r;
}

// "s", "ms", "us" for the usual delay units, else the number of seconds with an "s".
std::string unit_name(double unit_s) {
  if (unit_s == 1.0) return "s";
  if (unit_s == 1e-3) return "ms";
  if (unit_s == 1e-6) return "us";
  std::string out;
  append_num(out, unit_s);
  return out + "s";
}

}  // namespace

SampleRecords make_records(const net::Sample& sample, std::size_t index, std::span<const double> delay,
                           std::span<const double> jitter, std::span<const double> loss) {
  if (!sample.link_paths.empty()) return link_path_records(sample, index, delay, jitter, loss);
  SampleRecords r;
  r.index = index;
  r.id = sample.id;
  r.graph_name = sample.graph_name;
  r.nodes = sample.num_nodes();
  r.has_truth = sample.results.has_value();
  const std::string who = "sample " + std::to_string(index) + " (id " + std::to_string(sample.id) + ", " +
                          sample.graph_name + ")";
  const auto n = static_cast<std::size_t>(r.nodes);
  const auto& pairs = sample.traffic.pairs;
  if (pairs.size() != n * n) {
    throw Error("make_records: " + who + ": traffic has " + std::to_string(pairs.size()) +
                " pair entries, expected N*N = " + std::to_string(n * n));
  }
  std::size_t flows = 0;
  for (const auto& p : pairs) flows += p.size();
  if (delay.size() != flows || jitter.size() != flows || loss.size() != flows) {
    throw Error("make_records: " + who + ": " + std::to_string(delay.size()) + "/" +
                std::to_string(jitter.size()) + "/" + std::to_string(loss.size()) +
                " delay/jitter/loss predictions, expected one per flow (" + std::to_string(flows) + ")");
  }
  const net::Results* res = sample.results ? &*sample.results : nullptr;
  const bool per_flow = res && !res->flows.empty();
  if (res && per_flow && res->flows.size() != flows) {
    throw Error("make_records: " + who + ": results have " + std::to_string(res->flows.size()) +
                " per-flow records, expected " + std::to_string(flows));
  }
  if (res && !per_flow && res->pairs.size() != n * n) {
    throw Error("make_records: " + who + ": results have " + std::to_string(res->pairs.size()) +
                " pair records, expected " + std::to_string(n * n));
  }
  r.paths.reserve(flows);
  std::size_t p = 0;
  for (std::size_t k = 0; k < n * n; ++k) {
    for (std::size_t f = 0; f < pairs[k].size(); ++f, ++p) {
      PathRecord rec;
      rec.src = static_cast<int>(k / n);
      rec.dst = static_cast<int>(k % n);
      rec.flow = static_cast<int>(f);
      rec.pred_delay = delay[p];
      rec.pred_jitter = jitter[p];
      rec.pred_loss = loss[p];
      if (res) {
        const net::PathStats& st = per_flow ? res->flows[p] : res->pairs[k];
        rec.true_delay = st.avg_delay;
        rec.true_jitter = st.jitter;
        rec.true_loss = st.loss_ratio();
      } else {
        rec.true_delay = rec.true_jitter = rec.true_loss = kNaN;
      }
      r.paths.push_back(rec);
    }
  }
  return r;
}

std::string serialize(std::span<const SampleRecords> records) {
  std::string out;
  for (const SampleRecords& s : records) {
    if (s.delay_unit_s != 1.0) {  // optional line before the header: the delay unit
      out += "U ";
      append_num(out, s.delay_unit_s);
      out += '\n';
    }
    out += "S ";
    append_int(out, s.index);
    out += ' ';
    append_int(out, s.id);
    out += ' ';
    append_int(out, s.nodes);
    out += s.has_truth ? " 1 " : " 0 ";
    append_int(out, s.paths.size());
    out += ' ';
    out += s.graph_name;
    out += '\n';
    for (const PathRecord& p : s.paths) {
      append_int(out, p.src);
      out += ' ';
      append_int(out, p.dst);
      out += ' ';
      append_int(out, p.flow);
      for (const double v : {p.pred_delay, p.pred_jitter, p.pred_loss, p.true_delay, p.true_jitter, p.true_loss}) {
        out += ' ';
        append_num(out, v);
      }
      out += '\n';
    }
  }
  return out;
}

std::vector<SampleRecords> deserialize(std::string_view text) {
  std::vector<SampleRecords> out;
  std::size_t pos = 0, line_no = 0;
  const auto next_line = [&]() -> std::string_view {
    const auto end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    return line;
  };
  while (pos < text.size()) {
    std::string_view header = next_line();
    double unit = 1.0;
    if (header.substr(0, 2) == "U ") {
      Tokens u(header, line_no);
      (void)u.next("'U'");
      unit = u.number("the delay unit in seconds");
      if (!(unit > 0) || !std::isfinite(unit)) u.fail("a delay unit > 0", std::to_string(unit));
      if (pos >= text.size()) Tokens("", line_no + 1).fail("a sample header 'S ...'", "end of text");
      header = next_line();
    }
    Tokens h(header, line_no);
    if (h.next("'S'") != "S") h.fail("a sample header 'S ...'", "another token");
    SampleRecords s;
    s.delay_unit_s = unit;
    s.index = h.integer<std::size_t>("the sample index");
    s.id = h.integer<std::int64_t>("the sample id");
    s.nodes = h.integer<int>("the node count");
    s.has_truth = h.integer<int>("0 or 1 (has truth)") != 0;
    const auto count = h.integer<std::size_t>("the path count");
    s.graph_name = std::string(h.rest());
    s.paths.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (pos >= text.size()) Tokens("", line_no + 1).fail("a path record", "end of text");
      const std::string_view line = next_line();
      Tokens t(line, line_no);
      PathRecord p;
      p.src = t.integer<int>("src");
      p.dst = t.integer<int>("dst");
      p.flow = t.integer<int>("flow");
      p.pred_delay = t.number("pred_delay");
      p.pred_jitter = t.number("pred_jitter");
      p.pred_loss = t.number("pred_loss");
      p.true_delay = t.number("true_delay");
      p.true_jitter = t.number("true_jitter");
      p.true_loss = t.number("true_loss");
      s.paths.push_back(p);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<SampleRecords> gather_records(std::vector<SampleRecords> local, MPI_Comm comm) {
  const auto by_index = [](const SampleRecords& a, const SampleRecords& b) { return a.index < b.index; };
  if (comm == MPI_COMM_NULL) {
    std::sort(local.begin(), local.end(), by_index);
    return local;
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const std::string mine = serialize(local);
  if (mine.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error("gather_records: rank " + std::to_string(rank) + " has " + std::to_string(mine.size()) +
                " bytes of records, more than one MPI message can carry");
  }
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<std::size_t>(size), 0), displs(static_cast<std::size_t>(size), 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    long long total = 0;
    for (int r = 0; r < size; ++r) {
      displs[static_cast<std::size_t>(r)] = static_cast<int>(total);
      total += lens[static_cast<std::size_t>(r)];
    }
    if (total > std::numeric_limits<int>::max()) {
      throw Error("gather_records: " + std::to_string(total) + " bytes of records exceed one MPI message");
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, comm);
  if (rank != 0) return {};
  std::vector<SampleRecords> out = deserialize(all);
  std::sort(out.begin(), out.end(), by_index);
  return out;
}

std::string predictions_csv(std::span<const SampleRecords> records) {
  const bool with_unit = std::any_of(records.begin(), records.end(),
                                     [](const SampleRecords& s) { return s.delay_unit_s != 1.0; });
  std::string out =
      "sample_index,sample_id,graph,nodes,src,dst,flow,pred_delay,pred_jitter,pred_loss,"
      "true_delay,true_jitter,true_loss";
  out += with_unit ? ",delay_unit\n" : "\n";
  for (const SampleRecords& s : records) {
    const std::string unit = with_unit ? "," + unit_name(s.delay_unit_s) + "\n" : "\n";
    std::string prefix = std::to_string(s.index) + ',' + std::to_string(s.id) + ',' +
                         csv_field(s.graph_name) + ',' + std::to_string(s.nodes) + ',';
    for (const PathRecord& p : s.paths) {
      out += prefix;
      append_int(out, p.src);
      out += ',';
      append_int(out, p.dst);
      out += ',';
      append_int(out, p.flow);
      for (const double v : {p.pred_delay, p.pred_jitter, p.pred_loss}) {
        out += ',';
        if (!std::isnan(v)) append_num(out, v);
      }
      for (const double v : {p.true_delay, p.true_jitter, p.true_loss}) {
        out += ',';
        if (s.has_truth && !std::isnan(v)) append_num(out, v);
      }
      out += unit;
    }
  }
  return out;
}

void EvaluationTable::add(const SampleRecords& sample) {
  if (!sample.has_truth) {
    throw Error("evaluation: sample " + std::to_string(sample.index) + " (id " + std::to_string(sample.id) +
                ", " + sample.graph_name + ") has no results to compare with; evaluate needs a simulated dataset");
  }
  auto it = std::lower_bound(sizes_.begin(), sizes_.end(), sample.nodes,
                             [](const auto& e, int n) { return e.first < n; });
  if (it == sizes_.end() || it->first != sample.nodes) it = sizes_.insert(it, {sample.nodes, Acc{}});
  for (Acc* a : {&it->second, &all_}) {
    ++a->samples;
    for (const PathRecord& p : sample.paths) {
      ++a->paths;
      if (p.true_delay > 0) {
        a->delay_sum += std::abs(p.pred_delay - p.true_delay) / p.true_delay;
        ++a->delay_paths;
      }
      if (p.true_jitter > 0) {
        a->jitter_sum += std::abs(p.pred_jitter - p.true_jitter) / p.true_jitter;
        ++a->jitter_paths;
      }
      if (!std::isnan(p.true_loss) && !std::isnan(p.pred_loss)) {
        a->loss_sum += std::abs(p.pred_loss - p.true_loss);
        ++a->loss_paths;
      }
    }
  }
}

SizeRow EvaluationTable::row(int nodes, const Acc& a) {
  SizeRow r;
  r.nodes = nodes;
  r.samples = a.samples;
  r.paths = a.paths;
  r.delay_paths = a.delay_paths;
  r.jitter_paths = a.jitter_paths;
  r.loss_paths = a.loss_paths;
  if (a.delay_paths > 0) r.delay_mape = a.delay_sum / static_cast<double>(a.delay_paths);
  if (a.jitter_paths > 0) r.jitter_mape = a.jitter_sum / static_cast<double>(a.jitter_paths);
  if (a.loss_paths > 0) r.loss_mae = a.loss_sum / static_cast<double>(a.loss_paths);
  return r;
}

std::vector<SizeRow> mean_rows(std::span<const std::vector<SizeRow>> tables) {
  if (tables.empty()) throw Error("mean_rows: no tables to average");
  std::vector<SizeRow> out = tables.front();
  for (std::size_t t = 1; t < tables.size(); ++t) {
    const std::vector<SizeRow>& rows = tables[t];
    if (rows.size() != out.size())
      throw Error("mean_rows: table " + std::to_string(t) + " has " + std::to_string(rows.size()) +
                  " rows, the first " + std::to_string(out.size()) + " (not the same evaluation set)");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const SizeRow& r = rows[i];
      SizeRow& m = out[i];
      if (r.nodes != m.nodes || r.samples != m.samples || r.paths != m.paths || r.delay_paths != m.delay_paths ||
          r.jitter_paths != m.jitter_paths || r.loss_paths != m.loss_paths)
        throw Error("mean_rows: row " + std::to_string(i) + " of table " + std::to_string(t) +
                    " counts other samples or paths than the first table's (not the same evaluation set)");
      m.delay_mape += r.delay_mape;
      m.jitter_mape += r.jitter_mape;
      m.loss_mae += r.loss_mae;
    }
  }
  const auto n = static_cast<double>(tables.size());
  for (SizeRow& m : out) {
    m.delay_mape /= n;
    m.jitter_mape /= n;
    m.loss_mae /= n;
  }
  return out;
}

std::vector<SizeRow> EvaluationTable::rows() const {
  std::vector<SizeRow> out;
  for (const auto& [n, a] : sizes_) out.push_back(row(n, a));
  out.push_back(row(0, all_));
  return out;
}

std::string EvaluationTable::to_text() const {
  char buf[160];
  std::string out;
  std::snprintf(buf, sizeof buf, "%7s %8s %9s %14s %15s %12s\n", "nodes", "samples", "paths",
                "delay MAPE %", "jitter MAPE %", "loss MAE");
  out += buf;
  for (const SizeRow& r : rows()) {
    const std::string nodes = r.nodes == 0 ? "all" : std::to_string(r.nodes);
    const auto value = [](std::int64_t count, double v, const char* format) {
      char b[32];
      if (count == 0) return std::string("n/a");
      std::snprintf(b, sizeof b, format, v);
      return std::string(b);
    };
    std::snprintf(buf, sizeof buf, "%7s %8lld %9lld %14s %15s %12s\n", nodes.c_str(),
                  static_cast<long long>(r.samples), static_cast<long long>(r.paths),
                  value(r.delay_paths, r.delay_mape * 100.0, "%.2f").c_str(),
                  value(r.jitter_paths, r.jitter_mape * 100.0, "%.2f").c_str(),
                  value(r.loss_paths, r.loss_mae, "%.5f").c_str());
    out += buf;
  }
  return out;
}

std::string EvaluationTable::to_csv() const { return rows_csv(rows()); }

std::string rows_csv(std::span<const SizeRow> rows) {
  std::string out = "nodes,samples,paths,delay_paths,jitter_paths,delay_mape_pct,jitter_mape_pct,loss_mae\n";
  for (const SizeRow& r : rows) {
    out += (r.nodes == 0 ? std::string("all") : std::to_string(r.nodes)) + ',' + std::to_string(r.samples) +
           ',' + std::to_string(r.paths) + ',' + std::to_string(r.delay_paths) + ',' +
           std::to_string(r.jitter_paths) + ',';
    append_num(out, r.delay_mape * 100.0);
    out += ',';
    append_num(out, r.jitter_mape * 100.0);
    out += ',';
    append_num(out, r.loss_mae);
    out += '\n';
  }
  return out;
}

std::string EvaluationTable::to_json() const {
  const auto obj = [](const SizeRow& r) {
    std::string o = "{\"nodes\":" + (r.nodes == 0 ? std::string("\"all\"") : std::to_string(r.nodes)) +
                    ",\"samples\":" + std::to_string(r.samples) + ",\"paths\":" + std::to_string(r.paths) +
                    ",\"delay_paths\":" + std::to_string(r.delay_paths) +
                    ",\"jitter_paths\":" + std::to_string(r.jitter_paths) + ",\"delay_mape_pct\":";
    append_num(o, r.delay_mape * 100.0);
    o += ",\"jitter_mape_pct\":";
    append_num(o, r.jitter_mape * 100.0);
    o += ",\"loss_mae\":";
    append_num(o, r.loss_mae);
    return o + "}";
  };
  const auto all = rows();
  std::string out = "{\"sizes\":[";
  for (std::size_t i = 0; i + 1 < all.size(); ++i) out += (i ? "," : "") + obj(all[i]);
  out += "],\"overall\":" + obj(all.back()) + "}\n";
  return out;
}

std::string EvaluationTable::to_svg() const {
  constexpr double W = 640, H = 400, L = 70, R = 20, T = 40, B = 60;
  auto all = rows();
  all.pop_back();  // the overall row is not a point
  double xmin = 0, xmax = 1, ymax = 1;
  if (!all.empty()) {
    xmin = all.front().nodes;
    xmax = all.back().nodes;
    if (xmax == xmin) {
      xmin -= 1;
      xmax += 1;
    }
    for (const SizeRow& r : all) ymax = std::max({ymax, r.delay_mape * 100.0, r.jitter_mape * 100.0});
  }
  ymax *= 1.1;
  const auto px = [&](double x) { return L + (x - xmin) / (xmax - xmin) * (W - L - R); };
  const auto py = [&](double y) { return H - B - y / ymax * (H - T - B); };
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\" "
                  "viewBox=\"0 0 640 400\" font-family=\"sans-serif\" font-size=\"12\">\n"
                  "<rect width=\"640\" height=\"400\" fill=\"white\"/>\n"
                  "<text x=\"320\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Prediction error by "
                  "network size</text>\n";
  s += "<line x1=\"" + fixed(L, 1) + "\" y1=\"" + fixed(H - B, 1) + "\" x2=\"" + fixed(W - R, 1) + "\" y2=\"" +
       fixed(H - B, 1) + "\" stroke=\"black\"/>\n";
  s += "<line x1=\"" + fixed(L, 1) + "\" y1=\"" + fixed(T, 1) + "\" x2=\"" + fixed(L, 1) + "\" y2=\"" +
       fixed(H - B, 1) + "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double y = ymax * i / 5.0;
    s += "<text x=\"" + fixed(L - 6, 1) + "\" y=\"" + fixed(py(y) + 4, 1) + "\" text-anchor=\"end\">" +
         fixed(y, 1) + "</text>\n";
    s += "<line x1=\"" + fixed(L, 1) + "\" y1=\"" + fixed(py(y), 1) + "\" x2=\"" + fixed(W - R, 1) +
         "\" y2=\"" + fixed(py(y), 1) + "\" stroke=\"#ddd\"/>\n";
  }
  for (const SizeRow& r : all) {
    s += "<text x=\"" + fixed(px(r.nodes), 1) + "\" y=\"" + fixed(H - B + 18, 1) +
         "\" text-anchor=\"middle\">" + std::to_string(r.nodes) + "</text>\n";
  }
  s += "<text x=\"" + fixed((L + W - R) / 2, 1) + "\" y=\"" + fixed(H - 15, 1) +
       "\" text-anchor=\"middle\">nodes</text>\n";
  s += "<text x=\"18\" y=\"" + fixed((T + H - B) / 2, 1) + "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " +
       fixed((T + H - B) / 2, 1) + ")\">MAPE (%)</text>\n";
  const auto series = [&](double SizeRow::*field, const char* color, const char* name, double ly) {
    std::string pts;
    for (const SizeRow& r : all) {
      pts += fixed(px(r.nodes), 1) + "," + fixed(py(r.*field * 100.0), 1) + " ";
    }
    std::string out = "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"2\" points=\"" +
                      pts + "\"/>\n";
    for (const SizeRow& r : all) {
      out += "<circle cx=\"" + fixed(px(r.nodes), 1) + "\" cy=\"" + fixed(py(r.*field * 100.0), 1) +
             "\" r=\"3\" fill=\"" + color + "\"/>\n";
    }
    out += "<line x1=\"" + fixed(W - R - 130, 1) + "\" y1=\"" + fixed(ly, 1) + "\" x2=\"" + fixed(W - R - 110, 1) +
           "\" y2=\"" + fixed(ly, 1) + "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n<text x=\"" +
           fixed(W - R - 105, 1) + "\" y=\"" + fixed(ly + 4, 1) + "\">" + name + "</text>\n";
    return out;
  };
  s += series(&SizeRow::delay_mape, "#1f77b4", "delay MAPE", T + 10);
  if (all_.jitter_paths > 0) s += series(&SizeRow::jitter_mape, "#d62728", "jitter MAPE", T + 28);
  s += "</svg>\n";
  return s;
}

}  // namespace autoopt::model
