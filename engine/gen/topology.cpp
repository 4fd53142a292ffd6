#include "gen/topology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "gen/config.hpp"
#include "net/error.hpp"

namespace autoopt::gen {

std::vector<int> Graph::degrees() const {
  std::vector<int> d(static_cast<std::size_t>(n), 0);
  for (const auto& [u, v] : edges) {
    ++d[static_cast<std::size_t>(u)];
    ++d[static_cast<std::size_t>(v)];
  }
  return d;
}

std::vector<std::vector<int>> Graph::adjacency() const {
  std::vector<std::vector<int>> adj(static_cast<std::size_t>(n));
  for (const auto& [u, v] : edges) {
    adj[static_cast<std::size_t>(u)].push_back(v);
    adj[static_cast<std::size_t>(v)].push_back(u);
  }
  for (auto& a : adj) std::sort(a.begin(), a.end());
  return adj;
}

std::vector<std::vector<int>> components(const Graph& g) {
  const auto adj = g.adjacency();
  std::vector<int> comp(static_cast<std::size_t>(g.n), -1);
  std::vector<std::vector<int>> out;
  for (int s = 0; s < g.n; ++s) {
    if (comp[static_cast<std::size_t>(s)] >= 0) continue;
    const int c = static_cast<int>(out.size());
    out.emplace_back();
    std::vector<int> stack{s};
    comp[static_cast<std::size_t>(s)] = c;
    while (!stack.empty()) {
      const int u = stack.back();
      stack.pop_back();
      out.back().push_back(u);
      for (const int v : adj[static_cast<std::size_t>(u)]) {
        if (comp[static_cast<std::size_t>(v)] < 0) {
          comp[static_cast<std::size_t>(v)] = c;
          stack.push_back(v);
        }
      }
    }
    std::sort(out.back().begin(), out.back().end());
  }
  return out;
}

bool is_connected(const Graph& g) { return g.n <= 1 || components(g).size() == 1; }

Graph make_graph(int n, std::span<const std::pair<int, int>> edges) {
  Graph g;
  g.n = n;
  for (auto [u, v] : edges) {
    if (u == v) continue;
    if (u < 0 || v < 0 || u >= n || v >= n) {
      throw Error("make_graph: edge (" + std::to_string(u) + ", " + std::to_string(v) + ") outside nodes 0.." +
                  std::to_string(n - 1));
    }
    if (u > v) std::swap(u, v);
    g.edges.emplace_back(u, v);
  }
  std::sort(g.edges.begin(), g.edges.end());
  g.edges.erase(std::unique(g.edges.begin(), g.edges.end()), g.edges.end());
  return g;
}

namespace {

void check_plod(int n, const PlodParams& p) {
  if (n < 2) throw Error("PLOD: n = " + std::to_string(n) + " nodes, expected at least 2");
  if (!(std::isfinite(p.alpha) && p.alpha >= 0.0)) {
    throw Error("PLOD: alpha = " + std::to_string(p.alpha) + ", expected a finite number >= 0");
  }
  if (!(std::isfinite(p.beta) && p.beta > 0.0)) {
    throw Error("PLOD: beta = " + std::to_string(p.beta) + ", expected a finite number > 0");
  }
}

int credit_of(int x, int n, const PlodParams& p) {
  const double c = std::round(p.beta * std::pow(static_cast<double>(x), -p.alpha));
  return static_cast<int>(std::clamp(c, 1.0, static_cast<double>(n - 1)));
}

}  // namespace

std::vector<int> plod_credits(int n, const PlodParams& p, Rng& rng) {
  check_plod(n, p);
  std::vector<int> c(static_cast<std::size_t>(n));
  for (auto& ci : c) ci = credit_of(rng.uniform_int(1, n), n, p);
  return c;
}

std::vector<double> plod_credit_pmf(int n, const PlodParams& p) {
  check_plod(n, p);
  std::vector<double> pmf(static_cast<std::size_t>(n), 0.0);
  for (int x = 1; x <= n; ++x) pmf[static_cast<std::size_t>(credit_of(x, n, p))] += 1.0 / n;
  return pmf;
}

Graph generate_plod(int n, const PlodParams& p, Rng& rng) {
  const std::vector<int> credits = plod_credits(n, p, rng);
  std::vector<int> stubs;
  for (int i = 0; i < n; ++i) stubs.insert(stubs.end(), static_cast<std::size_t>(credits[static_cast<std::size_t>(i)]), i);
  std::vector<std::vector<char>> has(static_cast<std::size_t>(n), std::vector<char>(static_cast<std::size_t>(n), 0));
  std::vector<std::pair<int, int>> edges;
  // Pair random credits; a self-loop or duplicate is a failed try. Give up after many failures in a
  // row (the remaining credits may be impossible to pair, e.g. all on one node).
  const int max_failures = 20 + 2 * n;
  int failures = 0;
  while (stubs.size() >= 2 && failures < max_failures) {
    const std::size_t i = static_cast<std::size_t>(rng.below(stubs.size()));
    std::size_t j = static_cast<std::size_t>(rng.below(stubs.size() - 1));
    if (j >= i) ++j;
    const int u = stubs[i], v = stubs[j];
    if (u == v || has[static_cast<std::size_t>(u)][static_cast<std::size_t>(v)] != 0) {
      ++failures;
      continue;
    }
    failures = 0;
    has[static_cast<std::size_t>(u)][static_cast<std::size_t>(v)] = 1;
    has[static_cast<std::size_t>(v)][static_cast<std::size_t>(u)] = 1;
    edges.emplace_back(u, v);
    // Remove stubs i and j (the larger index first, swap with the last).
    for (const std::size_t k : {std::max(i, j), std::min(i, j)}) {
      stubs[k] = stubs.back();
      stubs.pop_back();
    }
  }
  return repair_connectivity(make_graph(n, edges), rng);
}

namespace {

// Whether u and v are connected in g without the edge `skip`.
bool connected_without(const std::vector<std::vector<int>>& adj, int u, int v, std::pair<int, int> skip) {
  std::vector<char> seen(adj.size(), 0);
  std::vector<int> stack{u};
  seen[static_cast<std::size_t>(u)] = 1;
  while (!stack.empty()) {
    const int x = stack.back();
    stack.pop_back();
    if (x == v) return true;
    for (const int y : adj[static_cast<std::size_t>(x)]) {
      if ((std::min(x, y) == skip.first && std::max(x, y) == skip.second) || seen[static_cast<std::size_t>(y)] != 0) {
        continue;
      }
      seen[static_cast<std::size_t>(y)] = 1;
      stack.push_back(y);
    }
  }
  return false;
}

}  // namespace

Graph repair_connectivity(Graph g, Rng& rng) {
  while (true) {
    const auto comps = components(g);
    if (comps.size() <= 1) return g;
    std::size_t main = 0;
    for (std::size_t c = 1; c < comps.size(); ++c) {
      if (comps[c].size() > comps[main].size()) main = c;
    }
    const std::size_t other = main == 0 ? 1 : 0;
    std::vector<int> comp_of(static_cast<std::size_t>(g.n), -1);
    for (std::size_t c = 0; c < comps.size(); ++c) {
      for (const int v : comps[c]) comp_of[static_cast<std::size_t>(v)] = static_cast<int>(c);
    }
    const auto adj = g.adjacency();
    std::vector<std::size_t> other_edges, main_cycle_edges;
    for (std::size_t e = 0; e < g.edges.size(); ++e) {
      const auto [u, v] = g.edges[e];
      const auto c = static_cast<std::size_t>(comp_of[static_cast<std::size_t>(u)]);
      if (c == other) {
        other_edges.push_back(e);
      } else if (c == main && connected_without(adj, u, v, g.edges[e])) {
        main_cycle_edges.push_back(e);
      }
    }
    if (!other_edges.empty() && !main_cycle_edges.empty()) {
      // Degree-preserving swap: (a,b) + (c,d) -> (a,c) + (b,d). (c,d) lies on a cycle, so the main
      // component stays connected and both halves of the other component join it.
      const auto [a, b] = g.edges[other_edges[static_cast<std::size_t>(rng.below(other_edges.size()))]];
      auto [c, d] = g.edges[main_cycle_edges[static_cast<std::size_t>(rng.below(main_cycle_edges.size()))]];
      if (rng.below(2) == 1) std::swap(c, d);
      std::vector<std::pair<int, int>> edges;
      for (const auto& e : g.edges) {
        if (e != std::pair{std::min(a, b), std::max(a, b)} && e != std::pair{std::min(c, d), std::max(c, d)}) {
          edges.push_back(e);
        }
      }
      edges.emplace_back(a, c);
      edges.emplace_back(b, d);
      g = make_graph(g.n, edges);
      continue;
    }
    // No swap possible (a single node, or a tree-shaped main component): add an edge between
    // random lowest-degree nodes of the two components.
    const std::vector<int> deg = g.degrees();
    auto pick_low = [&](const std::vector<int>& nodes) {
      int best = g.n;
      for (const int v : nodes) best = std::min(best, deg[static_cast<std::size_t>(v)]);
      std::vector<int> cand;
      for (const int v : nodes) {
        if (deg[static_cast<std::size_t>(v)] == best) cand.push_back(v);
      }
      return cand[static_cast<std::size_t>(rng.below(cand.size()))];
    };
    std::vector<std::pair<int, int>> edges = g.edges;
    edges.emplace_back(pick_low(comps[other]), pick_low(comps[main]));
    g = make_graph(g.n, edges);
  }
}

std::vector<net::Link> links_of(const Graph& g) {
  const auto adj = g.adjacency();
  std::vector<net::Link> links;
  links.reserve(g.edges.size() * 2);
  for (int s = 0; s < g.n; ++s) {
    int port = 0;
    for (const int t : adj[static_cast<std::size_t>(s)]) links.push_back(net::Link{s, t, port++, 0.0});
  }
  return links;
}

// ---- Topology Zoo GML -----------------------------------------------------------------------------
namespace {

struct Token {
  enum Kind { Word, String, Open, Close } kind = Word;
  std::string text;
  std::size_t line = 0;
};

std::vector<Token> tokenize(std::string_view t, std::string_view file) {
  std::vector<Token> out;
  std::size_t line = 1;
  std::size_t i = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {  // comment to end of line
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (c == '[' || c == ']') {
      out.push_back({c == '[' ? Token::Open : Token::Close, std::string(1, c), line});
      ++i;
    } else if (c == '"') {
      const std::size_t start_line = line;
      std::size_t j = i + 1;
      while (j < t.size() && t[j] != '"') {
        if (t[j] == '\n') ++line;
        ++j;
      }
      if (j >= t.size()) {
        throw Error(std::string(file) + ":" + std::to_string(start_line) + ": unterminated string");
      }
      out.push_back({Token::String, std::string(t.substr(i + 1, j - i - 1)), start_line});
      i = j + 1;
    } else {
      std::size_t j = i;
      while (j < t.size() && t[j] != ' ' && t[j] != '\t' && t[j] != '\r' && t[j] != '\n' && t[j] != '[' &&
             t[j] != ']' && t[j] != '"') {
        ++j;
      }
      out.push_back({Token::Word, std::string(t.substr(i, j - i)), line});
      i = j;
    }
  }
  return out;
}

struct GmlParser {
  const std::vector<Token>& toks;
  std::string_view file;
  std::size_t pos = 0;

  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw Error(std::string(file) + ":" + std::to_string(line) + ": " + what);
  }
  [[nodiscard]] std::size_t line_here() const { return pos < toks.size() ? toks[pos].line : (toks.empty() ? 1 : toks.back().line); }

