// Topologies for Stage 1: undirected simple graphs, the Power-Law Out-Degree generator (PLOD,
// Palmer & Steffan 2000), a tolerant reader for Internet Topology Zoo GML files, and the fit of the
// PLOD parameters (alpha, beta) to real degree distributions.
//
// PLOD: node i gets a degree credit c_i = clamp(round(beta * x_i^-alpha), 1, n-1), x_i uniform on
// {1..n}; credits are paired at random into edges (a pair that would make a self-loop or a duplicate
// is a failed try; pairing stops when fewer than two credits are left or after too many failed tries
// in a row); then every connected component is joined to the largest one
// (see repair_connectivity: degree-preserving edge swaps where possible), so the graph is connected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gen/random.hpp"
#include "net/sample.hpp"

namespace autoopt::gen {

// An undirected simple graph: nodes 0..n-1, edges (u, v) with u < v, sorted, no duplicates.
struct Graph {
  int n = 0;
  std::vector<std::pair<int, int>> edges;
  [[nodiscard]] std::vector<int> degrees() const;
  // Neighbours of each node, ascending.
  [[nodiscard]] std::vector<std::vector<int>> adjacency() const;
  friend bool operator==(const Graph&, const Graph&) = default;
};

// Connected components, each as ascending node ids, ordered by their smallest node.
[[nodiscard]] std::vector<std::vector<int>> components(const Graph& g);
[[nodiscard]] bool is_connected(const Graph& g);

struct PlodParams {
  double alpha = 0.0;
  double beta = 0.0;
  friend bool operator==(const PlodParams&, const PlodParams&) = default;
};

// The PLOD degree credits of n nodes (step 1 of the generator).
[[nodiscard]] std::vector<int> plod_credits(int n, const PlodParams& p, Rng& rng);
// The probability that one node's credit is k (k = 0..n-1; entry 0 is always 0).
[[nodiscard]] std::vector<double> plod_credit_pmf(int n, const PlodParams& p);
// A connected PLOD graph on n >= 2 nodes. Throws autoopt::Error for n < 2 or bad parameters.
[[nodiscard]] Graph generate_plod(int n, const PlodParams& p, Rng& rng);

// ---- quickstart topology ------------------------------------------------------------------------
// The random-degree topology of the GNNet 2022 quickstart notebook (docs/generator.md): every node
// draws a target degree from `degrees` with probabilities `weights`; then, while more than one node
// still has degree credit, a random node n0 with credit is linked to a random other node with credit
// that is not yet its neighbour (both credits drop by one; a node at zero leaves the pool), or, when
// there is none, n0 leaves the pool unsatisfied. A disconnected result is redrawn from scratch.
// So every degree is >= 1 and <= the node's target; the graph is simple and connected.
struct QuickstartTopologyParams {
  std::vector<int> degrees{2, 3, 4, 5, 6};
  std::vector<double> weights{0.34, 0.35, 0.2, 0.1, 0.01};
  friend bool operator==(const QuickstartTopologyParams&, const QuickstartTopologyParams&) = default;
};

// A connected quickstart graph on n >= 2 nodes; `targets`, when given, receives the drawn target
// degrees of the accepted draw. Throws autoopt::Error for n < 2, bad parameters (degrees >= 1,
// weights >= 0 with a positive sum, equal lengths) or no connected draw in 10000 tries.
[[nodiscard]] Graph generate_quickstart(int n, const QuickstartTopologyParams& p, Rng& rng,
                                        std::vector<int>* targets = nullptr);

// Joins the components of g into one: while there are several, the first component other than the
// largest is joined to the largest by a degree-preserving swap of an edge (a,b) of it and an edge
// (c,d) on a cycle of the largest into (a,c), (b,d); where no such pair exists, by a new edge
// between random lowest-degree nodes of the two.
[[nodiscard]] Graph repair_connectivity(Graph g, Rng& rng);

// Builds a graph from arbitrary undirected edges: self-loops and duplicates are dropped.
[[nodiscard]] Graph make_graph(int n, std::span<const std::pair<int, int>> edges);

// The topology's links from a graph: both directions of each edge, grouped by source in node order,
// each source's links by ascending target with ports 0..deg-1; bandwidth 0 (set by the caller).
[[nodiscard]] std::vector<net::Link> links_of(const Graph& g);

// ---- Topology Zoo -----------------------------------------------------------------------------
struct ZooGraph {
  std::string name;  // file stem
  Graph graph;       // nodes renumbered 0..n-1 in file order; self-loops and multi-edges dropped
};

// Reads a Topology Zoo GML file (any attributes, nested blocks, quoted strings containing brackets;
// `directed`/multi-edges treated as undirected simple). Throws autoopt::Error naming the file and line.
[[nodiscard]] ZooGraph read_zoo_gml(std::string_view text, std::string_view file);
[[nodiscard]] ZooGraph read_zoo_gml_file(const std::filesystem::path& file);
// Every *.gml of a folder, in sorted file-name order.
[[nodiscard]] std::vector<ZooGraph> read_zoo_folder(const std::filesystem::path& dir);

// ---- fitting ------------------------------------------------------------------------------------
// Least-squares fit of log d_(r) = log beta - alpha log r over the nonzero degrees sorted descending
// (r = 1, 2, ...): the rank-degree law that PLOD's credits follow. Needs >= 2 distinct nonzero degrees
// (else alpha = 0, beta = mean degree).
[[nodiscard]] PlodParams fit_rank_degree(std::span<const int> degrees);

struct PlodFit {
  PlodParams params;              // the medians of the per-graph fits
  std::vector<PlodParams> per_graph;
  std::vector<std::string> names;  // the graphs used, parallel to per_graph
  int skipped = 0;                 // graphs outside the node-count window
  double alpha_p25 = 0, alpha_p75 = 0, beta_p25 = 0, beta_p75 = 0;
};

// Fits every graph with min_nodes <= n (non-isolated nodes) <= max_nodes and takes the median alpha
// and beta. Throws autoopt::Error when no graph qualifies.
[[nodiscard]] PlodFit fit_plod(std::span<const ZooGraph> graphs, int min_nodes, int max_nodes);

// The text of configs/plod.conf: a header comment (`command` = how it was made, the method, the
// graph count and spreads) and the keys plod_alpha / plod_beta (the keys of configs/generator.conf).
[[nodiscard]] std::string format_plod_conf(const PlodFit& fit, std::string_view command);
// Reads plod_alpha / plod_beta from such a file (other keys are errors).
[[nodiscard]] PlodParams load_plod_conf(const std::filesystem::path& file);

}  // namespace autoopt::gen
