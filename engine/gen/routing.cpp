#include "gen/routing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <string>

#include "net/error.hpp"

namespace autoopt::gen {

net::Routing shortest_path_routing(const Graph& g, std::span<const double> w) {
  if (w.size() != g.edges.size()) {
    throw Error("shortest_path_routing: " + std::to_string(w.size()) + " weights for " +
                std::to_string(g.edges.size()) + " edges, expected one per edge");
  }
  const auto n = static_cast<std::size_t>(g.n);
  // adjacency with weights, neighbours ascending (edges are sorted, so build then sort).
  std::vector<std::vector<std::pair<int, double>>> adj(n);
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    if (!(std::isfinite(w[e]) && w[e] > 0.0)) {
      throw Error("shortest_path_routing: weight of edge " + std::to_string(g.edges[e].first) + "-" +
                  std::to_string(g.edges[e].second) + " is " + std::to_string(w[e]) + ", expected > 0 and finite");
    }
    adj[static_cast<std::size_t>(g.edges[e].first)].emplace_back(g.edges[e].second, w[e]);
    adj[static_cast<std::size_t>(g.edges[e].second)].emplace_back(g.edges[e].first, w[e]);
  }
  for (auto& a : adj) std::sort(a.begin(), a.end());
  constexpr double inf = std::numeric_limits<double>::infinity();
  net::Routing r;
  r.paths.assign(n * n, {});
  std::vector<double> dist(n);
  std::vector<int> next(n);
  for (std::size_t d = 0; d < n; ++d) {
    std::fill(dist.begin(), dist.end(), inf);
    dist[d] = 0.0;
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> pq;
    pq.emplace(0.0, static_cast<int>(d));
    while (!pq.empty()) {
      const auto [du, u] = pq.top();
      pq.pop();
      if (du > dist[static_cast<std::size_t>(u)]) continue;
      for (const auto& [v, wv] : adj[static_cast<std::size_t>(u)]) {
        if (du + wv < dist[static_cast<std::size_t>(v)]) {
          dist[static_cast<std::size_t>(v)] = du + wv;
          pq.emplace(du + wv, v);
        }
      }
    }
    for (std::size_t v = 0; v < n; ++v) {
      next[v] = -1;
      if (v == d || dist[v] == inf) continue;
      for (const auto& [u, wu] : adj[v]) {  // ascending u: the smallest-id tie wins
        if (std::fabs(wu + dist[static_cast<std::size_t>(u)] - dist[v]) <= 1e-9 * std::max(1.0, dist[v])) {
          next[v] = u;
          break;
        }
      }
    }
    for (std::size_t s = 0; s < n; ++s) {
      if (s == d || next[s] < 0) continue;
      auto& path = r.paths[s * n + d];
      int v = static_cast<int>(s);
      path.push_back(v);
      while (v != static_cast<int>(d)) {
        v = next[static_cast<std::size_t>(v)];
        path.push_back(v);
        if (path.size() > n) throw Error("shortest_path_routing: internal error, loop towards " + std::to_string(d));
      }
    }
  }
  return r;
}

net::Routing min_hop_routing(const Graph& g) {
  const std::vector<double> w(g.edges.size(), 1.0);
  return shortest_path_routing(g, w);
}

std::vector<double> perturbed_weights(const Graph& g, int count, double extra, Rng& rng) {
  std::vector<double> w(g.edges.size(), 1.0);
  std::vector<std::size_t> idx(g.edges.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  rng.shuffle(idx);
  const std::size_t k = count <= 0 ? 0 : std::min(idx.size(), static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < k; ++i) w[idx[i]] = 1.0 + extra;
  return w;
}

}  // namespace autoopt::gen
