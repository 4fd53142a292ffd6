// The reference simulator's input layout -> net::Sample (see refsim.hpp).
#include "io/refsim.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "io/archive.hpp"
#include "io/gnnet_text.hpp"
#include "io/numfmt.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"

namespace autoopt::io::refsim {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error(msg); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Shows a value in quotes, with control bytes escaped and long values cut.
std::string show(std::string_view v) {
  std::string out = "\"";
  const std::size_t limit = 60;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (v.size() > limit) out += "...";
  out += '"';
  return out;
}

std::string at_line(std::string_view file, std::size_t line) {
  return std::string(file) + " line " + std::to_string(line) + ": ";
}

// Lines of a text, without '\n'; a final '\n' ends the last line.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.push_back(text.substr(pos));
      break;
    }
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

bool parse_yes_no(std::string_view v, bool& out) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "y" || s == "yes" || s == "true") {
    out = true;
    return true;
  }
  if (s == "n" || s == "no" || s == "false") {
    out = false;
    return true;
  }
  return false;
}

bool is_plain_name(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 200) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Checks a relative path of simulation.txt: non-empty, relative, no `..`, printable, `/` separators.
void check_rel_path(std::string_view p, const std::string& where, const char* field) {
  const std::string what = where + "field '" + field + "': ";
  if (p.empty()) fail(what + "empty path, expected a path relative to the input folder");
  for (const char c : p) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) fail(what + "control character in path " + show(p));
    if (c == '\\') fail(what + "backslash in path " + show(p) + ", expected '/' separators");
  }
  if (p.front() == '/') fail(what + "absolute path " + show(p) + ", expected a path relative to the input folder");
  std::size_t pos = 0;
  while (pos <= p.size()) {
    std::size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    if (p.substr(pos, slash - pos) == "..") {
      fail(what + "path " + show(p) + " leaves the input folder ('..'), expected a path inside it");
    }
    pos = slash + 1;
  }
  if (p.back() == '/') fail(what + "path " + show(p) + " names a folder, expected a file");
}

std::string flatten(std::string_view rel) {
  std::string s(rel);
  std::replace(s.begin(), s.end(), '/', '-');
  return s;
}

std::string base_name(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
}

}  // namespace

// ---- conf.yml ---------------------------------------------------------------------------------

Conf parse_conf(std::string_view text, std::string_view file) {
  Conf conf;
  bool have_name = false;
  std::set<std::string> seen;
  const auto lines = lines_of(text);
  bool first_content = true;
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const std::string where = at_line(file, li + 1);
    const std::string_view raw = lines[li];
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (first_content && line == "---") {
      first_content = false;
      continue;
    }
    first_content = false;
    if (raw.front() == ' ' || raw.front() == '\t') {
      fail(where + "indented line " + show(line) + ": nested YAML is not supported, expected `key: value`");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail(where + "expected `key: value`, got " + show(line));
    const std::string_view key = trim(line.substr(0, colon));
    if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        })) {
      fail(where + "bad key " + show(key) + ", expected letters, digits and '_'");
    }
    std::string_view rest = trim(line.substr(colon + 1));
    std::string value;
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
      const char q = rest.front();
      const std::size_t close = rest.find(q, 1);
      if (close == std::string_view::npos) fail(where + "key '" + std::string(key) + "': unterminated quoted value");
      value = std::string(rest.substr(1, close - 1));
      const std::string_view after = trim(rest.substr(close + 1));
      if (!after.empty() && after.front() != '#') {
        fail(where + "key '" + std::string(key) + "': unexpected text " + show(after) + " after the quoted value");
      }
    } else {
      if (!rest.empty() && rest.front() == '#') rest = {};
      for (std::size_t i = 1; i < rest.size(); ++i) {
        if (rest[i] == '#' && (rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
          rest = trim(rest.substr(0, i));
          break;
        }
      }
      value = std::string(rest);
    }
    const std::string k(key);
    if (!seen.insert(k).second) fail(where + "duplicate key '" + k + "'");
    const std::string field = where + "key '" + k + "': ";
    if (k == "threads") {
      int v = 0;
      if (!numfmt::parse_int(value, v) || v < 1 || v > 4096) {
        fail(field + "expected an integer in 1..4096, got " + show(value));
      }
      conf.threads = v;
    } else if (k == "dataset_name") {
      if (!is_plain_name(value)) {
        fail(field + "expected a plain name (letters, digits, '.', '_', '-'; not . or ..), got " + show(value));
      }
      conf.dataset_name = value;
      have_name = true;
    } else if (k == "samples_per_file") {
      std::int64_t v = 0;
      if (!numfmt::parse_int(value, v) || v < 1 || v > 1000000) {
        fail(field + "expected an integer in 1..1000000, got " + show(value));
      }
      conf.samples_per_file = static_cast<std::size_t>(v);
    } else if (k == "rm_prev_results" || k == "write_pkt_info") {
      bool b = false;
      if (!parse_yes_no(value, b)) fail(field + "expected y or n, got " + show(value));
      if (k == "rm_prev_results") {
        conf.rm_prev_results = b;
      } else {
        conf.write_pkt_info = b;
        if (b) conf.warnings.push_back(where + "write_pkt_info: y is ignored (autoopt writes no per-packet traces)");
      }
    } else {
      conf.warnings.push_back(where + "unknown key '" + k + "' ignored");
    }
  }
  if (!have_name) fail(std::string(file) + ": missing key 'dataset_name' (the name of the output dataset)");
  return conf;
}

