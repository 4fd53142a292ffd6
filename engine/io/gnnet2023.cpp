#include "io/gnnet2023.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "io/h5store.hpp"
#include "net/error.hpp"

namespace autoopt::io {
namespace fs = std::filesystem;

namespace {

// ---- a small JSON DOM ----------------------------------------------------------------------------

struct Json {
  enum class Kind : std::uint8_t { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0.0;
  bool integral = false;  // the number was written without fraction or exponent
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  [[nodiscard]] const Json* find(std::string_view key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

const char* kind_name(Json::Kind k) {
  switch (k) {
    case Json::Kind::Null: return "null";
    case Json::Kind::Bool: return "a boolean";
    case Json::Kind::Number: return "a number";
    case Json::Kind::String: return "a string";
    case Json::Kind::Array: return "an array";
    case Json::Kind::Object: return "an object";
  }
  return "?";
}

// Recursive-descent parser of one JSON text (RFC 8259); errors give the 1-based column.
class JsonParser {
 public:
  JsonParser(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  Json parse() {
    skip_ws();
    Json v = value(0);
    skip_ws();
    if (pos_ != text_.size()) error("unexpected text after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void error(const std::string& what) const {
    throw Error(where_ + ": bad JSON at column " + std::to_string(pos_ + 1) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  [[nodiscard]] char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void expect(char c) {
    if (pos_ >= text_.size()) error(std::string("unexpected end of line, expected '") + c + "'");
    if (text_[pos_] != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }

  void literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) error("invalid literal, expected a JSON value");
    pos_ += word.size();
  }

  Json value(int depth) {
    if (depth > kMaxDepth) error("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (pos_ >= text_.size()) error("unexpected end of line, expected a value");
    Json v;
    switch (text_[pos_]) {
      case '{': object(v, depth); break;
      case '[': array(v, depth); break;
      case '"':
        v.kind = Json::Kind::String;
        v.text = string();
        break;
      case 't':
        literal("true");
        v.kind = Json::Kind::Bool;
        v.boolean = true;
        break;
      case 'f':
        literal("false");
        v.kind = Json::Kind::Bool;
        break;
      case 'n': literal("null"); break;
      default: number(v); break;
    }
    return v;
  }

  void object(Json& v, int depth) {
    v.kind = Json::Kind::Object;
    ++pos_;  // '{'
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_ws();
      if (peek() != '"') error("expected a member name in double quotes");
      std::string key = string();
      for (const auto& m : v.members) {
        if (m.first == key) error("duplicate member \"" + key + "\"");
      }
      skip_ws();
      expect(':');
      skip_ws();
      v.members.emplace_back(std::move(key), value(depth + 1));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return;
      }
      error(pos_ >= text_.size() ? "unexpected end of line in an object" : "expected ',' or '}'");
    }
  }

  void array(Json& v, int depth) {
    v.kind = Json::Kind::Array;
    ++pos_;  // '['
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_ws();
      v.items.push_back(value(depth + 1));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return;
      }
      error(pos_ >= text_.size() ? "unexpected end of line in an array" : "expected ',' or ']'");
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  unsigned read_u4() {
    if (text_.size() - pos_ < 4) error("truncated \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(text_[pos_ + static_cast<std::size_t>(i)]);
      if (h < 0) error("bad \\u escape");
      u = u * 16 + static_cast<unsigned>(h);
    }
    pos_ += 4;
    return u;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) error("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) error("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = read_u4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (text_.substr(pos_, 2) != "\\u") error("unpaired surrogate in \\u escape");
            pos_ += 2;
            const unsigned lo = read_u4();
            if (lo < 0xDC00 || lo >= 0xE000) error("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            error("unpaired surrogate in \\u escape");
          }
          put_utf8(out, cp);
          break;
        }
        default: error(std::string("bad escape \\") + e);
      }
    }
  }

  void number(Json& v) {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t d0 = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - d0;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      pos_ = start;
      error("expected a JSON value");
    }
    bool integral = true;
    if (peek() == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0) error("expected digits after the decimal point");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      integral = false;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) error("expected digits in the exponent");
    }
    double d = 0.0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      pos_ = start;
      error("number out of range");
    }
    if (ec != std::errc() || ptr != last) {
      pos_ = start;
      error("bad number");
    }
    v.kind = Json::Kind::Number;
    v.number = d;
    v.integral = integral;
  }