  // Skips one value (scalar or block) starting at pos.
  void skip_value() {
    if (pos >= toks.size()) fail(line_here(), "expected a value, got end of file");
    if (toks[pos].kind == Token::Close) fail(toks[pos].line, "expected a value, got ']'");
    if (toks[pos].kind != Token::Open) {
      ++pos;
      return;
    }
    const std::size_t open_line = toks[pos].line;
    int depth = 0;
    while (pos < toks.size()) {
      if (toks[pos].kind == Token::Open) ++depth;
      if (toks[pos].kind == Token::Close && --depth == 0) {
        ++pos;
        return;
      }
      ++pos;
    }
    fail(open_line, "'[' never closed");
  }

  // Reads a block's flat scalar attributes (nested blocks skipped); pos at '['; on return past ']'.
  std::map<std::string, Token> read_flat_block() {
    const std::size_t open_line = toks[pos].line;
    ++pos;
    std::map<std::string, Token> attrs;
    while (true) {
      if (pos >= toks.size()) fail(open_line, "'[' never closed");
      if (toks[pos].kind == Token::Close) {
        ++pos;
        return attrs;
      }
      if (toks[pos].kind != Token::Word) fail(toks[pos].line, "expected a key, got '" + toks[pos].text + "'");
      const std::string key = toks[pos].text;
      ++pos;
      if (pos < toks.size() && toks[pos].kind != Token::Open && toks[pos].kind != Token::Close) {
        attrs.emplace(key, toks[pos]);
        ++pos;
      } else {
        skip_value();
      }
    }
  }
};

long long int_attr(const std::map<std::string, Token>& a, const std::string& key, std::size_t block_line,
                   const GmlParser& p, const char* what) {
  const auto it = a.find(key);
  if (it == a.end()) p.fail(block_line, std::string(what) + " block without '" + key + "'");
  const auto v = parse_number(it->second.text);
  if (!v || *v != std::floor(*v)) {
    p.fail(it->second.line, std::string(what) + " '" + key + "' is '" + it->second.text + "', expected an integer");
  }
  return static_cast<long long>(*v);
}

}  // namespace