// ---- simulation.txt ---------------------------------------------------------------------------

std::vector<SimLine> parse_simulation_list(std::string_view text, std::string_view file) {
  std::vector<SimLine> out;
  const auto lines = lines_of(text);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const std::string_view line = trim(lines[li]);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = at_line(file, li + 1);
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t comma = line.find(',', pos);
      fields.push_back(trim(line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos)));
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (fields.size() != 3) {
      fail(where + "expected 3 comma-separated paths `<graph>,<routing>,<tm>`, got " +
           std::to_string(fields.size()) + " field(s) in " + show(line));
    }
    check_rel_path(fields[0], where, "graph");
    check_rel_path(fields[1], where, "routing");
    check_rel_path(fields[2], where, "tm");
    SimLine s;
    s.id = static_cast<std::int64_t>(li);
    s.text = std::string(line);
    s.graph = std::string(fields[0]);
    s.routing = std::string(fields[1]);
    s.tm = std::string(fields[2]);
    out.push_back(std::move(s));
  }
  if (out.empty()) fail(std::string(file) + ": no simulation lines, expected `<graph>,<routing>,<tm>` lines");
  return out;
}

// ---- TM files ---------------------------------------------------------------------------------

net::Traffic parse_tm(std::string_view text, const net::Topology& topo, const net::Routing& routing,
                      std::string_view file, const TmOptions& options) {
  const int n = topo.num_nodes();
  const auto nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  const TmLimits& lim = options.limits;
  net::Traffic traffic;
  traffic.pairs.resize(nn);
  const auto lines = lines_of(text);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const std::string_view line = trim(lines[li]);
    if (line.empty()) continue;
    const std::string where = at_line(file, li + 1);
    std::vector<std::string_view> f;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t comma = line.find(',', pos);
      f.push_back(trim(line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos)));
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    auto bad = [&](std::size_t i, const char* name, const std::string& expected) -> void {
      fail(where + "field " + std::to_string(i + 1) + " (" + name + "): expected " + expected + ", got " +
           (i < f.size() ? show(f[i]) : std::string("nothing")));
    };
    auto need = [&](std::size_t i, const char* name) {
      if (i >= f.size()) {
        fail(where + "field " + std::to_string(i + 1) + " (" + name + ") is missing; a flow is " +
             "`src,dst,avg_bw,time_dist[,t1,t2],pkt_dist,size1,prob1[,...],tos`");
      }
    };
    auto get_int = [&](std::size_t i, const char* name, int lo, int hi) {
      need(i, name);
      int v = 0;
      if (!numfmt::parse_int(f[i], v) || v < lo || v > hi) {
        bad(i, name, "an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      return v;
    };
    auto get_num = [&](std::size_t i, const char* name) {
      need(i, name);
      double v = 0;
      if (!numfmt::parse_double(f[i], v) || !std::isfinite(v)) bad(i, name, "a finite number");
      return v;
    };

    const int src = get_int(0, "src", 0, n - 1);
    const int dst = get_int(1, "dst", 0, n - 1);
    if (src == dst) fail(where + "field 2 (dst): a flow from node " + std::to_string(src) + " to itself");
    const std::size_t k = static_cast<std::size_t>(src) * static_cast<std::size_t>(n) + static_cast<std::size_t>(dst);
    if (!traffic.pairs[k].empty()) {
      fail(where + "a second flow for pair " + std::to_string(src) + "->" + std::to_string(dst) +
           " (at most one flow per pair)");
    }
    if (k >= routing.paths.size() || routing.paths[k].empty()) {
      fail(where + "pair " + std::to_string(src) + "->" + std::to_string(dst) + " has no path in the routing");
    }
    const double bw = get_num(2, "avg_bw");
    if (!(bw >= lim.min_avg_bw && bw <= lim.max_avg_bw)) {
      bad(2, "avg_bw", "a rate in " + numfmt::format_g(lim.min_avg_bw) + ".." + numfmt::format_g(lim.max_avg_bw) + " bit/s");
    }
    need(3, "time_dist");
    int td = 0;
    const bool td_ok = numfmt::parse_int(f[3], td);
    if (!td_ok || td < 0 || td > 2) {
      if (td_ok && td == 3) {
        fail(where + "field 4 (time_dist): 3 (external Python) is not supported, expected 0 (Poisson), 1 (CBR) or 2 (ON-OFF)");
      }
      bad(3, "time_dist", "0 (Poisson), 1 (CBR) or 2 (ON-OFF)");
    }
    std::size_t p = 4;
    double t_off = 0, t_on = 0;
    if (td == 2) {
      const bool off_first = options.on_off == OnOffOrder::OffThenOn;
      const char* n1 = off_first ? "t_off" : "t_on";
      const char* n2 = off_first ? "t_on" : "t_off";
      const double a = get_num(4, n1);
      if (!(a > 0)) bad(4, n1, "a positive mean duration in seconds");
      const double b = get_num(5, n2);
      if (!(b > 0)) bad(5, n2, "a positive mean duration in seconds");
      t_off = off_first ? a : b;
      t_on = off_first ? b : a;
      p = 6;
    }
    need(p, "pkt_dist");
    int sd = 0;
    const bool sd_ok = numfmt::parse_int(f[p], sd);
    if (!sd_ok || sd != 0) {
      if (sd_ok && sd == 1) {
        fail(where + "field " + std::to_string(p + 1) + " (pkt_dist): 1 (external Python) is not supported, expected 0 (generic)");
      }
      bad(p, "pkt_dist", "0 (generic size distribution)");
    }
    ++p;
    const std::size_t rest = f.size() > p ? f.size() - p : 0;
    if (rest < 3 || rest % 2 == 0) {
      fail(where + "after pkt_dist expected size,prob pairs then tos (an odd count >= 3 of fields), got " +
           std::to_string(rest) + " field(s)");
    }
    const std::size_t num_sizes = (rest - 1) / 2;
    if (num_sizes > static_cast<std::size_t>(lim.max_sizes)) {
      fail(where + "field " + std::to_string(p + 1) + ": " + std::to_string(num_sizes) +
           " packet sizes, expected at most " + std::to_string(lim.max_sizes));
    }
    net::Flow flow;
    flow.eq_lambda_bps = bw;
    flow.size_dist = net::SizeDist::Generic;
    double mean = 0, psum = 0;
    for (std::size_t j = 0; j < num_sizes; ++j) {
      const std::size_t is = p + 2 * j, ip = is + 1;
      const double size = get_num(is, "size");
      if (!(size >= lim.min_pkt_size && size <= lim.max_pkt_size) || size != std::floor(size)) {
        bad(is, "size", "an integer packet size in " + numfmt::format_g(lim.min_pkt_size) + ".." +
                            numfmt::format_g(lim.max_pkt_size) + " bits");
      }
      const double prob = get_num(ip, "prob");
      if (!(prob >= 0 && prob <= 1)) bad(ip, "prob", "a probability in [0, 1]");
      mean += size * prob;
      psum += prob;
      flow.candidates.push_back({size, prob});
    }
    if (std::fabs(psum - 1.0) > lim.prob_tolerance) {
      fail(where + "the packet-size probabilities sum to " + numfmt::format_g(psum) + ", expected 1");
    }
    const std::size_t it = f.size() - 1;
    flow.tos = get_int(it, "tos", 0, lim.max_tos);
    if (flow.tos >= topo.levels_tos) {
      fail(where + "field " + std::to_string(it + 1) + " (tos): ToS " + std::to_string(flow.tos) +
           " but the graph has levelsToS " + std::to_string(topo.levels_tos) + " (ToS 0.." +
           std::to_string(topo.levels_tos - 1) + ")");
    }
    flow.avg_pkt_size_bits = std::floor(mean * (1.0 + 1e-9));
    if (!(flow.avg_pkt_size_bits > 0)) fail(where + "the mean packet size is below 1 bit");
    const double pkts = bw / flow.avg_pkt_size_bits;
    switch (td) {
      case 0:
        flow.time_dist = net::TimeDist::Poisson;
        flow.time_params = {pkts, kExpMaxFactor};
        break;
      case 1:
        flow.time_dist = net::TimeDist::CBR;
        flow.time_params = {pkts};
        break;
      default:
        flow.time_dist = net::TimeDist::OnOff;
        flow.time_params = {pkts * (t_on + t_off) / t_on, t_off, t_on, kExpMaxFactor};
        break;
    }
    traffic.max_avg_lambda = std::max(traffic.max_avg_lambda, bw);
    traffic.pairs[k].push_back(std::move(flow));
  }
  return traffic;
}

