// Validation of the canonical sample (net/sample.hpp): topology, routing, traffic and results.
//
// validate() never throws and returns every problem found, each as a field path
// ("topology.nodes[3].weights") and a message naming the node / link / pair, the value found and what
// was expected. check() throws autoopt::Error listing the problems (at most 20, then "and K more").
// The piece validators take the context they need (the topology, the routing, the traffic) and only
// assume what they check themselves, so any sample, however broken, can be validated safely.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::net {

struct Problem {
  std::string field;    // e.g. "topology.links[4].bandwidth_bps", "traffic.pairs[7][0].time_params"
  std::string message;  // e.g. "link 1->2: zero capacity (0 bit/s), expected > 0 and finite"
  friend bool operator==(const Problem&, const Problem&) = default;
};

// "field: message".
[[nodiscard]] std::string to_string(const Problem& p);

// One problem per line, the first `max_lines` of them, then "and K more" when some were left out.
[[nodiscard]] std::string format_problems(std::span<const Problem> problems, std::size_t max_lines = 20);

// Throws autoopt::Error("<subject>: K problem(s):\n<format_problems(...)>") when `problems` is not empty.
void throw_if_problems(std::span<const Problem> problems, std::string_view subject);

// The topology alone: nodes (queues, ToS mapping, buffers, weights) and links (ends, capacity, ports).
[[nodiscard]] std::vector<Problem> validate(const Topology& topology);

// Routing against a topology: N*N paths, empty diagonal, each path from src to dst over existing
// links without revisiting a node.
[[nodiscard]] std::vector<Problem> validate(const Routing& routing, const Topology& topology);

// Traffic against a topology and routing: N*N pairs, no flows on the diagonal, every flow's pair
// routed, and each flow's rate, ToS, time and size distribution parameters.
[[nodiscard]] std::vector<Problem> validate(const Traffic& traffic, const Topology& topology,
                                            const Routing& routing);

// Simulation results against the sample they belong to: record counts (pairs, ports, queues, flows)
// and record contents (non-negative counts, drops <= generated, monotone percentiles, jitter >= 0).
[[nodiscard]] std::vector<Problem> validate(const Results& results, const Topology& topology,
                                            const Traffic& traffic);

// The whole sample: topology, routing, traffic and, when present, results.
[[nodiscard]] std::vector<Problem> validate(const Sample& sample);

// Throws autoopt::Error listing every problem of validate(sample), naming the sample (id, graph,
// routing); does nothing for a valid sample.
void check(const Sample& sample);

// Parses a scheduling policy name; an unknown name throws autoopt::Error
// "<where>: unknown scheduling policy "X", expected one of FIFO, SP, WFQ, DRR".
[[nodiscard]] Policy parse_policy_or_throw(std::string_view name, std::string_view where);

}  // namespace autoopt::net