  std::string_view text_;
  std::string where_;
  std::size_t pos_ = 0;
};

// ---- field access with errors naming the field ---------------------------------------------------

std::string num(double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.10g", v);
  return std::string(buf.data());
}

std::string idx(std::string_view field, std::size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

class Fields {
 public:
  explicit Fields(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(std::string_view field, const std::string& what) const {
    throw Error(where_ + ": " + std::string(field) + ": " + what);
  }

  const Json& member(const Json& obj, std::string_view key, std::string_view field) const {
    const Json* v = obj.find(key);
    if (v == nullptr) fail(field, "missing key");
    return *v;
  }

  const Json& of_kind(const Json& v, Json::Kind k, std::string_view field) const {
    if (v.kind != k) fail(field, std::string("expected ") + kind_name(k) + ", got " + kind_name(v.kind));
    return v;
  }

  const Json& object(const Json& obj, std::string_view key, std::string_view field) const {
    return of_kind(member(obj, key, field), Json::Kind::Object, field);
  }
  const std::vector<Json>& array(const Json& obj, std::string_view key, std::string_view field) const {
    return of_kind(member(obj, key, field), Json::Kind::Array, field).items;
  }

  double number(const Json& v, std::string_view field) const { return of_kind(v, Json::Kind::Number, field).number; }

  // A finite number > 0.
  double positive(const Json& v, std::string_view field, std::string_view unit) const {
    const double d = number(v, field);
    if (!(std::isfinite(d) && d > 0.0)) fail(field, "is " + num(d) + " " + std::string(unit) + ", expected > 0");
    return d;
  }

  // An integer-valued number within [lo, hi].
  std::int64_t integer(const Json& v, std::string_view field, std::int64_t lo, std::int64_t hi) const {
    const double d = number(v, field);
    if (!(std::isfinite(d) && d == std::floor(d))) fail(field, "is " + num(d) + ", expected an integer");
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      fail(field, "is " + num(d) + ", expected " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<std::int64_t>(d);
  }

  // An array with one entry per flow.
  const std::vector<Json>& per_flow(const Json& flows, std::string_view key, std::size_t n) const {
    const std::string field = "flows." + std::string(key);
    const auto& a = array(flows, key, field);
    if (a.size() != n) {
      fail(field, "has " + std::to_string(a.size()) + " entries, expected " + std::to_string(n) +
                      " (one per flow of flows.id)");
    }
    return a;
  }

 private:
  std::string where_;
};

// ---- the node graph of the paths -----------------------------------------------------------------

class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) {
    for (std::size_t i = 0; i < n; ++i) parent_[i] = i;
  }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};

// Link ends: 2l = tail (source node) of link l, 2l + 1 = head.
void build_topology(net::Sample& s, const std::vector<double>& capacity_bps, const Fields& f) {
  const std::size_t num_links = capacity_bps.size();
  UnionFind uf(2 * num_links);
  for (const net::PathFlow& flow : s.link_paths.flows) {
    for (std::size_t h = 1; h < flow.links.size(); ++h) {
      uf.unite(2 * static_cast<std::size_t>(flow.links[h - 1]) + 1, 2 * static_cast<std::size_t>(flow.links[h]));
    }
  }
  std::map<std::size_t, int> node_of_root;
  auto node = [&](std::size_t end) {
    const auto [it, inserted] = node_of_root.emplace(uf.find(end), static_cast<int>(node_of_root.size()));
    return it->second;
  };
  s.topology.levels_tos = 1;
  s.topology.links.resize(num_links);
  std::vector<int> out_degree;
  for (std::size_t l = 0; l < num_links; ++l) {
    net::Link& link = s.topology.links[l];
    link.src = node(2 * l);
    link.dst = node(2 * l + 1);
    link.bandwidth_bps = capacity_bps[l];
    if (link.src == link.dst) {
      f.fail("flows.links",
             "the paths are inconsistent with any node graph: link " + std::to_string(l) +
                 " would start and end at the same node (a path enters the node it leaves)");
    }
    if (static_cast<std::size_t>(link.src) >= out_degree.size()) out_degree.resize(static_cast<std::size_t>(link.src) + 1, 0);
    link.port = out_degree[static_cast<std::size_t>(link.src)]++;
  }
  net::Node fifo;
  fifo.policy = net::Policy::FIFO;
  fifo.buffer_bits = {0.0};  // not in the data
  fifo.queue_tos = {{0}};
  s.topology.nodes.assign(node_of_root.size(), fifo);
}

// ---- gzip lines ----------------------------------------------------------------------------------

struct GzCloser {
  void operator()(gzFile_s* f) const noexcept { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

constexpr std::size_t kMaxLineBytes = std::size_t{256} << 20;

// Calls fn(line_no, line) for every line of a gzip (or plain) file.
void for_each_line(const fs::path& path, const std::function<void(std::size_t, std::string_view)>& fn) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(name + ": no such file");
  GzFile gz(gzopen(name.c_str(), "rb"));
  if (!gz) throw Error(name + ": cannot open");
  std::string line;
  std::vector<char> buf(std::size_t{1} << 16);
  std::size_t line_no = 0;
  for (;;) {
    const int n = gzread(gz.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      const char* msg = gzerror(gz.get(), &err);
      throw Error(name + ": cannot read (gzip: " + std::string(msg != nullptr ? msg : "?") + ") after line " +
                  std::to_string(line_no));
    }
    if (n == 0) break;
    std::size_t start = 0;
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    for (std::size_t nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', start)) {
      line.append(chunk.substr(start, nl - start));
      fn(++line_no, line);
      line.clear();
      start = nl + 1;
    }
    line.append(chunk.substr(start));
    if (line.size() > kMaxLineBytes) {
      throw Error(name + ":" + std::to_string(line_no + 1) + ": line longer than " +
                  std::to_string(kMaxLineBytes >> 20) + " MiB");
    }
  }
  int err = Z_OK;
  const char* msg = gzerror(gz.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    throw Error(name + ": cannot read (gzip: " + std::string(msg != nullptr ? msg : "?") + ") after line " +
                std::to_string(line_no));
  }
  if (!line.empty()) fn(++line_no, line);
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

bool has_suffix(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_jsonl_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return has_suffix(name, ".jsonl.gz") || has_suffix(name, ".jsonl");
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// ---- parsing -------------------------------------------------------------------------------------

net::Sample parse_gnnet2023_line(std::string_view line, std::string_view file, std::size_t line_no,
                                 std::string dataset_tag) {
  const std::string where = std::string(file) + ":" + std::to_string(line_no);
  const Json root = JsonParser(line, where).parse();
  const Fields f(where);
  f.of_kind(root, Json::Kind::Object, "the line");

  net::Sample s;
  s.dataset_tag = std::move(dataset_tag);
  s.graph_name = f.of_kind(f.member(root, "sample_file_name", "sample_file_name"), Json::Kind::String,
                           "sample_file_name")
                     .text;
  s.id = f.integer(f.member(root, "sample_file_id", "sample_file_id"), "sample_file_id",
                   std::numeric_limits<std::int64_t>::min() / 2, std::numeric_limits<std::int64_t>::max() / 2);

  // links
  const Json& links = f.object(root, "links", "links");
  const auto& cap = f.array(links, "capacity_gbps", "links.capacity_gbps");
  if (cap.empty()) f.fail("links.capacity_gbps", "is empty, expected at least one link");
  if (cap.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
    f.fail("links.capacity_gbps", "has too many links");
  }
  std::vector<double> capacity_bps(cap.size());
  for (std::size_t l = 0; l < cap.size(); ++l) {
    capacity_bps[l] = f.positive(cap[l], idx("links.capacity_gbps", l), "Gbit/s") * 1e9;
  }

  // flows
  const Json& flows = f.object(root, "flows", "flows");
  const auto& ids = f.array(flows, "id", "flows.id");
  if (ids.empty()) f.fail("flows.id", "is empty, expected at least one flow");
  const std::size_t nf = ids.size();
  const auto& traffic = f.per_flow(flows, "traffic_bps", nf);
  const auto& packets = f.per_flow(flows, "packets_per_s", nf);
  const auto& size = f.per_flow(flows, "mean_packet_size_bits", nf);
  const auto& type = f.per_flow(flows, "type_cbr_multiburst", nf);
  const auto& length = f.per_flow(flows, "length", nf);
  const auto& paths = f.per_flow(flows, "links", nf);
  const auto& delay = f.per_flow(flows, "delay_ms", nf);

  const auto max_link = static_cast<std::int64_t>(cap.size()) - 1;
  s.link_paths.delay_unit_s = kGnnet2023DelayUnitS;
  s.link_paths.flows.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    net::PathFlow& pf = s.link_paths.flows[i];
    pf.name = f.of_kind(ids[i], Json::Kind::String, idx("flows.id", i)).text;
    if (pf.name.empty()) f.fail(idx("flows.id", i), "is empty, expected \"<src>_<dst>_<k>\"");
    pf.traffic_bps = f.positive(traffic[i], idx("flows.traffic_bps", i), "bit/s");
    pf.packets_per_s = f.positive(packets[i], idx("flows.packets_per_s", i), "packets/s");
    pf.avg_pkt_size_bits = f.positive(size[i], idx("flows.mean_packet_size_bits", i), "bits");

    const std::string type_field = idx("flows.type_cbr_multiburst", i);
    const auto& onehot = f.of_kind(type[i], Json::Kind::Array, type_field).items;
    if (onehot.size() != 2) {
      f.fail(type_field, "has " + std::to_string(onehot.size()) + " entries, expected 2 ([CBR, multi-burst])");
    }
    const double cbr = f.number(onehot[0], type_field + "[0]");
    const double mb = f.number(onehot[1], type_field + "[1]");
    if (cbr == 1.0 && mb == 0.0) {
      pf.time_dist = net::TimeDist::CBR;
    } else if (cbr == 0.0 && mb == 1.0) {
      pf.time_dist = net::TimeDist::OnOff;
    } else {
      f.fail(type_field, "is [" + num(cbr) + ", " + num(mb) + "], expected one-hot [1, 0] (CBR) or [0, 1] (multi-burst)");
    }

    const std::string path_field = idx("flows.links", i);
    const auto& hops = f.of_kind(paths[i], Json::Kind::Array, path_field).items;
    if (hops.empty()) f.fail(path_field, "is empty, expected the flow's links in order");
    pf.links.resize(hops.size());
    for (std::size_t h = 0; h < hops.size(); ++h) {
      const std::string hop_field = path_field + "[" + std::to_string(h) + "]";
      const double v = f.number(hops[h], hop_field);
      if (!(std::isfinite(v) && v == std::floor(v))) f.fail(hop_field, "is " + num(v) + ", expected a link index");
      if (v < 0.0 || v > static_cast<double>(max_link)) {
        f.fail(hop_field, "link index " + num(v) + " out of range, expected 0.." + std::to_string(max_link) +
                              " (links.capacity_gbps has " + std::to_string(cap.size()) + " links)");
      }
      pf.links[h] = static_cast<int>(v);
    }
    const std::int64_t len = f.integer(length[i], idx("flows.length", i), 0, std::numeric_limits<int>::max());
    if (static_cast<std::size_t>(len) != hops.size()) {
      f.fail(idx("flows.length", i), "is " + std::to_string(len) + " but flows.links[" + std::to_string(i) +
                                         "] has " + std::to_string(hops.size()) + " links");
    }

    const std::string delay_field = idx("flows.delay_ms", i);
    const double d = f.number(delay[i], delay_field);
    if (!(std::isfinite(d) && d >= 0.0)) f.fail(delay_field, "is " + num(d) + " ms, expected >= 0 and finite");
    pf.avg_delay = d * kGnnet2023DelayUnitS;
  }

  build_topology(s, capacity_bps, f);
  return s;
}

// ---- files ---------------------------------------------------------------------------------------

bool is_gnnet2023_path(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return is_jsonl_file(path);
  if (!fs::is_directory(path, ec)) return false;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_jsonl_file(it->path())) return true;
  }
  return false;
}

std::vector<fs::path> gnnet2023_files(const fs::path& path) {
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_regular_file(path, ec)) {
    if (!is_jsonl_file(path)) throw Error(path.string() + ": not a .jsonl.gz or .jsonl file");
    files.push_back(path);
    return files;
  }
  if (!fs::is_directory(path, ec)) throw Error(path.string() + ": no such file or folder");
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_jsonl_file(it->path())) files.push_back(it->path());
  }
  if (ec) throw Error(path.string() + ": cannot list: " + ec.message());
  if (files.empty()) throw Error(path.string() + ": no .jsonl.gz or .jsonl files under it");
  std::sort(files.begin(), files.end());
  return files;
}

