// Parsers and formatters for the per-sample GNNet text files (see gnnet_text.hpp and
// shared/spec/gnnet-format.md). Parsing works on string_views with std::from_chars: no iostreams,
// no regex, no per-field allocations.
#include "io/gnnet_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <unordered_map>

#include "io/numfmt.hpp"
#include "net/error.hpp"

namespace autoopt::io::gnnet {
namespace {

using numfmt::append_f;
using numfmt::append_g;
using numfmt::append_int;
using numfmt::append_trunc_g;

// ---- error helpers ----------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& msg) { throw Error(msg); }

// 'text' for messages, shortened when long.
std::string show(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  if (s.size() > kMax) {
    out.append(s.substr(0, kMax));
    out += "...";
  } else {
    out.append(s);
  }
  out += "'";
  return out;
}

std::string where_prefix(const Where& w) {
  std::string p(w.file);
  p += " line ";
  p += std::to_string(w.line);
  p += ": ";
  return p;
}

// Error context of a record inside a pair-indexed line.
struct Ctx {
  Where where;
  int n = 0;
  long long k = -1;          // pair index, -1 for none
  const char* unit = "pair";  // "pair", "link"
  int flow = -1;
  int queue = -1;
  const char* part = nullptr;  // "header", ...

  [[nodiscard]] std::string prefix() const {
    std::string p = where_prefix(where);
    if (part != nullptr) {
      p += part;
      p += ": ";
    }
    if (k >= 0 && n > 0) {
      p += unit;
      p += " (" + std::to_string(k / n) + "," + std::to_string(k % n) + ")";
      if (flow >= 0) p += " flow " + std::to_string(flow);
      if (queue >= 0) p += " queue " + std::to_string(queue);
      p += ": ";
    }
    return p;
  }
};

// Sequential reader of the comma-separated fields of one record.
class Fields {
 public:
  Fields(std::string_view rec, const Ctx& ctx, char sep = ',')
      : begin_(rec.data()), p_(rec.data()), end_(rec.data() + rec.size()), ctx_(ctx), sep_(sep) {}

  [[nodiscard]] bool done() const noexcept { return !more_; }
  [[nodiscard]] int count() const noexcept { return count_; }

  double next_double(std::string_view name, int index = -1) {
    require(name, index);
    double v = 0.0;
    const char* q = numfmt::parse_double_prefix(p_, end_, v);
    if (q == nullptr || (q != end_ && *q != sep_)) bad(name, index, "a number");
    advance(q);
    return v;
  }

  template <class Int>
  Int next_int(std::string_view name, int index = -1) {
    require(name, index);
    Int v = 0;
    const auto r = std::from_chars(p_, end_, v);
    if (r.ec != std::errc{} || (r.ptr != end_ && *r.ptr != sep_)) bad(name, index, "an integer");
    advance(r.ptr);
    return v;
  }

  std::string_view next_text(std::string_view name) {
    require(name, -1);
    const char* q = p_;
    while (q != end_ && *q != sep_) ++q;
    const std::string_view s(p_, static_cast<std::size_t>(q - p_));
    advance(q);
    return s;
  }

  // Throws unless every field was consumed.
  void expect_end(std::string_view what) const {
    if (!more_) return;
    fail(ctx_.prefix() + "wrong field count: " + std::string(what) + " has " +
         std::to_string(count_) + " fields, but more follow: " +
         show(std::string_view(p_, static_cast<std::size_t>(end_ - p_))));
  }

  [[noreturn]] void bad(std::string_view name, int index, const char* expected) const {
    const char* q = p_;
    while (q != end_ && *q != sep_) ++q;
    fail(ctx_.prefix() + field_name(name, index) + ": expected " + expected + ", got " +
         show(std::string_view(p_, static_cast<std::size_t>(q - p_))));
  }

 private:
  static std::string field_name(std::string_view name, int index) {
    std::string f = "field '" + std::string(name) + "'";
    if (index >= 0) f += " of candidate " + std::to_string(index);
    return f;
  }
  void require(std::string_view name, int index) const {
    if (more_) return;
    fail(ctx_.prefix() + "wrong field count: missing " + field_name(name, index) + " after " +
         std::to_string(count_) + " fields (record " +
         show(std::string_view(begin_, static_cast<std::size_t>(end_ - begin_))) + ")");
  }
  void advance(const char* q) {
    ++count_;
    if (q == end_) {
      more_ = false;
      p_ = end_;
    } else {
      p_ = q + 1;  // past the separator
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const Ctx& ctx_;
  char sep_;
  bool more_ = true;
  int count_ = 0;
};

// Splits `rest` at the next ';' (consumed). Throws naming the pair if there is none.
std::string_view take_entry(std::string_view& rest, const Ctx& ctx) {
  const std::size_t pos = rest.find(';');
  if (pos == std::string_view::npos) {
    fail(ctx.prefix() + "entry " + show(rest) + " is not terminated by ';' (truncated line?)");
  }
  const std::string_view e = rest.substr(0, pos);
  rest.remove_prefix(pos + 1);
  return e;
}

void check_entry_count(std::string_view rest, long long got, int n, const Ctx& base) {
  const long long want = static_cast<long long>(n) * n;
  if (got < want) {
    fail(where_prefix(base.where) + "pair count: expected N^2 = " + std::to_string(want) +
         " entries (N = " + std::to_string(n) + "), got " + std::to_string(got) +
         " (truncated line?)");
  }
  if (!rest.empty()) {
    const long long extra = static_cast<long long>(std::count(rest.begin(), rest.end(), ';'));
    fail(where_prefix(base.where) + "pair count: expected N^2 = " + std::to_string(want) +
         " entries (N = " + std::to_string(n) + "), got " +
         std::to_string(want + extra) + (extra == 0 ? " and trailing text " + show(rest) : ""));
  }
}

// ---- topology helpers -------------------------------------------------------------------------

// Per-node output ports: port -> (neighbour, link index).
struct Adjacency {
  struct Out {
    int dst = -1;
    int link = -1;
  };
  std::vector<std::vector<Out>> by_port;

  explicit Adjacency(const net::Topology& t) : by_port(static_cast<std::size_t>(t.num_nodes())) {
    for (std::size_t i = 0; i < t.links.size(); ++i) {
      const net::Link& l = t.links[i];
      if (l.src < 0 || l.src >= t.num_nodes() || l.port < 0) continue;
      auto& v = by_port[static_cast<std::size_t>(l.src)];
      if (static_cast<std::size_t>(l.port) >= v.size()) v.resize(static_cast<std::size_t>(l.port) + 1);
      v[static_cast<std::size_t>(l.port)] = Out{l.dst, static_cast<int>(i)};
    }
  }
  [[nodiscard]] int neighbour(int node, int port) const noexcept {
    const auto& v = by_port[static_cast<std::size_t>(node)];
    if (port < 0 || static_cast<std::size_t>(port) >= v.size()) return -1;
    return v[static_cast<std::size_t>(port)].dst;
  }
  // Port of the link node -> dst, or -1.
  [[nodiscard]] int port_to(int node, int dst) const noexcept {
    const auto& v = by_port[static_cast<std::size_t>(node)];
    for (std::size_t p = 0; p < v.size(); ++p) {
      if (v[p].dst == dst) return static_cast<int>(p);
    }
    return -1;
  }
  [[nodiscard]] int num_ports(int node) const noexcept {
    return static_cast<int>(by_port[static_cast<std::size_t>(node)].size());
  }
  // Fills row[d] = link index of node -> d, for every d (row sized N, -1 elsewhere).
  void fill_row(int node, std::vector<int>& row) const {
    std::fill(row.begin(), row.end(), -1);
    for (const Out& o : by_port[static_cast<std::size_t>(node)]) {
      if (o.dst >= 0 && static_cast<std::size_t>(o.dst) < row.size()) {
        row[static_cast<std::size_t>(o.dst)] = o.link;
      }
    }
  }
};

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t pos = text.find('\n');
    if (pos == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, pos));
    text.remove_prefix(pos + 1);
  }
  return lines;
}

// =================================================================================================
// GML (§2)
// =================================================================================================
namespace {

struct GmlTok {
  enum Kind : std::uint8_t { Key, Num, Str, Open, Close, End } kind = End;
  std::string_view text;
  int line = 0;
};

class GmlLexer {
 public:
  GmlLexer(std::string_view s, std::string_view file) : s_(s), file_(file) {}

