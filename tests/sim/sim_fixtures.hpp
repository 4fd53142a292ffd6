// Builders of small samples for the simulator tests: single links, tandems and a 10-node
// random-ish network with shortest-path routing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

#include "net/sample.hpp"
#include "sim/rng.hpp"

namespace autoopt::sim::testing {

// A node with `nq` queues, queue q serving ToS q, each with `buffer` bits.
inline net::Node make_node(net::Policy policy, int nq, double buffer, std::vector<double> weights = {}) {
  net::Node n;
  n.policy = policy;
  n.weights = std::move(weights);
  for (int q = 0; q < nq; ++q) {
    n.buffer_bits.push_back(buffer);
    n.queue_tos.push_back({q});
  }
  return n;
}

inline net::Flow poisson_flow(double pkts_per_s, double size_bits, int tos = 0) {
  net::Flow f;
  f.time_dist = net::TimeDist::Poisson;
  f.eq_lambda_bps = pkts_per_s * size_bits;
  f.time_params = {pkts_per_s, 10.0};
  f.size_dist = net::SizeDist::Deterministic;
  f.avg_pkt_size_bits = size_bits;
  f.tos = tos;
  return f;
}

inline net::Flow poisson_generic_flow(double pkts_per_s, std::vector<net::SizeProb> cands, int tos = 0) {
  double mean = 0.0;
  for (const auto& c : cands) mean += c.size_bits * c.prob;
  net::Flow f;
  f.time_dist = net::TimeDist::Poisson;
  f.eq_lambda_bps = pkts_per_s * mean;
  f.time_params = {pkts_per_s, 10.0};
  f.size_dist = net::SizeDist::Generic;
  f.avg_pkt_size_bits = static_cast<double>(static_cast<long long>(mean));
  f.candidates = std::move(cands);
  f.tos = tos;
  return f;
}

// The validation set's first generic size distribution (mean 1057.5 bits).
inline std::vector<net::SizeProb> generic5() {
  return {{500, 0.22}, {750, 0.05}, {1000, 0.06}, {1250, 0.62}, {1500, 0.05}};
}

inline double moment(const std::vector<net::SizeProb>& c, int k) {
  double m = 0.0;
  for (const auto& x : c) m += x.prob * (k == 1 ? x.size_bits : x.size_bits * x.size_bits);
  return m;
}

// A chain 0 -> 1 -> ... -> h with the given bandwidths; every node uses `node` as its configuration.
// The routing holds the chain's forward paths; traffic is empty (pairs sized N*N).
inline net::Sample chain(const std::vector<double>& bws, const net::Node& node) {
  net::Sample s;
  const int n = static_cast<int>(bws.size()) + 1;
  s.topology.nodes.assign(static_cast<std::size_t>(n), node);
  for (int i = 0; i + 1 < n; ++i) s.topology.links.push_back({i, i + 1, 0, bws[static_cast<std::size_t>(i)]});
  s.routing.paths.resize(static_cast<std::size_t>(n * n));
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      auto& p = s.routing.paths[static_cast<std::size_t>(a * n + b)];
      for (int i = a; i <= b; ++i) p.push_back(i);
    }
  }
  s.traffic.pairs.resize(static_cast<std::size_t>(n * n));
  return s;
}

inline net::Flow& add_flow(net::Sample& s, int src, int dst, net::Flow f) {
  const int n = s.num_nodes();
  auto& v = s.traffic.pairs[static_cast<std::size_t>(src * n + dst)];
  v.push_back(std::move(f));
  return v.back();
}