ZooGraph read_zoo_gml(std::string_view text, std::string_view file) {
  const std::vector<Token> toks = tokenize(text, file);
  GmlParser p{toks, file};
  // Find the top-level `graph [`.
  while (p.pos < toks.size()) {
    if (toks[p.pos].kind == Token::Word && toks[p.pos].text == "graph" && p.pos + 1 < toks.size() &&
        toks[p.pos + 1].kind == Token::Open) {
      break;
    }
    if (toks[p.pos].kind == Token::Word) {
      ++p.pos;
      p.skip_value();
    } else {
      p.fail(toks[p.pos].line, "expected a key, got '" + toks[p.pos].text + "'");
    }
  }
  if (p.pos >= toks.size()) p.fail(p.line_here(), "no 'graph [' block");
  const std::size_t graph_line = toks[p.pos].line;
  p.pos += 2;
  std::map<long long, int> index;  // GML id -> 0..n-1
  std::vector<std::pair<long long, long long>> raw_edges;
  std::vector<std::size_t> edge_lines;
  bool closed = false;
  while (p.pos < toks.size()) {
    const Token& t = toks[p.pos];
    if (t.kind == Token::Close) {
      ++p.pos;
      closed = true;
      break;
    }
    if (t.kind != Token::Word) p.fail(t.line, "expected a key, got '" + t.text + "'");
    ++p.pos;
    const bool block = p.pos < toks.size() && toks[p.pos].kind == Token::Open;
    if (block && (t.text == "node" || t.text == "edge")) {
      const std::size_t bl = toks[p.pos].line;
      const auto attrs = p.read_flat_block();
      if (t.text == "node") {
        const long long id = int_attr(attrs, "id", bl, p, "node");
        if (!index.emplace(id, static_cast<int>(index.size())).second) {
          p.fail(bl, "node id " + std::to_string(id) + " given twice");
        }
      } else {
        raw_edges.emplace_back(int_attr(attrs, "source", bl, p, "edge"), int_attr(attrs, "target", bl, p, "edge"));
        edge_lines.push_back(bl);
      }
    } else {
      p.skip_value();
    }
  }
  if (!closed) p.fail(graph_line, "'graph [' never closed");
  std::vector<std::pair<int, int>> edges;
  for (std::size_t i = 0; i < raw_edges.size(); ++i) {
    const auto a = index.find(raw_edges[i].first), b = index.find(raw_edges[i].second);
    if (a == index.end() || b == index.end()) {
      p.fail(edge_lines[i], "edge " + std::to_string(raw_edges[i].first) + " -> " + std::to_string(raw_edges[i].second) +
                                " names an unknown node id");
    }
    edges.emplace_back(a->second, b->second);
  }
  std::string name(file);
  if (const auto slash = name.find_last_of('/'); slash != std::string::npos) name.erase(0, slash + 1);
  if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.erase(dot);
  return ZooGraph{name, make_graph(static_cast<int>(index.size()), edges)};
}