  GmlTok next() {
    skip_space();
    GmlTok t;
    t.line = line_;
    if (i_ >= s_.size()) {
      t.kind = GmlTok::End;
      return t;
    }
    const char c = s_[i_];
    const std::size_t start = i_;
    if (c == '[') {
      ++i_;
      t.kind = GmlTok::Open;
      t.text = s_.substr(start, 1);
    } else if (c == ']') {
      ++i_;
      t.kind = GmlTok::Close;
      t.text = s_.substr(start, 1);
    } else if (c == '"') {
      const std::size_t close = s_.find('"', i_ + 1);
      if (close == std::string_view::npos) {
        fail(std::string(file_) + " line " + std::to_string(line_) + ": unterminated string");
      }
      t.kind = GmlTok::Str;
      t.text = s_.substr(i_ + 1, close - i_ - 1);
      line_ += static_cast<int>(std::count(t.text.begin(), t.text.end(), '\n'));
      i_ = close + 1;
    } else if (is_alpha(c)) {
      while (i_ < s_.size() && (is_alpha(s_[i_]) || is_digit(s_[i_]))) ++i_;
      t.kind = GmlTok::Key;
      t.text = s_.substr(start, i_ - start);
    } else if (is_digit(c) || c == '-' || c == '+' || c == '.') {
      while (i_ < s_.size() && (is_digit(s_[i_]) || std::strchr("+-.eE", s_[i_]) != nullptr)) ++i_;
      t.kind = GmlTok::Num;
      t.text = s_.substr(start, i_ - start);
    } else {
      fail(std::string(file_) + " line " + std::to_string(line_) + ": unexpected character " +
           show(s_.substr(i_, 1)));
    }
    return t;
  }

 private:
  static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  void skip_space() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }

  std::string_view s_;
  std::string_view file_;
  std::size_t i_ = 0;
  int line_ = 1;
};

struct GmlAttr {
  std::string_view key;
  GmlTok value;  // Num, Str, or Open (a nested list, skipped)
};

struct GmlBlock {
  int line = 0;
  std::vector<GmlAttr> attrs;
  [[nodiscard]] const GmlAttr* find(std::string_view key) const {
    for (const GmlAttr& a : attrs) {
      if (a.key == key) return &a;
    }
    return nullptr;
  }
};

class GmlReader {
 public:
  GmlReader(std::string_view text, std::string_view file) : lex_(text, file), file_(file) {}

  net::Topology read() {
    GmlTok t = lex_.next();
    if (t.kind != GmlTok::Key || t.text != "graph") err(t.line, "expected 'graph [' at the start");
    t = lex_.next();
    if (t.kind != GmlTok::Open) err(t.line, "expected '[' after 'graph'");
    std::vector<GmlBlock> nodes;
    std::vector<GmlBlock> edges;
    GmlBlock graph;
    for (;;) {
      t = lex_.next();
      if (t.kind == GmlTok::Close) break;
      if (t.kind != GmlTok::Key) err(t.line, "expected a key or ']', got " + show(t.text));
      const GmlTok v = lex_.next();
      if (v.kind == GmlTok::Open) {
        if (t.text == "node" || t.text == "edge") {
          GmlBlock b = read_block(t.line);
          (t.text == "node" ? nodes : edges).push_back(std::move(b));
        } else {
          skip_list();
        }
      } else if (v.kind == GmlTok::Num || v.kind == GmlTok::Str) {
        graph.attrs.push_back(GmlAttr{t.text, v});
      } else {
        err(v.line, "expected a value for '" + std::string(t.text) + "'");
      }
    }
    t = lex_.next();
    if (t.kind != GmlTok::End) err(t.line, "text after the closing ']' of the graph");
    return build(graph, nodes, edges);
  }

 private:
  [[noreturn]] void err(int line, const std::string& what) const {
    fail(std::string(file_) + " line " + std::to_string(line) + ": " + what);
  }

  GmlBlock read_block(int line) {
    GmlBlock b;
    b.line = line;
    for (;;) {
      const GmlTok k = lex_.next();
      if (k.kind == GmlTok::Close) return b;
      if (k.kind != GmlTok::Key) err(k.line, "expected a key or ']', got " + show(k.text));
      const GmlTok v = lex_.next();
      if (v.kind == GmlTok::Open) {
        skip_list();
        b.attrs.push_back(GmlAttr{k.text, v});
      } else if (v.kind == GmlTok::Num || v.kind == GmlTok::Str) {
        b.attrs.push_back(GmlAttr{k.text, v});
      } else {
        err(v.line, "expected a value for '" + std::string(k.text) + "'");
      }
    }
  }

  void skip_list() {
    int depth = 1;
    while (depth > 0) {
      const GmlTok t = lex_.next();
      if (t.kind == GmlTok::End) err(t.line, "unterminated '['");
      if (t.kind == GmlTok::Open) ++depth;
      if (t.kind == GmlTok::Close) --depth;
    }
  }

  // ---- value access ----
  [[noreturn]] void bad_field(const char* what, int index, const GmlAttr& a,
                              const std::string& expected) const {
    err(a.value.line, std::string(what) + " " + std::to_string(index) + ": field '" +
                          std::string(a.key) + "': expected " + expected + ", got " +
                          show(a.value.text));
  }
  std::int64_t as_int(const char* what, int index, const GmlAttr& a) const {
    std::int64_t v = 0;
    if (a.value.kind == GmlTok::Open || !numfmt::parse_int(a.value.text, v)) {
      bad_field(what, index, a, "an integer");
    }
    return v;
  }
  double as_double(const char* what, int index, const GmlAttr& a) const {
    double v = 0;
    if (a.value.kind == GmlTok::Open || !numfmt::parse_double(a.value.text, v)) {
      bad_field(what, index, a, "a number");
    }
    return v;
  }
  // A comma list of numbers ("16000,16000,16000", spaces tolerated).
  std::vector<double> as_doubles(const char* what, int index, const GmlAttr& a) const {
    std::vector<double> out;
    std::string_view s = a.value.text;
    for (;;) {
      const std::size_t pos = s.find(',');
      std::string_view item = s.substr(0, pos);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      double v = 0;
      if (!numfmt::parse_double(item, v)) bad_field(what, index, a, "a comma-separated number list");
      out.push_back(v);
      if (pos == std::string_view::npos) break;
      s.remove_prefix(pos + 1);
    }
    return out;
  }

  std::int64_t required_int(const GmlBlock& b, std::string_view key, const char* what,
                            int index) const {
    const GmlAttr* a = b.find(key);
    if (a == nullptr) {
      err(b.line, std::string(what) + " " + std::to_string(index) + ": missing field '" +
                      std::string(key) + "'");
    }
    return as_int(what, index, *a);
  }