std::string gnnet2023_tag(const fs::path& file) {
  std::string stem = file.filename().string();
  for (const std::string_view ext : {std::string_view(".jsonl.gz"), std::string_view(".jsonl")}) {
    if (has_suffix(stem, ext)) {
      stem.resize(stem.size() - ext.size());
      break;
    }
  }
  const std::string parent = file.parent_path().filename().string();
  return std::string(kGnnet2023TagPrefix) + (parent.empty() ? stem : parent + "/" + stem);
}

std::size_t for_each_gnnet2023_sample(const fs::path& path,
                                      const std::function<void(std::size_t, const net::Sample&)>& fn) {
  std::size_t count = 0;
  for (const fs::path& file : gnnet2023_files(path)) {
    const std::string name = file.string();
    const std::string tag = gnnet2023_tag(file);
    for_each_line(file, [&](std::size_t line_no, std::string_view line) {
      if (blank(line)) return;
      const net::Sample s = parse_gnnet2023_line(line, name, line_no, tag);
      fn(count++, s);
    });
  }
  return count;
}

std::vector<net::Sample> read_gnnet2023(const fs::path& path) {
  std::vector<net::Sample> out;
  for_each_gnnet2023_sample(path, [&](std::size_t, const net::Sample& s) { out.push_back(s); });
  return out;
}