// ---- the folder -------------------------------------------------------------------------------

bool is_reference_input(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / "simulation.txt", ec);
}

RefInput::RefInput(fs::path folder, LoadOptions options)
    : folder_(std::move(folder)), options_(std::move(options)) {
  std::error_code ec;
  if (!fs::is_directory(folder_, ec)) fail(folder_.string() + ": not a folder (expected a reference input folder)");
  canonical_folder_ = fs::canonical(folder_, ec);
  if (ec) fail(folder_.string() + ": " + ec.message());
  const fs::path conf_path = folder_ / "conf.yml";
  if (!fs::is_regular_file(conf_path, ec)) fail(conf_path.string() + ": missing (a reference input folder needs conf.yml)");
  conf_ = parse_conf(read_file(conf_path), "conf.yml");
  const fs::path list_path = folder_ / "simulation.txt";
  lines_ = parse_simulation_list(read_file(list_path), "simulation.txt");

  // Output names: the file name, unless one file name stands for several files.
  std::map<std::string, std::set<std::string>> graph_by_base;
  for (const auto& l : lines_) graph_by_base[base_name(l.graph)].insert(l.graph);
  for (const auto& l : lines_) {
    const std::string b = base_name(l.graph);
    graph_names_.push_back(graph_by_base[b].size() == 1 ? b : flatten(l.graph));
  }
  std::map<std::string, std::set<std::pair<std::string, std::string>>> routing_by_base;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    routing_by_base[base_name(lines_[i].routing)].insert({graph_names_[i], lines_[i].routing});
  }
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    const std::string b = base_name(lines_[i].routing);
    routing_names_.push_back(routing_by_base[b].size() == 1 ? b
                                                            : flatten(lines_[i].routing) + "__" + graph_names_[i]);
  }
}