  net::Topology build(const GmlBlock& graph, const std::vector<GmlBlock>& nodes,
                      const std::vector<GmlBlock>& edges) const {
    net::Topology topo;
    bool directed = false;
    if (const GmlAttr* a = graph.find("directed")) directed = as_int("graph", 0, *a) != 0;
    if (const GmlAttr* a = graph.find("levelsToS")) {
      const std::int64_t lv = as_int("graph", 0, *a);
      if (lv < 1 || lv > 64) bad_field("graph", 0, *a, "levelsToS in 1..64");
      topo.levels_tos = static_cast<int>(lv);
    }
    const int n = static_cast<int>(nodes.size());
    if (n == 0) err(1, "the graph has no nodes");

    // GML id -> node index (= the integer label, as networkx read_gml(destringizer=int) does).
    std::unordered_map<std::int64_t, int> id_to_index;
    std::vector<const GmlBlock*> by_index(static_cast<std::size_t>(n), nullptr);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const GmlBlock& b = nodes[i];
      const std::int64_t id = required_int(b, "id", "node", static_cast<int>(i));
      std::int64_t index = id;
      if (const GmlAttr* lab = b.find("label")) index = as_int("node", static_cast<int>(id), *lab);
      if (index < 0 || index >= n) {
        err(b.line, "node " + std::to_string(index) + ": node ids must be 0.." +
                        std::to_string(n - 1) + " (the graph has " + std::to_string(n) +
                        " nodes)");
      }
      if (by_index[static_cast<std::size_t>(index)] != nullptr) {
        err(b.line, "node " + std::to_string(index) + ": duplicate node");
      }
      by_index[static_cast<std::size_t>(index)] = &b;
      if (!id_to_index.emplace(id, static_cast<int>(index)).second) {
        err(b.line, "node " + std::to_string(index) + ": duplicate id " + std::to_string(id));
      }
    }
    topo.nodes.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      topo.nodes[static_cast<std::size_t>(i)] = build_node(*by_index[static_cast<std::size_t>(i)], i,
                                                           topo.levels_tos);
    }

    // Edges.
    std::vector<int> next_port(static_cast<std::size_t>(n), 0);
    topo.links.reserve(edges.size() * (directed ? 1 : 2));
    auto node_of = [&](const GmlBlock& e, std::string_view key, std::size_t ei) {
      const std::int64_t id = required_int(e, key, "edge", static_cast<int>(ei));
      const auto it = id_to_index.find(id);
      if (it == id_to_index.end()) {
        err(e.line, "edge " + std::to_string(ei) + ": field '" + std::string(key) +
                        "': no node with id " + std::to_string(id));
      }
      return it->second;
    };
    for (std::size_t ei = 0; ei < edges.size(); ++ei) {
      const GmlBlock& e = edges[ei];
      const int s = node_of(e, "source", ei);
      const int d = node_of(e, "target", ei);
      if (s == d) err(e.line, "edge " + std::to_string(ei) + ": self-loop on node " + std::to_string(s));
      const GmlAttr* bw = e.find("bandwidth");
      if (bw == nullptr) err(e.line, "edge " + std::to_string(ei) + ": missing field 'bandwidth'");
      const double bps = as_double("edge", static_cast<int>(ei), *bw);
      if (!(bps > 0)) bad_field("edge", static_cast<int>(ei), *bw, "a positive bandwidth");
      int port = -1;
      if (const GmlAttr* p = e.find("port"); p != nullptr && directed) {
        port = static_cast<int>(as_int("edge", static_cast<int>(ei), *p));
      }
      if (port < 0) port = next_port[static_cast<std::size_t>(s)];
      next_port[static_cast<std::size_t>(s)] = std::max(next_port[static_cast<std::size_t>(s)], port + 1);
      topo.links.push_back(net::Link{s, d, port, bps});
      if (!directed) {
        const int back = next_port[static_cast<std::size_t>(d)]++;
        topo.links.push_back(net::Link{d, s, back, bps});
      }
    }
    std::stable_sort(topo.links.begin(), topo.links.end(),
                     [](const net::Link& a, const net::Link& b) { return a.src < b.src; });

    // Ports are exactly 0..outdeg-1 per node; no duplicate directed link.
    std::vector<int> seen_port;
    std::vector<int> seen_dst(static_cast<std::size_t>(n), -1);
    std::size_t i = 0;
    while (i < topo.links.size()) {
      const int s = topo.links[i].src;
      std::size_t j = i;
      while (j < topo.links.size() && topo.links[j].src == s) ++j;
      const std::size_t deg = j - i;
      seen_port.assign(deg, 0);
      for (std::size_t k = i; k < j; ++k) {
        const net::Link& l = topo.links[k];
        if (l.port < 0 || static_cast<std::size_t>(l.port) >= deg || seen_port[static_cast<std::size_t>(l.port)] != 0) {
          err(1, "node " + std::to_string(s) + ": link " + std::to_string(s) + "->" +
                     std::to_string(l.dst) + " has port " + std::to_string(l.port) +
                     ", but the ports of a node must be exactly 0.." + std::to_string(deg - 1) +
                     " (duplicate or out of range)");
        }
        seen_port[static_cast<std::size_t>(l.port)] = 1;
        if (seen_dst[static_cast<std::size_t>(l.dst)] == s) {
          err(1, "node " + std::to_string(s) + ": duplicate link " + std::to_string(s) + "->" +
                     std::to_string(l.dst));
        }
        seen_dst[static_cast<std::size_t>(l.dst)] = s;
      }
      i = j;
    }
    return topo;
  }

  net::Node build_node(const GmlBlock& b, int index, int levels_tos) const {
    net::Node node;
    const GmlAttr* pol = b.find("schedulingPolicy");
    if (pol == nullptr) err(b.line, "node " + std::to_string(index) + ": missing field 'schedulingPolicy'");
    const auto p = net::parse_policy(pol->value.text);
    if (!p || pol->value.kind == GmlTok::Open) {
      err(pol->value.line, "node " + std::to_string(index) +
                               ": field 'schedulingPolicy': unknown policy " + show(pol->value.text) +
                               " (expected FIFO, SP, WFQ or DRR)");
    }
    node.policy = *p;

    const GmlAttr* buf = b.find("bufferSizes");
    if (buf == nullptr) {
      err(b.line, "node " + std::to_string(index) +
                      ": missing field 'bufferSizes' (queueSizes is not supported)");
    }
    const std::vector<double> buffers = as_doubles("node", index, *buf);

    std::vector<std::vector<int>> groups;
    const GmlAttr* tos = b.find("tosToQoSqueue");
    if (tos != nullptr) {
      std::string_view s = tos->value.text;
      for (;;) {
        const std::size_t semi = s.find(';');
        std::string_view g = s.substr(0, semi);
        std::vector<int> grp;
        for (;;) {
          const std::size_t comma = g.find(',');
          std::string_view item = g.substr(0, comma);
          while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
          while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
          int v = 0;
          if (!numfmt::parse_int(item, v) || v < 0) {
            bad_field("node", index, *tos, "ToS lists like \"0;1;2\" or \"0,1,2\"");
          }
          grp.push_back(v);
          if (comma == std::string_view::npos) break;
          g.remove_prefix(comma + 1);
        }
        groups.push_back(std::move(grp));
        if (semi == std::string_view::npos) break;
        s.remove_prefix(semi + 1);
      }
    }

    std::vector<double> weights;
    const GmlAttr* w = b.find("schedulingWeights");
    if (w != nullptr && w->value.text != "-") weights = as_doubles("node", index, *w);

    int queues = 0;
    if (const GmlAttr* lq = b.find("levelsQoS")) {
      const std::int64_t q = as_int("node", index, *lq);
      if (q < 1 || q > 64) bad_field("node", index, *lq, "levelsQoS in 1..64");
      queues = static_cast<int>(q);
    } else if (!groups.empty()) {
      queues = static_cast<int>(groups.size());
    } else if (buffers.size() > 1) {
      queues = static_cast<int>(buffers.size());
    } else if (!weights.empty()) {
      queues = static_cast<int>(weights.size());
    } else {
      queues = node.policy == net::Policy::FIFO ? 1 : levels_tos;
    }

    if (buffers.size() == 1) {
      node.buffer_bits.assign(static_cast<std::size_t>(queues), buffers[0]);
    } else if (static_cast<int>(buffers.size()) == queues) {
      node.buffer_bits = buffers;
    } else {
      bad_field("node", index, *buf,
                "1 or " + std::to_string(queues) + " buffer sizes (levelsQoS " +
                    std::to_string(queues) + ")");
    }
    for (const double v : node.buffer_bits) {
      if (!(v > 0)) bad_field("node", index, *buf, "positive buffer sizes");
    }

    if (groups.empty()) {
      if (queues == 1) {
        groups.emplace_back();
        for (int t = 0; t < levels_tos; ++t) groups[0].push_back(t);
      } else {
        for (int q = 0; q < queues; ++q) groups.push_back({q});
      }
    } else if (static_cast<int>(groups.size()) != queues) {
      bad_field("node", index, *tos,
                std::to_string(queues) + " ';'-separated queue groups (levelsQoS " +
                    std::to_string(queues) + ")");
    }
    node.queue_tos = std::move(groups);

    if (node.policy == net::Policy::WFQ || node.policy == net::Policy::DRR) {
      if (weights.empty()) {
        err(b.line, "node " + std::to_string(index) + ": field 'schedulingWeights': " +
                        net::to_string(node.policy) + " needs one weight per queue");
      }
      if (static_cast<int>(weights.size()) != queues) {
        bad_field("node", index, *w, std::to_string(queues) + " weights (levelsQoS " +
                                         std::to_string(queues) + ")");
      }
    }
    node.weights = std::move(weights);
    return node;
  }

  GmlLexer lex_;
  std::string_view file_;
};