ConvertReport gnnet2023_to_hdf5(const fs::path& in, const fs::path& out, const SizeFilter& filter,
                                const Distribution& dist,
                                const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (dist.size < 1 || dist.rank < 0 || dist.rank >= dist.size) {
    throw Error("gnnet2023_to_hdf5: rank " + std::to_string(dist.rank) + " of " + std::to_string(dist.size) +
                ": expected 0 <= rank < size");
  }
  // Every rank parses the input (it is small) so that the round-robin split needs no messages; a
  // malformed line fails every rank alike.
  ConvertReport report;
  std::size_t mine = 0;
  for_each_gnnet2023_sample(in, [&](std::size_t, const net::Sample& s) {
    if (!filter.accepts(s.num_nodes())) return;
    if (static_cast<int>(report.total % static_cast<std::size_t>(dist.size)) == dist.rank) ++mine;
    ++report.total;
  });
  report.samples = write_rank_shard(
      out, dist, mine,
      [&](const std::function<void(const net::Sample&)>& add) {
        std::size_t kept = 0;
        for_each_gnnet2023_sample(in, [&](std::size_t, const net::Sample& s) {
          if (!filter.accepts(s.num_nodes())) return;
          const bool ours = static_cast<int>(kept++ % static_cast<std::size_t>(dist.size)) == dist.rank;
          if (ours) add(s);
        });
      },
      progress);
  report.seconds = since(t0);
  return report;
}