ZooGraph read_zoo_gml_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open GML file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return read_zoo_gml(ss.str(), file.string());
}

std::vector<ZooGraph> read_zoo_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw Error(dir.string() + ": not a folder");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".gml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<ZooGraph> out;
  out.reserve(files.size());
  for (const auto& f : files) out.push_back(read_zoo_gml_file(f));
  return out;
}

// ---- fitting -------------------------------------------------------------------------------------
PlodParams fit_rank_degree(std::span<const int> degrees) {
  std::vector<int> d;
  for (const int x : degrees) {
    if (x > 0) d.push_back(x);
  }
  std::sort(d.begin(), d.end(), std::greater<>());
  if (d.empty()) return {0.0, 0.0};
  if (d.front() == d.back()) return {0.0, static_cast<double>(d.front())};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double m = static_cast<double>(d.size());
  for (std::size_t r = 0; r < d.size(); ++r) {
    const double x = std::log(static_cast<double>(r + 1));
    const double y = std::log(static_cast<double>(d[r]));
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / m;
  return {-slope, std::exp(intercept)};
}

namespace {
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}
}  // namespace

PlodFit fit_plod(std::span<const ZooGraph> graphs, int min_nodes, int max_nodes) {
  PlodFit fit;
  std::vector<double> alphas, betas;
  for (const ZooGraph& z : graphs) {
    const auto deg = z.graph.degrees();
    const int active = static_cast<int>(std::count_if(deg.begin(), deg.end(), [](int d) { return d > 0; }));
    if (active < min_nodes || active > max_nodes) {
      ++fit.skipped;
      continue;
    }
    const PlodParams p = fit_rank_degree(deg);
    fit.per_graph.push_back(p);
    fit.names.push_back(z.name);
    alphas.push_back(p.alpha);
    betas.push_back(p.beta);
  }
  if (alphas.empty()) {
    throw Error("fit_plod: no graph with " + std::to_string(min_nodes) + ".." + std::to_string(max_nodes) +
                " connected nodes among " + std::to_string(graphs.size()));
  }
  fit.params = {quantile(alphas, 0.5), quantile(betas, 0.5)};
  fit.alpha_p25 = quantile(alphas, 0.25);
  fit.alpha_p75 = quantile(alphas, 0.75);
  fit.beta_p25 = quantile(betas, 0.25);
  fit.beta_p75 = quantile(betas, 0.75);
  return fit;
}