void append_number_list(std::string& out, const std::vector<double>& v, char sep) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    numfmt::append_shortest(out, v[i]);
  }
}

}  // namespace

net::Topology parse_graph(std::string_view text, std::string_view file) {
  return GmlReader(text, file).read();
}

int count_graph_nodes(std::string_view text) {
  int count = 0;
  std::size_t pos = 0;
  while ((pos = text.find("node [", pos)) != std::string_view::npos) {
    ++count;
    pos += 6;
  }
  return count;
}

std::string format_graph(const net::Topology& topo) {
  std::string out;
  out.reserve(200 * topo.nodes.size() + 110 * topo.links.size() + 64);
  out += "graph [\n  directed 1\n  multigraph 1\n  levelsToS ";
  append_int(out, topo.levels_tos);
  out += '\n';
  for (std::size_t i = 0; i < topo.nodes.size(); ++i) {
    const net::Node& n = topo.nodes[i];
    out += "  node [\n    id ";
    append_int(out, static_cast<std::int64_t>(i));
    out += "\n    label \"";
    append_int(out, static_cast<std::int64_t>(i));
    out += "\"\n    bufferSizes \"";
    append_number_list(out, n.buffer_bits, ',');
    out += "\"\n    schedulingPolicy \"";
    out += net::to_string(n.policy);
    out += "\"\n    levelsQoS \"";
    append_int(out, n.num_queues());
    out += "\"\n    schedulingWeights \"";
    if (n.weights.empty()) {
      out += '-';
    } else {
      append_number_list(out, n.weights, ',');
    }
    out += "\"\n    tosToQoSqueue \"";
    for (std::size_t q = 0; q < n.queue_tos.size(); ++q) {
      if (q > 0) out += ';';
      for (std::size_t t = 0; t < n.queue_tos[q].size(); ++t) {
        if (t > 0) out += ',';
        append_int(out, n.queue_tos[q][t]);
      }
    }
    out += "\"\n  ]\n";
  }
  for (const net::Link& l : topo.links) {
    out += "  edge [\n    source ";
    append_int(out, l.src);
    out += "\n    target ";
    append_int(out, l.dst);
    out += "\n    key 0\n    port ";
    append_int(out, l.port);
    out += "\n    weight 1\n    bandwidth ";
    numfmt::append_py_float(out, l.bandwidth_bps);
    out += "\n  ]\n";
  }
  out += "]\n";
  return out;
}

// =================================================================================================
// Routing (§3)
// =================================================================================================
namespace {

std::string pair_name(int s, int d) { return std::to_string(s) + "->" + std::to_string(d); }

std::string path_text(const std::vector<int>& p) {
  std::string t;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i > 0) t += ',';
    t += std::to_string(p[i]);
  }
  return t;
}

// Expands all paths; `port_at(s, node, d)` gives the port node uses towards d on paths from s.
template <class PortAt>
net::Routing expand(int n, const net::Topology& topo, std::string_view file, PortAt port_at) {
  if (topo.num_nodes() != n) {
    fail(std::string(file) + ": routing has " + std::to_string(n) + " nodes but the graph has " +
         std::to_string(topo.num_nodes()));
  }
  const Adjacency adj(topo);
  net::Routing r;
  const std::size_t nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  r.paths.resize(nn);
  std::vector<std::size_t> seen(static_cast<std::size_t>(n), std::numeric_limits<std::size_t>::max());
  std::vector<int> path;
  for (int s = 0; s < n; ++s) {
    for (int d = 0; d < n; ++d) {
      if (s == d) continue;
      const std::size_t k = static_cast<std::size_t>(s) * static_cast<std::size_t>(n) +
                            static_cast<std::size_t>(d);
      if (port_at(s, s, d) < 0) continue;  // no route for this pair
      path.clear();
      int node = s;
      path.push_back(node);
      seen[static_cast<std::size_t>(node)] = k;
      while (node != d) {
        const int p = port_at(s, node, d);
        if (p < 0) {
          fail(std::string(file) + ": path " + pair_name(s, d) + ": node " + std::to_string(node) +
               " has no port towards " + std::to_string(d) + " (-1) after " + path_text(path));
        }
        const int next = adj.neighbour(node, p);
        if (next < 0) {
          fail(std::string(file) + ": path " + pair_name(s, d) + ": node " + std::to_string(node) +
               " has no output port " + std::to_string(p) + " (its ports are 0.." +
               std::to_string(adj.num_ports(node) - 1) + ")");
        }
        path.push_back(next);
        if (seen[static_cast<std::size_t>(next)] == k) {
          fail(std::string(file) + ": path " + pair_name(s, d) + ": routing loop: " +
               path_text(path));
        }
        seen[static_cast<std::size_t>(next)] = k;
        node = next;
      }
      r.paths[k] = path;
    }
  }
  return r;
}