// ---- validation ----------------------------------------------------------------------------------

std::vector<net::Problem> validate_link_path_sample(const net::Sample& s) {
  std::vector<net::Problem> out;
  const auto add = [&out](std::string field, std::string message) {
    out.push_back(net::Problem{std::move(field), std::move(message)});
  };
  const auto finite_nonneg = [](double v) { return std::isfinite(v) && v >= 0.0; };
  const auto finite_pos = [](double v) { return std::isfinite(v) && v > 0.0; };
  const net::Topology& t = s.topology;
  const int n = t.num_nodes();
  if (s.link_paths.flows.empty()) add("link_paths.flows", "no flows, expected a link-path sample");
  if (!finite_pos(s.link_paths.delay_unit_s)) {
    add("link_paths.delay_unit_s", "is " + num(s.link_paths.delay_unit_s) + " s, expected > 0 and finite");
  }
  if (t.nodes.empty()) add("topology.nodes", "no nodes, expected at least 1 node");
  if (t.links.empty()) add("topology.links", "no links, expected at least 1 link");
  if (t.levels_tos != 1) add("topology.levels_tos", "is " + std::to_string(t.levels_tos) + ", expected 1 (one class)");
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const net::Node& node = t.nodes[i];
    const std::string base = idx("topology.nodes", i);
    if (node.policy != net::Policy::FIFO || node.buffer_bits.size() != 1 || node.queue_tos.size() != 1 ||
        node.queue_tos[0] != std::vector<int>{0} || !node.weights.empty()) {
      add(base, "node " + std::to_string(i) + ": expected a FIFO node with one queue serving ToS 0");
    } else if (!finite_nonneg(node.buffer_bits[0])) {
      add(base + ".buffer_bits[0]", "node " + std::to_string(i) + ": buffer is " + num(node.buffer_bits[0]) +
                                        " bits, expected >= 0 and finite (0: not known)");
    }
  }
  std::vector<std::vector<int>> ports(static_cast<std::size_t>(std::max(n, 0)));
  for (std::size_t l = 0; l < t.links.size(); ++l) {
    const net::Link& k = t.links[l];
    const std::string base = idx("topology.links", l);
    const std::string who = "link " + std::to_string(l) + " (" + std::to_string(k.src) + "->" + std::to_string(k.dst) + ")";
    const bool ends_ok = k.src >= 0 && k.src < n && k.dst >= 0 && k.dst < n;
    if (!ends_ok) add(base, who + ": end node out of range, expected 0.." + std::to_string(n - 1));
    if (k.src == k.dst) add(base, who + ": self-loop, expected src != dst");
    if (!finite_pos(k.bandwidth_bps)) {
      add(base + ".bandwidth_bps", who + ": capacity is " + num(k.bandwidth_bps) + " bit/s, expected > 0 and finite");
    }
    if (ends_ok) ports[static_cast<std::size_t>(k.src)].push_back(k.port);
  }
  for (std::size_t v = 0; v < ports.size(); ++v) {
    std::vector<int> p = ports[v];
    std::sort(p.begin(), p.end());
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (p[j] != static_cast<int>(j)) {
        add("topology.links", "node " + std::to_string(v) + ": output ports are not 0.." + std::to_string(p.size() - 1) +
                                  " each once");
        break;
      }
    }
  }
  for (std::size_t i = 0; i < s.link_paths.flows.size(); ++i) {
    const net::PathFlow& f = s.link_paths.flows[i];
    const std::string base = idx("link_paths.flows", i);
    const std::string who = "flow " + std::to_string(i) + " (" + f.name + ")";
    if (f.time_dist != net::TimeDist::CBR && f.time_dist != net::TimeDist::OnOff) {
      add(base + ".time_dist", who + ": time distribution code " + std::to_string(static_cast<int>(f.time_dist)) +
                                   ", expected CBR (1) or OnOff (4)");
    }
    const std::array<std::pair<const char*, double>, 3> rates{{{"traffic_bps", f.traffic_bps},
                                                              {"packets_per_s", f.packets_per_s},
                                                              {"avg_pkt_size_bits", f.avg_pkt_size_bits}}};
    for (const auto& [name, v] : rates) {
      if (!finite_pos(v)) add(base + "." + name, who + ": " + name + " is " + num(v) + ", expected > 0 and finite");
    }
    if (f.links.empty()) add(base + ".links", who + ": empty path, expected at least one link");
    for (std::size_t h = 0; h < f.links.size(); ++h) {
      const int l = f.links[h];
      if (l < 0 || static_cast<std::size_t>(l) >= t.links.size()) {
        add(base + ".links[" + std::to_string(h) + "]",
            who + ": link " + std::to_string(l) + " does not exist, expected 0.." + std::to_string(t.links.size()) + "-1");
      } else if (h > 0 && f.links[h - 1] >= 0 && static_cast<std::size_t>(f.links[h - 1]) < t.links.size() &&
                 t.links[static_cast<std::size_t>(f.links[h - 1])].dst != t.links[static_cast<std::size_t>(l)].src) {
        add(base + ".links[" + std::to_string(h) + "]",
            who + ": link " + std::to_string(l) + " does not start where link " + std::to_string(f.links[h - 1]) +
                " ends, expected a connected path");
      }
    }
    if (!(f.avg_delay == -1.0 || finite_nonneg(f.avg_delay))) {
      add(base + ".avg_delay", who + ": delay is " + num(f.avg_delay) + " s, expected >= 0 (or -1: not measured)");
    }
  }
  if (!s.routing.paths.empty()) add("routing.paths", "has entries, expected none in a link-path sample");
  if (!s.traffic.pairs.empty()) add("traffic.pairs", "has entries, expected none in a link-path sample");
  if (s.results) add("results", "present, expected none in a link-path sample (labels are in link_paths)");
  return out;
}