// A 10-node network: a bidirectional ring plus chords, bandwidths 40-100 kbit/s, shortest-path
// routing, one flow per pair mixing Poisson / CBR / ON-OFF and Generic sizes, nodes cycling through
// FIFO, SP, WFQ and DRR. `load` scales every flow's rate (1: busiest links near 60-70%).
inline net::Sample ten_node(double load, std::uint64_t seed = 7) {
  constexpr int n = 10;
  RandomStream rng(seed, 0, 0);
  net::Sample s;
  s.topology.levels_tos = 3;
  for (int i = 0; i < n; ++i) {
    const auto pol = static_cast<net::Policy>(i % 4);
    std::vector<double> w;
    if (pol == net::Policy::WFQ || pol == net::Policy::DRR) w = {20, 30, 50};
    s.topology.nodes.push_back(make_node(pol, 3, 32000 + 8000 * (i % 3), w));
  }
  auto link = [&](int a, int b) {
    const double bw = 40000.0 + 10000.0 * static_cast<double>(rng.next() % 7);
    s.topology.links.push_back({a, b, 0, bw});
    s.topology.links.push_back({b, a, 0, bw});
  };
  for (int i = 0; i < n; ++i) link(i, (i + 1) % n);
  link(0, 5);
  link(2, 7);
  link(3, 8);
  link(1, 4);
  // BFS shortest paths (ties: lowest neighbour first).
  std::vector<std::vector<int>> adj(n);
  for (const auto& l : s.topology.links) adj[static_cast<std::size_t>(l.src)].push_back(l.dst);
  for (auto& a : adj) std::sort(a.begin(), a.end());
  s.routing.paths.resize(n * n);
  for (int src = 0; src < n; ++src) {
    std::vector<int> prev(n, -1);
    std::vector<bool> seen(n, false);
    std::queue<int> bfs;
    bfs.push(src);
    seen[static_cast<std::size_t>(src)] = true;
    while (!bfs.empty()) {
      const int u = bfs.front();
      bfs.pop();
      for (const int v : adj[static_cast<std::size_t>(u)]) {
        if (!seen[static_cast<std::size_t>(v)]) {
          seen[static_cast<std::size_t>(v)] = true;
          prev[static_cast<std::size_t>(v)] = u;
          bfs.push(v);
        }
      }
    }
    for (int dst = 0; dst < n; ++dst) {
      if (dst == src) continue;
      std::vector<int> p;
      for (int v = dst; v != -1; v = prev[static_cast<std::size_t>(v)]) p.insert(p.begin(), v);
      s.routing.paths[static_cast<std::size_t>(src * n + dst)] = p;
    }
  }
  s.traffic.pairs.resize(n * n);
  s.traffic.max_avg_lambda = 5000.0 * load;
  const std::vector<std::vector<net::SizeProb>> dists = {
      generic5(),
      {{500, 0.08}, {750, 0.16}, {1000, 0.35}, {1250, 0.21}, {1500, 0.20}},
      {{500, 0.53}, {750, 0.16}, {1000, 0.07}, {1250, 0.10}, {1500, 0.14}}};
  for (int k = 0; k < n * n; ++k) {
    if (k / n == k % n) continue;
    const double bw = (0.1 + 0.9 * rng.uniform()) * 5000.0 * load;
    const auto& c = dists[static_cast<std::size_t>(rng.next() % 3)];
    const double mean = moment(c, 1);
    const auto avg = static_cast<double>(static_cast<long long>(mean));
    const double u = rng.uniform();
    net::Flow f;
    f.eq_lambda_bps = bw;
    f.size_dist = net::SizeDist::Generic;
    f.avg_pkt_size_bits = avg;
    f.candidates = c;
    f.tos = u < 0.1 ? 0 : (u < 0.4 ? 1 : 2);
    const double lam = bw / avg;
    switch (k % 3) {
      case 0: f.time_dist = net::TimeDist::Poisson; f.time_params = {lam, 10}; break;
      case 1: f.time_dist = net::TimeDist::CBR; f.time_params = {lam}; break;
      default: f.time_dist = net::TimeDist::OnOff; f.time_params = {lam * 2.0, 5, 5, 10}; break;
    }
    s.traffic.pairs[static_cast<std::size_t>(k)].push_back(f);
  }
  return s;
}

}  // namespace autoopt::sim::testing