// Checks the paths against the topology; returns the adjacency for the writers.
void validate_paths(const net::Topology& topo, const net::Routing& routing, const Adjacency& adj) {
  const int n = topo.num_nodes();
  const std::size_t nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  if (routing.paths.size() != nn) {
    fail("routing: expected N^2 = " + std::to_string(nn) + " paths (N = " + std::to_string(n) +
         "), got " + std::to_string(routing.paths.size()));
  }
  std::vector<std::size_t> seen(static_cast<std::size_t>(n), std::numeric_limits<std::size_t>::max());
  for (std::size_t k = 0; k < nn; ++k) {
    const auto& p = routing.paths[k];
    if (p.empty()) continue;
    const int s = static_cast<int>(k / static_cast<std::size_t>(n));
    const int d = static_cast<int>(k % static_cast<std::size_t>(n));
    if (p.size() < 2 || p.front() != s || p.back() != d) {
      fail("routing: path " + pair_name(s, d) + " is " + path_text(p) + ": it must run from " +
           std::to_string(s) + " to " + std::to_string(d));
    }
    for (std::size_t i = 0; i < p.size(); ++i) {
      const int v = p[i];
      if (v < 0 || v >= n) fail("routing: path " + pair_name(s, d) + ": node " + std::to_string(v) + " out of range");
      if (seen[static_cast<std::size_t>(v)] == k) {
        fail("routing: path " + pair_name(s, d) + " visits node " + std::to_string(v) +
             " twice: " + path_text(p));
      }
      seen[static_cast<std::size_t>(v)] = k;
      if (i + 1 < p.size() && adj.port_to(v, p[i + 1]) < 0) {
        fail("routing: path " + pair_name(s, d) + " uses link " + pair_name(v, p[i + 1]) +
             ", which is not in the topology");
      }
    }
  }
}

void append_matrix(std::string& out, const std::vector<int>& m, int n) {
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      append_int(out, m[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) +
                        static_cast<std::size_t>(j)]);
      out += ',';
    }
    out += '\n';
  }
}

}  // namespace

PortMatrix parse_port_matrix(std::string_view text, int num_nodes, std::string_view file) {
  PortMatrix m;
  m.n = num_nodes;
  const std::size_t n = static_cast<std::size_t>(num_nodes);
  m.ports.reserve(n * n);
  const std::vector<std::string_view> lines = split_lines(text);
  if (lines.size() != n) {
    fail(std::string(file) + ": expected " + std::to_string(n) + " lines (one per node), got " +
         std::to_string(lines.size()));
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == ',') line.remove_suffix(1);
    const char* p = line.data();
    const char* end = line.data() + line.size();
    std::size_t count = 0;
    while (p <= end && !line.empty()) {
      int v = 0;
      const auto r = std::from_chars(p, end, v);
      if (r.ec != std::errc{} || (r.ptr != end && *r.ptr != ',')) {
        const char* q = p;
        while (q != end && *q != ',') ++q;
        fail(std::string(file) + " line " + std::to_string(i + 1) + ": entry " +
             std::to_string(count) + ": expected a port number, got " +
             show(std::string_view(p, static_cast<std::size_t>(q - p))));
      }
      if (count < n) m.ports.push_back(v);
      ++count;
      if (r.ptr == end) break;
      p = r.ptr + 1;
    }
    if (count != n) {
      fail(std::string(file) + " line " + std::to_string(i + 1) + ": expected " +
           std::to_string(n) + " ports, got " + std::to_string(count));
    }
  }
  return m;
}

net::Routing expand_port_matrix(const PortMatrix& m, const net::Topology& topo,
                                std::string_view file) {
  return expand(m.n, topo, file, [&m](int, int node, int d) { return m.at(node, d); });
}

net::Routing expand_per_source(std::span<const PortMatrix> per_source, const net::Topology& topo,
                               std::string_view file) {
  const int n = topo.num_nodes();
  if (static_cast<int>(per_source.size()) != n) {
    fail(std::string(file) + ": expected " + std::to_string(n) + " per-source matrices, got " +
         std::to_string(per_source.size()));
  }
  for (const PortMatrix& m : per_source) {
    if (m.n != n) fail(std::string(file) + ": a per-source matrix is not " + std::to_string(n) + "x" + std::to_string(n));
  }
  return expand(n, topo, file, [per_source](int s, int node, int d) {
    return per_source[static_cast<std::size_t>(s)].at(node, d);
  });
}

net::Routing parse_path_list(std::string_view text, const net::Topology& topo,
                             std::string_view file) {
  const int n = topo.num_nodes();
  const Adjacency adj(topo);
  net::Routing r;
  r.paths.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  const std::vector<std::string_view> lines = split_lines(text);
  const char sep = (!lines.empty() && lines.front().find(';') != std::string_view::npos) ? ';' : ',';
  std::vector<int> seen(static_cast<std::size_t>(n), -1);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const std::string_view line = lines[li];
    if (line.empty()) continue;
    const std::string at = std::string(file) + " line " + std::to_string(li + 1) + ": ";
    std::vector<int> path;
    const char* p = line.data();
    const char* end = line.data() + line.size();
    for (;;) {
      int v = 0;
      const auto res = std::from_chars(p, end, v);
      if (res.ec != std::errc{} || (res.ptr != end && *res.ptr != sep)) {
        const char* q = p;
        while (q != end && *q != sep) ++q;
        fail(at + "expected a node id, got " + show(std::string_view(p, static_cast<std::size_t>(q - p))));
      }
      if (v < 0 || v >= n) fail(at + "node " + std::to_string(v) + " out of range 0.." + std::to_string(n - 1));
      path.push_back(v);
      if (res.ptr == end) break;
      p = res.ptr + 1;
    }
    if (path.size() < 2) fail(at + "a path needs at least 2 nodes, got " + show(line));
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (seen[static_cast<std::size_t>(path[i])] == static_cast<int>(li)) {
        fail(at + "routing loop: node " + std::to_string(path[i]) + " appears twice in " + show(line));
      }
      seen[static_cast<std::size_t>(path[i])] = static_cast<int>(li);
      if (i + 1 < path.size() && adj.port_to(path[i], path[i + 1]) < 0) {
        fail(at + "link " + pair_name(path[i], path[i + 1]) + " is not in the graph");
      }
    }
    const std::size_t k = static_cast<std::size_t>(path.front()) * static_cast<std::size_t>(n) +
                          static_cast<std::size_t>(path.back());
    if (!r.paths[k].empty()) {
      fail(at + "a second path for pair " + pair_name(path.front(), path.back()));
    }
    r.paths[k] = std::move(path);
  }
  return r;
}

net::Routing parse_routing_file(std::string_view text, const net::Topology& topo,
                                std::string_view file) {
  const std::string_view first = text.substr(0, text.find('\n'));
  if (first.find(';') != std::string_view::npos) return parse_path_list(text, topo, file);
  if (!first.empty() && first.back() == ',') {
    return expand_port_matrix(parse_port_matrix(text, topo.num_nodes(), file), topo, file);
  }
  return parse_path_list(text, topo, file);
}

std::optional<std::string> format_routing_matrix(const net::Topology& topo,
                                                 const net::Routing& routing) {
  const Adjacency adj(topo);
  validate_paths(topo, routing, adj);
  const int n = topo.num_nodes();
  const std::size_t un = static_cast<std::size_t>(n);
  std::vector<int> m(un * un, -1);
  for (std::size_t k = 0; k < routing.paths.size(); ++k) {
    const auto& p = routing.paths[k];
    if (p.empty()) continue;
    const std::size_t d = k % un;
    for (std::size_t i = 0; i + 1 < p.size(); ++i) {
      const int port = adj.port_to(p[i], p[i + 1]);
      int& cell = m[static_cast<std::size_t>(p[i]) * un + d];
      if (cell == -1) {
        cell = port;
      } else if (cell != port) {
        return std::nullopt;
      }
    }
  }
  for (std::size_t k = 0; k < routing.paths.size(); ++k) {
    const std::size_t s = k / un;
    const std::size_t d = k % un;
    if (s != d && routing.paths[k].empty() && m[s * un + d] != -1) return std::nullopt;
  }
  std::string out;
  out.reserve(un * un * 3);
  append_matrix(out, m, n);
  return out;
}

