// Traffic, node configuration and link capacities of generated samples.
//
// Traffic: a sample draws a traffic intensity TI ~ U(ti_min, ti_max) (bit/s per source); each
// off-diagonal pair (or a pair_fraction of them) gets one flow with
//   avg_bw = U(bw_factor_min, bw_factor_max) * TI / (N - 1), clipped to [avg_bw_min, avg_bw_max],
// a time distribution (Poisson / CBR / ON-OFF by time_weights; ON-OFF with mean OFF/ON periods
// onoff_t_off / onoff_t_on), a generic packet-size profile over pkt_sizes (one of size_profiles, by
// profile_weights) and a ToS by tos_probs. Derived fields follow the format (spec §4): AvgPktSize =
// floor(sum size*prob), AvgPktsLambda = avg_bw / AvgPktSize, PktsLambdaOn = AvgPktsLambda *
// (on + off) / on, ExpMaxFactor. max_avg_lambda = min(avg_bw_max, TI / (N - 1)).
//
// Nodes: a policy by policy_weights; one buffer size (per queue) from buffer_values; WFQ / DRR weight
// triples from wfq_weights / drr_weights; FIFO has one queue serving ToS 0,1,2, the others one queue
// per ToS.
//
// Capacities: each undirected link carries, per direction, the avg_bw of the flows routed over it.
// A sample draws a target load rho ~ U(load_min, load_max) and each link a jitter factor
// j ~ log-U(1/load_jitter, load_jitter); the link's capacity (both directions) is
// max(direction traffic) / (rho * j), then snapped to the nearest (in log scale) of capacity_values
// or, when that list is empty, rounded to a multiple of capacity_step, and clipped to
// [capacity_min, capacity_max]. A link no flow uses gets capacity_min.
#pragma once

#include <vector>

#include "gen/random.hpp"
#include "gen/topology.hpp"
#include "net/sample.hpp"

namespace autoopt::gen {

struct TrafficParams {
  double ti_min = 800.0;     // traffic intensity range, bit/s per source
  double ti_max = 30000.0;
  double bw_factor_min = 0.5;
  double bw_factor_max = 1.0;
  double avg_bw_min = 10.0;  // clip of a flow's avg_bw (GNNet 2022 limits)
  double avg_bw_max = 10000.0;
  double pair_fraction = 1.0;  // share of off-diagonal pairs with a flow
  std::vector<double> time_weights{0.5, 0.25, 0.25};  // Poisson, CBR, ON-OFF
  double onoff_t_on = 5.0;
  double onoff_t_off = 5.0;
  double exp_max_factor = 10.0;
  std::vector<double> pkt_sizes{500, 750, 1000, 1250, 1500};
  // Probabilities over pkt_sizes, one profile per entry (the five of the validation set, spec §4.3).
  std::vector<std::vector<double>> size_profiles{{0.22, 0.05, 0.06, 0.62, 0.05},
                                                 {0.08, 0.16, 0.35, 0.21, 0.20},
                                                 {0.53, 0.16, 0.07, 0.10, 0.14},
                                                 {0.10, 0.16, 0.36, 0.24, 0.14},
                                                 {0.05, 0.28, 0.25, 0.27, 0.15}};
  std::vector<double> profile_weights{1, 1, 1, 1, 1};
  std::vector<double> tos_probs{0.1, 0.3, 0.6};
  friend bool operator==(const TrafficParams&, const TrafficParams&) = default;
};

struct NodeParams {
  std::vector<double> policy_weights{1, 1, 1, 1};  // FIFO, SP, WFQ, DRR
  std::vector<double> buffer_values{8000, 16000, 32000, 64000};
  // Integer triples (the GNNet 2022 training rules); the validation set's 33.3/33.3/33.4 -> 33/33/34.
  std::vector<std::vector<double>> wfq_weights{{70, 20, 10}, {33, 33, 34}, {60, 30, 10}, {80, 10, 10}, {65, 25, 10}};
  std::vector<std::vector<double>> drr_weights{{60, 30, 10}, {70, 25, 5}, {33, 33, 34}, {50, 40, 10}, {90, 5, 5}};
  friend bool operator==(const NodeParams&, const NodeParams&) = default;
};

struct CapacityParams {
  double load_min = 0.15;
  double load_max = 1.0;
  double load_jitter = 1.5;
  std::vector<double> capacity_values{10000, 25000, 40000, 100000, 250000, 400000};
  double capacity_step = 1000.0;
  double capacity_min = 10000.0;
  double capacity_max = 400000.0;
  friend bool operator==(const CapacityParams&, const CapacityParams&) = default;
};

// One node's configuration.
[[nodiscard]] net::Node make_node(const NodeParams& p, Rng& rng);

// The traffic of an n-node sample (routing must give a path to every pair that gets a flow; pairs
// without a path get none).
[[nodiscard]] net::Traffic make_traffic(int n, const net::Routing& routing, const TrafficParams& p, Rng& rng);

// Offered bit/s on each directed link of `links` (parallel), from the routed flows.
[[nodiscard]] std::vector<double> link_loads(const net::Topology& topo, const net::Routing& routing,
                                             const net::Traffic& traffic);

// Sets every link's bandwidth as described above (links must come in both directions).
void assign_capacities(net::Topology& topo, const net::Routing& routing, const net::Traffic& traffic,
                       const CapacityParams& p, Rng& rng);

// The capacity for a wanted value: snapped / rounded and clipped as described above.
[[nodiscard]] double snap_capacity(double wanted, const CapacityParams& p);

}  // namespace autoopt::gen
