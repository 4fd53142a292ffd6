// Parsers and formatters for the per-sample text files of a GNNet 2022 dataset
// (spec: shared/spec/gnnet-format.md §1.3–§7): graph GML, routing (port matrix, per-source
// directory, path lists), traffic.txt, simulationResults.txt / flowSimulationResults.txt,
// linkUsage.txt, stability.txt and input_files.txt lines. Pure string in / string out; conversion
// is to and from the canonical autoopt::net model (AvgBw in bit/s; per-port stats parallel to
// Topology::links). Writers reproduce the reference bytes. Every parse error is an autoopt::Error
// naming the file, the line (= sample) and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::io::gnnet {

// Where a text comes from, for error messages: the file name given by the caller and the
// 1-based line (the sample's line in a multi-sample file).
struct Where {
  std::string_view file;
  std::size_t line = 1;
};

// Splits a per-sample file into its lines (without '\n'); a final '\n' ends the last line.
[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text);

// ---- graph (§2) -------------------------------------------------------------------------------
// Reads the dataset (output) form §2.1 and the simulator input form §2.2 (undirected edges without
// ports become both directions with ports assigned per node in edge order; bare-int bufferSizes is
// repeated per queue; missing levelsQoS / tosToQoSqueue / levelsToS get the documented defaults).
[[nodiscard]] net::Topology parse_graph(std::string_view text, std::string_view file);
// Writes the output form §2.1 byte for byte (attribute order, 2-space indentation, Python floats).
[[nodiscard]] std::string format_graph(const net::Topology& topo);
// Number of `node [` blocks, without a full parse (for cheap size filters).
[[nodiscard]] int count_graph_nodes(std::string_view text);

// ---- routing (§3) -----------------------------------------------------------------------------
// An N x N output-port matrix, row-major: ports[i*n + j] is node i's port towards j (-1: none).
struct PortMatrix {
  int n = 0;
  std::vector<int> ports;
  [[nodiscard]] int at(int i, int j) const noexcept {
    return ports[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) +
                 static_cast<std::size_t>(j)];
  }
  friend bool operator==(const PortMatrix&, const PortMatrix&) = default;
};

// Parses §3.1: N lines of N comma-terminated integers.
[[nodiscard]] PortMatrix parse_port_matrix(std::string_view text, int num_nodes,
                                           std::string_view file);
// Expands a destination-based matrix into paths (§3.1), via the GML (node, port) -> neighbour map.
// A pair whose source entry is -1 has no route (empty path). Loops, missing ports and -1 in the
// middle of a path are errors naming the pair.
[[nodiscard]] net::Routing expand_port_matrix(const PortMatrix& m, const net::Topology& topo,
                                              std::string_view file);
// Expands §3.3 per-source matrices: per_source[s] expands every path starting at s.
[[nodiscard]] net::Routing expand_per_source(std::span<const PortMatrix> per_source,
                                             const net::Topology& topo, std::string_view file);
// Parses a path list (§3.2 `0,3,5` lines, or §3.3 `0;3;5` lines); pairs not listed have no route.
[[nodiscard]] net::Routing parse_path_list(std::string_view text, const net::Topology& topo,
                                           std::string_view file);
// Parses a routing file of any single-file form: a `;` in the first line -> `;` path list; a first
// line ending in ',' -> port matrix; otherwise a `,` path list.
[[nodiscard]] net::Routing parse_routing_file(std::string_view text, const net::Topology& topo,
                                              std::string_view file);
// The destination-based port matrix text of `routing`, or nullopt when the paths are not
// destination-consistent (two paths leave one node towards one destination by different links, or
// a pair without a route lies on another pair's path). Throws if a path uses a missing link.
[[nodiscard]] std::optional<std::string> format_routing_matrix(const net::Topology& topo,
                                                               const net::Routing& routing);
// The §3.3 per-source matrices (element s = the text of Routing_src_<s>.txt); exact for any
// loop-free routing.
[[nodiscard]] std::vector<std::string> format_routing_per_source(const net::Topology& topo,
                                                                 const net::Routing& routing);
// File name of source s in a routing directory: "Routing_src_<s>.txt".
[[nodiscard]] std::string per_source_file_name(int source);
// The §3.2 simulator-input path list (`n0,n1,...,nk` lines, by source then destination).
[[nodiscard]] std::string format_path_list(const net::Routing& routing, int num_nodes);

// ---- traffic.txt (§4) -------------------------------------------------------------------------
[[nodiscard]] net::Traffic parse_traffic_line(std::string_view line, int num_nodes, Where where);
// Appends the line, '\n' included.
void append_traffic_line(std::string& out, const net::Traffic& traffic);

// ---- simulationResults.txt / flowSimulationResults.txt (§5) -----------------------------------
// Fills results.global_* and results.pairs (AvgBw converted to bit/s).
void parse_simulation_results_line(std::string_view line, int num_nodes, Where where,
                                   net::Results& results);
// Parses a flowSimulationResults line into per-flow records in traffic order (a pair without flows
// carries one empty record, which is skipped).
[[nodiscard]] std::vector<net::PathStats> parse_flow_results_line(std::string_view line,
                                                                  const net::Traffic& traffic,
                                                                  Where where);
void append_simulation_results_line(std::string& out, const net::Results& results);
// Requires results.flows.size() == number of flows in `traffic`.
void append_flow_results_line(std::string& out, const net::Results& results,
                              const net::Traffic& traffic);

// ---- linkUsage.txt (§6) -----------------------------------------------------------------------
// Returns per-port stats parallel to topo.links.
[[nodiscard]] std::vector<net::PortStats> parse_link_usage_line(std::string_view line,
                                                                const net::Topology& topo,
                                                                Where where);
void append_link_usage_line(std::string& out, std::span<const net::PortStats> ports,
                            const net::Topology& topo);

// ---- stability.txt (§7) -----------------------------------------------------------------------
[[nodiscard]] net::RunInfo parse_stability_line(std::string_view line, Where where);
void append_stability_line(std::string& out, const net::RunInfo& run);

// ---- input_files.txt (§1.3) and links_bw overrides -------------------------------------------
struct InputFiles {
  std::int64_t id = 0;
  std::string graph;
  std::string routing;
  std::string links_bw;  // empty when absent
  friend bool operator==(const InputFiles&, const InputFiles&) = default;
};
[[nodiscard]] InputFiles parse_input_files_line(std::string_view line, Where where);
void append_input_files_line(std::string& out, const InputFiles& in);

struct LinkBandwidth {
  int src = 0;
  int dst = 0;
  double bandwidth_bps = 0.0;
};
// Lines `src;dst;bw_bps`.
[[nodiscard]] std::vector<LinkBandwidth> parse_links_bw(std::string_view text,
                                                        std::string_view file);
// Replaces the bandwidth of each named directed link; a link not in the topology is an error.
void apply_links_bw(net::Topology& topo, std::span<const LinkBandwidth> overrides,
                    std::string_view file);

}  // namespace autoopt::io::gnnet