std::vector<std::string> format_routing_per_source(const net::Topology& topo,
                                                   const net::Routing& routing) {
  const Adjacency adj(topo);
  validate_paths(topo, routing, adj);
  const int n = topo.num_nodes();
  const std::size_t un = static_cast<std::size_t>(n);
  std::vector<std::string> files;
  files.reserve(un);
  std::vector<int> m(un * un);
  for (std::size_t s = 0; s < un; ++s) {
    std::fill(m.begin(), m.end(), -1);
    for (std::size_t d = 0; d < un; ++d) {
      const auto& p = routing.paths[s * un + d];
      for (std::size_t i = 0; i + 1 < p.size(); ++i) {
        m[static_cast<std::size_t>(p[i]) * un + d] = adj.port_to(p[i], p[i + 1]);
      }
    }
    std::string out;
    out.reserve(un * un * 3);
    append_matrix(out, m, n);
    files.push_back(std::move(out));
  }
  return files;
}

std::string per_source_file_name(int source) {
  return "Routing_src_" + std::to_string(source) + ".txt";
}

std::string format_path_list(const net::Routing& routing, int num_nodes) {
  std::string out;
  const std::size_t un = static_cast<std::size_t>(num_nodes);
  for (std::size_t k = 0; k < routing.paths.size() && k < un * un; ++k) {
    const auto& p = routing.paths[k];
    if (p.empty()) continue;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (i > 0) out += ',';
      append_int(out, p[i]);
    }
    out += '\n';
  }
  return out;
}

// =================================================================================================
// traffic.txt (§4)
// =================================================================================================
namespace {

constexpr std::string_view kEmptyTraffic = "-1,0,-1,0,0";

struct TimeSpec {
  int count;
  const char* names[6];
};
constexpr TimeSpec kTimeSpecs[] = {
    {2, {"AvgPktsLambda", "ExpMaxFactor"}},
    {1, {"AvgPktsLambda"}},
    {2, {"MinPktLambda", "MaxPktLambda"}},
    {2, {"AvgPktsLambda", "StdDev"}},
    {4, {"PktsLambdaOn", "AvgTOff", "AvgTOn", "ExpMaxFactor"}},
    {6, {"BurstGenLambda", "Bitrate", "ParetoMinSize", "ParetoMaxSize", "ParetoAlfa", "ExpMaxFactor"}},
    {0, {}},
};
constexpr const char* kSizeParamNames[3][2] = {{nullptr, nullptr}, {"MinSize", "MaxSize"}, {"PktSize1", "PktSize2"}};

int size_param_count(net::SizeDist sd) {
  return (sd == net::SizeDist::Uniform || sd == net::SizeDist::Binomial) ? 2 : 0;
}

net::Flow parse_flow(std::string_view text, const Ctx& ctx) {
  Fields f(text, ctx);
  net::Flow flow;
  const int td = f.next_int<int>("td");
  if (td == 7) {
    fail(ctx.prefix() + "field 'td': time distribution 7 (external Python module) is not supported");
  }
  if (td < 0 || td > 6) {
    fail(ctx.prefix() + "field 'td': unknown time distribution " + std::to_string(td) +
         " (expected 0..6)");
  }
  flow.time_dist = static_cast<net::TimeDist>(td);
  flow.eq_lambda_bps = f.next_double("EqLambda");
  const TimeSpec& ts = kTimeSpecs[td];
  flow.time_params.resize(static_cast<std::size_t>(ts.count));
  for (int i = 0; i < ts.count; ++i) flow.time_params[static_cast<std::size_t>(i)] = f.next_double(ts.names[i]);
  const int sd = f.next_int<int>("sd");
  if (sd == 5) {
    fail(ctx.prefix() + "field 'sd': size distribution 5 (external Python module) is not supported");
  }
  if (sd < 0 || sd > 4) {
    fail(ctx.prefix() + "field 'sd': unknown size distribution " + std::to_string(sd) +
         " (expected 0..4)");
  }
  flow.size_dist = static_cast<net::SizeDist>(sd);
  flow.avg_pkt_size_bits = f.next_double("AvgPktSize");
  if (sd == 1 || sd == 2) {
    flow.size_params.resize(2);
    flow.size_params[0] = f.next_double(kSizeParamNames[sd][0]);
    flow.size_params[1] = f.next_double(kSizeParamNames[sd][1]);
  } else if (sd == 3) {
    const int nc = f.next_int<int>("NumCandidates");
    if (nc < 0 || static_cast<std::size_t>(nc) > text.size()) {
      fail(ctx.prefix() + "field 'NumCandidates': expected a small non-negative count, got " +
           std::to_string(nc));
    }
    flow.candidates.resize(static_cast<std::size_t>(nc));
    for (int c = 0; c < nc; ++c) {
      auto& cand = flow.candidates[static_cast<std::size_t>(c)];
      cand.size_bits = f.next_double("size", c);
      cand.prob = f.next_double("prob", c);
    }
  }
  flow.tos = f.next_int<int>("ToS");
  f.expect_end("a flow with td " + std::to_string(td) + ", sd " + std::to_string(sd));
  return flow;
}

}  // namespace

net::Traffic parse_traffic_line(std::string_view line, int num_nodes, Where where) {
  const int n = num_nodes;
  Ctx ctx{where, n};
  net::Traffic t;
  const std::size_t bar = line.find('|');
  if (bar == std::string_view::npos) {
    fail(where_prefix(where) + "expected '<maxAvgLambda>|' at the start of the line, got " +
         show(line));
  }
  {
    Ctx hc = ctx;
    hc.part = "header";
    Fields h(line.substr(0, bar), hc);
    t.max_avg_lambda = h.next_double("maxAvgLambda");
    h.expect_end("the header");
  }
  std::string_view rest = line.substr(bar + 1);
  const long long nn = static_cast<long long>(n) * n;
  t.pairs.resize(static_cast<std::size_t>(nn));
  for (long long k = 0; k < nn; ++k) {
    ctx.k = k;
    ctx.flow = -1;
    if (rest.empty()) check_entry_count(rest, k, n, ctx);
    const std::string_view entry = take_entry(rest, ctx);
    if (entry.size() >= 3 && entry.substr(0, 3) == "-1,") {
      if (entry != kEmptyTraffic) {
        fail(ctx.prefix() + "an empty pair must be the literal '-1,0,-1,0,0', got " + show(entry));
      }
      continue;
    }
    auto& flows = t.pairs[static_cast<std::size_t>(k)];
    std::string_view e = entry;
    for (int fi = 0;; ++fi) {
      ctx.flow = fi;
      const std::size_t colon = e.find(':');
      flows.push_back(parse_flow(e.substr(0, colon), ctx));
      if (colon == std::string_view::npos) break;
      e.remove_prefix(colon + 1);
    }
  }
  ctx.k = -1;
  check_entry_count(rest, nn, n, ctx);
  return t;
}