std::string format_plod_conf(const PlodFit& fit, std::string_view command) {
  char buf[512];
  std::string out;
  out += "# PLOD (Power-Law Out-Degree, Palmer & Steffan 2000) topology parameters for engine/gen.\n";
  out += "# Generated by: " + std::string(command) + "\n";
  out += "# Method: for each Topology Zoo graph (self-loops and multi-edges dropped, isolated nodes ignored),\n";
  out += "# least squares of log(degree) on log(rank) over its degrees sorted descending, d_r = beta * r^-alpha;\n";
  std::snprintf(buf, sizeof buf, "# the values are the medians over %zu graphs (%d skipped by the node-count window).\n",
                fit.per_graph.size(), fit.skipped);
  out += buf;
  std::snprintf(buf, sizeof buf, "# Interquartile ranges: alpha %.4f .. %.4f, beta %.4f .. %.4f.\n", fit.alpha_p25,
                fit.alpha_p75, fit.beta_p25, fit.beta_p75);
  out += buf;
  out += "# configs/generator.conf carries the same two keys (copy them there after a refit).\n";
  std::snprintf(buf, sizeof buf, "plod_alpha: %.4f\nplod_beta: %.4f\n", fit.params.alpha, fit.params.beta);
  out += buf;
  return out;
}