// ---- summary -------------------------------------------------------------------------------------

void LinkPathSummary::add(const net::Sample& s) {
  ++samples_;
  const auto nl = static_cast<std::int64_t>(s.topology.links.size());
  links_ += nl;
  nodes_.add(s.num_nodes());
  links_per_.add(static_cast<double>(nl));
  flows_per_.add(static_cast<double>(s.link_paths.flows.size()));
  for (const net::Link& l : s.topology.links) capacity_.add(l.bandwidth_bps);
  if (delay_unit_s_ == 0.0) {
    delay_unit_s_ = s.link_paths.delay_unit_s;
  } else if (delay_unit_s_ != s.link_paths.delay_unit_s) {
    delay_unit_s_ = -1.0;
  }
  for (const net::PathFlow& f : s.link_paths.flows) {
    ++flows_;
    (f.time_dist == net::TimeDist::CBR ? cbr_ : onoff_) += 1;
    path_len_.add(static_cast<double>(f.links.size()));
    traffic_.add(f.traffic_bps);
    pkt_size_.add(f.avg_pkt_size_bits);
    if (f.avg_delay >= 0.0) {
      ++labelled_;
      delay_.add(f.avg_delay);
    }
  }
}

std::string LinkPathSummary::to_text() const {
  std::string out;
  const auto line = [&out](const char* fmt, auto... args) {
    std::array<char, 256> buf{};
    std::snprintf(buf.data(), buf.size(), fmt, args...);
    out += buf.data();
  };
  const auto dist = [&](const char* name, const net::Distribution& d, double scale, const char* unit) {
    const auto q = d.quantiles();
    line("  %-22s min %.6g  p10 %.6g  median %.6g  p90 %.6g  max %.6g %s\n", name, q[0] * scale, q[1] * scale,
         q[2] * scale, q[3] * scale, q[4] * scale, unit);
  };
  line("link-path samples (GNNet 2023 style): %lld scenarios, %lld links, %lld flows\n",
       static_cast<long long>(samples_), static_cast<long long>(links_), static_cast<long long>(flows_));
  if (samples_ == 0) return out;
  dist("nodes per scenario", nodes_, 1.0, "");
  dist("links per scenario", links_per_, 1.0, "");
  dist("flows per scenario", flows_per_, 1.0, "");
  std::map<double, std::int64_t> caps;
  for (const double c : capacity_.values) ++caps[c];
  out += "  link capacities:      ";
  for (const auto& [c, k] : caps) line(" %g Gbit/s x%lld", c * 1e-9, static_cast<long long>(k));
  out += "\n";
  line("  flow types:            CBR %lld, multi-burst (OnOff) %lld\n", static_cast<long long>(cbr_),
       static_cast<long long>(onoff_));
  dist("path length (links)", path_len_, 1.0, "");
  dist("traffic per flow", traffic_, 1e-6, "Mbit/s");
  dist("mean packet size", pkt_size_, 1.0, "bits");
  line("  labelled flows:        %lld of %lld\n", static_cast<long long>(labelled_), static_cast<long long>(flows_));
  if (labelled_ > 0) {
    if (delay_unit_s_ > 0.0 && delay_unit_s_ != 1.0) {
      line("  delay unit of the source: %g s\n", delay_unit_s_);
      dist("measured delay", delay_, 1.0 / delay_unit_s_, delay_unit_s_ == 1e-3 ? "ms (source unit)" : "(source unit)");
    }
    dist("measured delay", delay_, 1.0, "s");
  }
  return out;
}

}  // namespace autoopt::io
