// The packet-level discrete-event simulator: runs a sample's topology, routing and traffic and
// returns its Results as the GNNet format defines them (spec §5, §6, §8).
//
// Model (spec §8): every directed link is an output port at its source node, served at the link's
// bandwidth; the port has the source node's queues (a flow's ToS picks one through queue_tos), each
// with its own tail-drop buffer in bits counting the packet in service; store-and-forward, no
// propagation delay; delay = generation -> full reception. Schedulers are non-preemptive and
// work-conserving: FIFO (several queues: served in port-arrival order), SP (queue 0 first), WFQ
// (self-clocked fair queueing with the node's weights), DRR (quantum proportional to the weight).
//
// Run control: packets are generated in [0, warmup + T]; pair records cover the packets generated
// from warmup on; port records cover arrivals at the port in [warmup, warmup + T), and utilisation
// is the transmission time inside that window / T. After generation stops the network drains, so
// every counted packet is either delivered or dropped. Rates are per simulated second of the
// window T; RunInfo::sim_time = T.
//
// Determinism: events are ordered by (time, sequence number); each flow draws from its own random
// stream keyed by (seed, pair, flow within the pair). The same sample and config give identical
// Results (RunInfo::wall_s and mem_kb are left 0 for the caller to fill).
#pragma once

#include <cstdint>

#include "net/sample.hpp"

namespace autoopt::sim {

enum class PercentileMode : std::uint8_t {
  Streaming,  // log-spaced histogram per flow; memory independent of the number of packets
  Exact,      // every delay stored, exact nearest-rank order statistics (small runs only)
};

struct SimConfig {
  double warmup_s = 0.0;      // simulated seconds before the statistics window
  double sim_time_s = 1000.0; // T, the statistics window in simulated seconds (> 0)
  std::uint64_t seed = 1;
  // DRR: the quantum of the queue with the largest weight, in bits; the other queues get
  // quantum x weight / max weight. Must be > 0.
  double drr_quantum_bits = 2000.0;
  PercentileMode percentiles = PercentileMode::Streaming;
  double histogram_rel_width = 0.002;  // streaming percentile bin width (relative)
  bool per_flow_results = false;       // also fill Results::flows (traffic order)
};

// What a run did (for throughput figures and sanity checks); not part of Results.
struct SimCounters {
  std::uint64_t packets_generated = 0;   // all packets, warm-up included
  std::uint64_t packets_delivered = 0;
  std::uint64_t packets_dropped = 0;
  std::uint64_t transmissions = 0;       // packet-hops served
  std::uint64_t events = 0;
  std::uint64_t max_packets_in_flight = 0;
  double wall_s = 0.0;
  double cpu_s = 0.0;  // process CPU time of the run (the simulator is single-threaded)
};

struct SimOutput {
  net::Results results;
  SimCounters counters;
};

// Simulates the sample. Throws autoopt::Error for input it cannot simulate (a flow without a path,
// a ToS without a queue, an unsupported distribution, bad bandwidths or weights, bad config).
[[nodiscard]] SimOutput run_simulation(const net::Sample& s, const SimConfig& cfg);

// run_simulation(s, cfg).results.
[[nodiscard]] net::Results simulate(const net::Sample& s, const SimConfig& cfg);

}  // namespace autoopt::sim