PlodParams load_plod_conf(const std::filesystem::path& file) {
  const ConfigFile f = ConfigFile::load(file);
  for (const char* key : {"plod_alpha", "plod_beta"}) {
    if (!f.has(key)) throw Error(file.string() + ": missing key '" + key + "'");
  }
  PlodParams p;
  p.alpha = f.get_double("plod_alpha", 0.0, 0.0, 10.0);
  p.beta = f.get_double("plod_beta", 1.0, 1e-9, 1e9);
  f.reject_unknown();
  return p;
}

// ---- quickstart topology ------------------------------------------------------------------------

Graph generate_quickstart(int n, const QuickstartTopologyParams& p, Rng& rng, std::vector<int>* targets) {
  if (n < 2) throw Error("generate_quickstart: n = " + std::to_string(n) + ", expected >= 2");
  if (p.degrees.empty() || p.degrees.size() != p.weights.size()) {
    throw Error("generate_quickstart: " + std::to_string(p.degrees.size()) + " degrees and " +
                std::to_string(p.weights.size()) + " weights, expected the same number (>= 1)");
  }
  double total = 0.0;
  for (std::size_t i = 0; i < p.degrees.size(); ++i) {
    if (p.degrees[i] < 1) {
      throw Error("generate_quickstart: degree " + std::to_string(p.degrees[i]) + ", expected >= 1");
    }
    if (!(p.weights[i] >= 0.0) || !std::isfinite(p.weights[i])) {
      throw Error("generate_quickstart: weight " + std::to_string(p.weights[i]) + ", expected >= 0");
    }
    total += p.weights[i];
  }
  if (!(total > 0.0)) throw Error("generate_quickstart: the degree weights sum to 0, expected > 0");

  const auto nn = static_cast<std::size_t>(n);
  constexpr int kMaxTries = 10000;
  for (int attempt = 0; attempt < kMaxTries; ++attempt) {
    std::vector<int> credit(nn);
    for (auto& c : credit) c = p.degrees[rng.choice(p.weights)];
    const std::vector<int> target = credit;
    std::vector<char> adjacent(nn * nn, 0);
    std::vector<std::pair<int, int>> edges;
    std::vector<int> pool(nn);  // nodes with credit left
    for (int i = 0; i < n; ++i) pool[static_cast<std::size_t>(i)] = i;
    const auto leave = [&pool](int v) { pool.erase(std::find(pool.begin(), pool.end(), v)); };
    std::vector<int> partners;
    while (pool.size() > 1) {
      const int a = pool[static_cast<std::size_t>(rng.below(pool.size()))];
      partners.clear();
      for (const int b : pool) {
        if (b != a && !adjacent[static_cast<std::size_t>(a) * nn + static_cast<std::size_t>(b)]) partners.push_back(b);
      }
      if (partners.empty()) {
        leave(a);
        continue;
      }
      const int b = partners[static_cast<std::size_t>(rng.below(partners.size()))];
      adjacent[static_cast<std::size_t>(a) * nn + static_cast<std::size_t>(b)] = 1;
      adjacent[static_cast<std::size_t>(b) * nn + static_cast<std::size_t>(a)] = 1;
      edges.emplace_back(a, b);
      for (const int v : {a, b}) {
        if (--credit[static_cast<std::size_t>(v)] == 0) leave(v);
      }
    }
    Graph g = make_graph(n, edges);
    if (is_connected(g)) {
      if (targets != nullptr) *targets = target;
      return g;
    }
  }
  throw Error("generate_quickstart: no connected graph on " + std::to_string(n) + " nodes in " +
              std::to_string(kMaxTries) + " draws (degrees too small for n?)");
}

}  // namespace autoopt::gen
