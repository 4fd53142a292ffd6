// Routing for generated samples: shortest paths with deterministic tie-breaking, destination-based
// (each node forwards towards a destination through one fixed neighbour, as in the GNNet port
// matrices), so every routing also has a port-matrix form.
//
// Distances to each destination d come from Dijkstra on the link weights (links are undirected, one
// weight per edge, the same in both directions). Node v's next hop towards d is its smallest-id
// neighbour u with w(v,u) + dist(u,d) == dist(v,d) (exact for the integer and small decimal weights
// used here; compared with a 1e-9 tolerance). Paths follow the next hops, so they are loop-free.
#pragma once

#include <span>
#include <vector>

#include "gen/random.hpp"
#include "gen/topology.hpp"
#include "net/sample.hpp"

namespace autoopt::gen {

// Shortest-path routing with one weight (> 0) per edge of g.edges. Pairs in different components
// get an empty path. Throws autoopt::Error when the weights do not match the edges or are not > 0.
[[nodiscard]] net::Routing shortest_path_routing(const Graph& g, std::span<const double> edge_weights);

// Minimum-hop routing (every weight 1).
[[nodiscard]] net::Routing min_hop_routing(const Graph& g);

// Unit weights, except `count` distinct random edges (all edges when count >= edges) that get
// 1 + extra: a route then detours around such a link when the detour is shorter than 1 + extra
// hops, so some paths are longer than the minimum-hop ones.
[[nodiscard]] std::vector<double> perturbed_weights(const Graph& g, int count, double extra, Rng& rng);

}  // namespace autoopt::gen