void append_traffic_line(std::string& out, const net::Traffic& traffic) {
  out.reserve(out.size() + traffic.pairs.size() * 90 + 32);
  append_g(out, traffic.max_avg_lambda);
  out += '|';
  for (std::size_t k = 0; k < traffic.pairs.size(); ++k) {
    const auto& flows = traffic.pairs[k];
    if (flows.empty()) {
      out += kEmptyTraffic;
      out += ';';
      continue;
    }
    for (std::size_t fi = 0; fi < flows.size(); ++fi) {
      const net::Flow& f = flows[fi];
      const int td = static_cast<int>(f.time_dist);
      const int sd = static_cast<int>(f.size_dist);
      if (td > 6 || sd > 4 || static_cast<int>(f.time_params.size()) != kTimeSpecs[td].count ||
          static_cast<int>(f.size_params.size()) != size_param_count(f.size_dist) ||
          (f.size_dist != net::SizeDist::Generic && !f.candidates.empty())) {
        fail("traffic.txt: pair index " + std::to_string(k) + " flow " + std::to_string(fi) +
             ": parameter count does not match td " + std::to_string(td) + " / sd " +
             std::to_string(sd));
      }
      if (fi > 0) out += ':';
      append_int(out, td);
      out += ',';
      append_g(out, f.eq_lambda_bps);
      for (const double v : f.time_params) {
        out += ',';
        append_g(out, v);
      }
      out += ',';
      append_int(out, sd);
      out += ',';
      append_g(out, f.avg_pkt_size_bits);
      for (const double v : f.size_params) {
        out += ',';
        append_g(out, v);
      }
      if (f.size_dist == net::SizeDist::Generic) {
        out += ',';
        append_int(out, static_cast<std::int64_t>(f.candidates.size()));
        for (const net::SizeProb& c : f.candidates) {
          out += ',';
          append_g(out, c.size_bits);
          out += ',';
          append_g(out, c.prob);
        }
      }
      out += ',';
      append_int(out, f.tos);
    }
    out += ';';
  }
  out += '\n';
}

// =================================================================================================
// simulationResults.txt (§5)
// =================================================================================================
namespace {

net::PathStats parse_path_stats(std::string_view rec, const Ctx& ctx) {
  Fields f(rec, ctx);
  net::PathStats s;
  s.avg_bw_bps = f.next_double("AvgBw") * 1000.0;
  s.pkts_gen = f.next_double("PktsGen");
  s.pkts_drop = f.next_double("PktsDrop");
  s.avg_delay = f.next_double("AvgDelay");
  s.avg_ln_delay = f.next_double("AvgLnDelay");
  s.p10 = f.next_double("p10");
  s.p20 = f.next_double("p20");
  s.p50 = f.next_double("p50");
  s.p80 = f.next_double("p80");
  s.p90 = f.next_double("p90");
  s.jitter = f.next_double("Jitter");
  f.expect_end("a result record (11 fields)");
  return s;
}

void append_path_stats(std::string& out, const net::PathStats& s) {
  append_trunc_g(out, s.avg_bw_bps / 1000.0);
  for (const double v : {s.pkts_gen, s.pkts_drop, s.avg_delay, s.avg_ln_delay, s.p10, s.p20, s.p50,
                         s.p80, s.p90, s.jitter}) {
    out += ',';
    append_trunc_g(out, v);
  }
}

// Parses "<g1>,<g2>,<g3>|" and returns the rest of the line.
std::string_view parse_results_header(std::string_view line, const Ctx& ctx, net::Results* r) {
  const std::size_t bar = line.find('|');
  if (bar == std::string_view::npos) {
    fail(where_prefix(ctx.where) +
         "expected '<global_packets>,<global_losses>,<global_delay>|' at the start of the line, got " +
         show(line));
  }
  Ctx hc = ctx;
  hc.part = "header";
  Fields h(line.substr(0, bar), hc);
  const double gp = h.next_double("global_packets");
  const double gl = h.next_double("global_losses");
  const double gd = h.next_double("global_delay");
  h.expect_end("the header (3 fields)");
  if (r != nullptr) {
    r->global_packets = gp;
    r->global_losses = gl;
    r->global_delay = gd;
  }
  return line.substr(bar + 1);
}

void append_results_header(std::string& out, const net::Results& r) {
  append_trunc_g(out, r.global_packets);
  out += ',';
  append_trunc_g(out, r.global_losses);
  out += ',';
  append_trunc_g(out, r.global_delay);
  out += '|';
}

const net::PathStats kEmptyStats{};

}  // namespace

void parse_simulation_results_line(std::string_view line, int num_nodes, Where where,
                                   net::Results& results) {
  const int n = num_nodes;
  Ctx ctx{where, n};
  std::string_view rest = parse_results_header(line, ctx, &results);
  const long long nn = static_cast<long long>(n) * n;
  results.pairs.resize(static_cast<std::size_t>(nn));
  for (long long k = 0; k < nn; ++k) {
    ctx.k = k;
    if (rest.empty()) check_entry_count(rest, k, n, ctx);
    const std::string_view rec = take_entry(rest, ctx);
    results.pairs[static_cast<std::size_t>(k)] = parse_path_stats(rec, ctx);
  }
  ctx.k = -1;
  check_entry_count(rest, nn, n, ctx);
}

std::vector<net::PathStats> parse_flow_results_line(std::string_view line,
                                                    const net::Traffic& traffic, Where where) {
  const long long nn = static_cast<long long>(traffic.pairs.size());
  const int n = static_cast<int>(std::lround(std::sqrt(static_cast<double>(nn))));
  Ctx ctx{where, n};
  std::string_view rest = parse_results_header(line, ctx, nullptr);
  std::vector<net::PathStats> flows;
  std::size_t total = 0;
  for (const auto& p : traffic.pairs) total += p.size();
  flows.reserve(total);
  for (long long k = 0; k < nn; ++k) {
    ctx.k = k;
    ctx.flow = -1;
    if (rest.empty()) check_entry_count(rest, k, n, ctx);
    std::string_view e = take_entry(rest, ctx);
    const std::size_t want = traffic.pairs[static_cast<std::size_t>(k)].size();
    std::size_t got = 0;
    for (;;) {
      ctx.flow = static_cast<int>(got);
      const std::size_t colon = e.find(':');
      const net::PathStats s = parse_path_stats(e.substr(0, colon), ctx);
      if (want > 0) flows.push_back(s);
      ++got;
      if (colon == std::string_view::npos) break;
      e.remove_prefix(colon + 1);
    }
    if (got != std::max<std::size_t>(want, 1)) {
      ctx.flow = -1;
      fail(ctx.prefix() + "expected " + std::to_string(std::max<std::size_t>(want, 1)) +
           " flow record(s) (traffic.txt has " + std::to_string(want) + " flows), got " +
           std::to_string(got));
    }
  }
  ctx.k = -1;
  check_entry_count(rest, nn, n, ctx);
  return flows;
}

void append_simulation_results_line(std::string& out, const net::Results& results) {
  out.reserve(out.size() + results.pairs.size() * 100 + 40);
  append_results_header(out, results);
  for (const net::PathStats& s : results.pairs) {
    append_path_stats(out, s);
    out += ';';
  }
  out += '\n';
}

void append_flow_results_line(std::string& out, const net::Results& results,
                              const net::Traffic& traffic) {
  std::size_t total = 0;
  for (const auto& p : traffic.pairs) total += p.size();
  if (results.flows.size() != total) {
    fail("flowSimulationResults.txt: " + std::to_string(results.flows.size()) +
         " flow records for " + std::to_string(total) + " flows in the traffic");
  }
  append_results_header(out, results);
  std::size_t next = 0;
  for (const auto& p : traffic.pairs) {
    if (p.empty()) {
      append_path_stats(out, kEmptyStats);
    } else {
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (i > 0) out += ':';
        append_path_stats(out, results.flows[next++]);
      }
    }
    out += ';';
  }
  out += '\n';
}

// =================================================================================================
// linkUsage.txt (§6)
// =================================================================================================