fs::path RefInput::resolve(const std::string& rel, const SimLine& line, const char* field) const {
  const std::string where = "simulation.txt line " + std::to_string(line.id + 1) + ": field '" + field + "': ";
  const fs::path p = folder_ / rel;
  std::error_code ec;
  const fs::path canon = fs::weakly_canonical(p, ec);
  if (ec) fail(where + show(rel) + ": " + ec.message());
  // Component-wise prefix check: symbolic links must not lead outside the folder either.
  auto it = canon.begin();
  for (auto f = canonical_folder_.begin(); f != canonical_folder_.end(); ++f, ++it) {
    if (it == canon.end() || *it != *f) fail(where + show(rel) + " resolves outside the input folder");
  }
  if (!fs::is_regular_file(canon, ec)) fail(where + show(rel) + ": no such file");
  return canon;
}

int RefInput::num_nodes(std::size_t i) const {
  const SimLine& l = lines_.at(i);
  return gnnet::count_graph_nodes(read_file(resolve(l.graph, l, "graph")));
}

net::Sample RefInput::load(std::size_t i) const {
  const SimLine& l = lines_.at(i);
  const std::string ctx = "simulation.txt line " + std::to_string(l.id + 1) + " (" + l.text + "): ";
  try {
    net::Sample s;
    s.id = l.id;
    s.graph_name = graph_names_[i];
    s.routing_name = routing_names_[i];
    s.dataset_tag = conf_.dataset_name;
    s.topology = gnnet::parse_graph(read_file(resolve(l.graph, l, "graph")), l.graph);
    s.routing = gnnet::parse_path_list(read_file(resolve(l.routing, l, "routing")), s.topology, l.routing);
    s.traffic = parse_tm(read_file(resolve(l.tm, l, "tm")), s.topology, s.routing, l.tm, options_.tm);
    net::check(s);
    return s;
  } catch (const Error& e) {
    throw Error(ctx + e.what());
  }
}

}  // namespace autoopt::io::refsim