std::vector<net::PortStats> parse_link_usage_line(std::string_view line, const net::Topology& topo,
                                                  Where where) {
  const int n = topo.num_nodes();
  const Adjacency adj(topo);
  Ctx ctx{where, n};
  ctx.unit = "link";
  std::vector<net::PortStats> ports(topo.links.size());
  std::vector<int> row(static_cast<std::size_t>(n));
  std::string_view rest = line;
  const long long nn = static_cast<long long>(n) * n;
  for (long long k = 0; k < nn; ++k) {
    ctx.k = k;
    ctx.queue = -1;
    const int s = static_cast<int>(k / n);
    const int d = static_cast<int>(k % n);
    if (d == 0) adj.fill_row(s, row);
    if (rest.empty()) check_entry_count(rest, k, n, ctx);
    std::string_view e = take_entry(rest, ctx);
    const int li = row[static_cast<std::size_t>(d)];
    if (e == "-1") {
      if (li >= 0) fail(ctx.prefix() + "the graph has this link, but its entry is -1");
      continue;
    }
    if (li < 0) fail(ctx.prefix() + "the graph has no link " + pair_name(s, d) + ", but the entry is " + show(e));
    net::PortStats& ps = ports[static_cast<std::size_t>(li)];
    std::size_t colon = e.find(':');
    {
      Fields f(e.substr(0, colon), ctx);
      ps.utilization = f.next_double("utilization");
      ps.loss = f.next_double("loss");
      ps.avg_pkt_size = f.next_double("avgPacketSize");
      f.expect_end("a port record (3 fields)");
    }
    const int want = topo.nodes[static_cast<std::size_t>(s)].num_queues();
    ps.queues.reserve(static_cast<std::size_t>(want));
    while (colon != std::string_view::npos) {
      e.remove_prefix(colon + 1);
      colon = e.find(':');
      ctx.queue = static_cast<int>(ps.queues.size());
      Fields f(e.substr(0, colon), ctx);
      net::QueueStats q;
      q.utilization = f.next_double("utilization");
      q.loss = f.next_double("loss");
      q.avg_occupancy = f.next_double("avgPortOccupancy");
      q.max_occupancy = f.next_double("maxQueueOccupancy");
      q.avg_pkt_size = f.next_double("avgPacketSize");
      f.expect_end("a queue record (5 fields)");
      ps.queues.push_back(q);
    }
    if (static_cast<int>(ps.queues.size()) != want) {
      ctx.queue = -1;
      fail(ctx.prefix() + "expected " + std::to_string(want) + " queue blocks (node " +
           std::to_string(s) + " has " + std::to_string(want) + " queues), got " +
           std::to_string(ps.queues.size()));
    }
  }
  ctx.k = -1;
  check_entry_count(rest, nn, n, ctx);
  return ports;
}

void append_link_usage_line(std::string& out, std::span<const net::PortStats> ports,
                            const net::Topology& topo) {
  if (ports.size() != topo.links.size()) {
    fail("linkUsage.txt: " + std::to_string(ports.size()) + " port records for " +
         std::to_string(topo.links.size()) + " links");
  }
  const int n = topo.num_nodes();
  const Adjacency adj(topo);
  std::vector<int> row(static_cast<std::size_t>(n));
  out.reserve(out.size() + static_cast<std::size_t>(n) * static_cast<std::size_t>(n) * 3 +
              topo.links.size() * 200);
  for (int s = 0; s < n; ++s) {
    adj.fill_row(s, row);
    for (int d = 0; d < n; ++d) {
      const int li = row[static_cast<std::size_t>(d)];
      if (li < 0) {
        out += "-1;";
        continue;
      }
      const net::PortStats& p = ports[static_cast<std::size_t>(li)];
      append_f(out, p.utilization);
      out += ',';
      append_f(out, p.loss);
      out += ',';
      append_f(out, p.avg_pkt_size);
      for (const net::QueueStats& q : p.queues) {
        out += ':';
        append_f(out, q.utilization);
        out += ',';
        append_f(out, q.loss);
        out += ',';
        append_f(out, q.avg_occupancy);
        out += ',';
        append_f(out, q.max_occupancy);
        out += ',';
        append_f(out, q.avg_pkt_size);
      }
      out += ';';
    }
  }
  out += '\n';
}

// =================================================================================================
// stability.txt (§7)
// =================================================================================================

net::RunInfo parse_stability_line(std::string_view line, Where where) {
  Ctx ctx{where};
  Fields f(line, ctx, ';');
  net::RunInfo r;
  r.sim_time = f.next_double("T");
  r.metric = f.next_double("metric");
  r.status = std::string(f.next_text("status"));
  const std::string_view mem = f.next_text("Mem(KB)");
  const std::string_view time = f.next_text("Time(s)");
  f.expect_end("a stability line (5 fields)");
  auto tagged = [&](std::string_view text, std::string_view tag, std::int64_t& out) {
    if (text.substr(0, tag.size()) != tag || !numfmt::parse_int(text.substr(tag.size()), out)) {
      fail(where_prefix(where) + "field '" + std::string(tag.substr(0, tag.size() - 1)) +
           "': expected '" + std::string(tag) + "<integer>', got " + show(text));
    }
  };
  tagged(mem, "Mem(KB):", r.mem_kb);
  tagged(time, "Time(s):", r.wall_s);
  return r;
}

void append_stability_line(std::string& out, const net::RunInfo& run) {
  if (std::isfinite(run.sim_time) && run.sim_time == std::trunc(run.sim_time) &&
      std::fabs(run.sim_time) < 1e15) {
    append_int(out, static_cast<std::int64_t>(run.sim_time));
  } else {
    append_g(out, run.sim_time);
  }
  out += ';';
  append_g(out, run.metric);
  out += ';';
  out += run.status;
  out += ";Mem(KB):";
  append_int(out, run.mem_kb);
  out += ";Time(s):";
  append_int(out, run.wall_s);
  out += '\n';
}

// =================================================================================================
// input_files.txt (§1.3), links_bw
// =================================================================================================

InputFiles parse_input_files_line(std::string_view line, Where where) {
  Ctx ctx{where};
  Fields f(line, ctx, ';');
  InputFiles in;
  in.id = f.next_int<std::int64_t>("sample_id");
  in.graph = std::string(f.next_text("graph"));
  in.routing = std::string(f.next_text("routing"));
  if (!f.done()) in.links_bw = std::string(f.next_text("links_bw"));
  f.expect_end("an input_files line (3 or 4 fields)");
  if (in.graph.empty()) fail(where_prefix(where) + "field 'graph': empty file name");
  if (in.routing.empty()) fail(where_prefix(where) + "field 'routing': empty file name");
  return in;
}

void append_input_files_line(std::string& out, const InputFiles& in) {
  append_int(out, in.id);
  out += ';';
  out += in.graph;
  out += ';';
  out += in.routing;
  if (!in.links_bw.empty()) {
    out += ';';
    out += in.links_bw;
  }
  out += '\n';
}

std::vector<LinkBandwidth> parse_links_bw(std::string_view text, std::string_view file) {
  std::vector<LinkBandwidth> out;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    Ctx ctx{Where{file, i + 1}};
    Fields f(lines[i], ctx, ';');
    LinkBandwidth b;
    b.src = f.next_int<int>("src");
    b.dst = f.next_int<int>("dst");
    b.bandwidth_bps = f.next_double("bw_bps");
    f.expect_end("a links_bw line (3 fields)");
    out.push_back(b);
  }
  return out;
}

void apply_links_bw(net::Topology& topo, std::span<const LinkBandwidth> overrides,
                    std::string_view file) {
  for (const LinkBandwidth& b : overrides) {
    const int li = topo.find_link(b.src, b.dst);
    if (li < 0) {
      fail(std::string(file) + ": link " + pair_name(b.src, b.dst) + " is not in the graph");
    }
    if (!(b.bandwidth_bps > 0)) {
      fail(std::string(file) + ": link " + pair_name(b.src, b.dst) + ": bandwidth must be positive");
    }
    topo.links[static_cast<std::size_t>(li)].bandwidth_bps = b.bandwidth_bps;
  }
}

}  // namespace autoopt::io::gnnet
