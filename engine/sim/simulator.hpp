// The packet-level discrete-event simulator: runs a sample's topology, routing and traffic and
// returns its Results as the GNNet format defines them (spec §5, §6, §8).
//
// Model (spec §8): every directed link is an output port at its source node, served at the link's
// bandwidth; the port has the source node's queues (a flow's ToS picks one through queue_tos), each
// with its own tail-drop buffer in bits counting the packet in service (optionally also a packet-count
// limit, SimConfig::queue_limit_packets, which the format does not have); store-and-forward, no
// propagation delay; delay = generation -> full reception. Schedulers are non-preemptive and
// work-conserving: FIFO (several queues: served in port-arrival order), SP (queue 0 first), WFQ
// (by default the head of the queue with the smallest accepted bits / weight since t = 0), DRR
// (quantum proportional to the weight, 32000 bits for the heaviest queue by default). The defaults
// of every calibration knob are the variants that fit the reference data best (docs/simulator.md
// has the evidence).
//
// Run control: packets are generated in [0, warmup + T]; pair records cover the packets generated
// from warmup on; port records cover arrivals at the port in [warmup, warmup + T), and utilisation
// is the transmission time inside that window / T. After generation stops the network drains, so
// every counted packet is either delivered or dropped. Rates are per simulated second of the
// window T; RunInfo::sim_time = T. T is fixed (sim_time_s) or set by the stop rule (a packet count,
// or convergence of every path's mean delay), see StopRule; RunInfo::metric is the largest relative
// confidence half-width of a path's mean delay.
//
// A pair whose every packet is lost keeps the format's "no delay" record: pkts_drop == pkts_gen > 0
// and every delay field (avg, ln, percentiles, jitter) -1, exactly as an empty pair; a reader tells
// it from a measured delay by pkts_gen - pkts_drop == 0 (docs/simulator.md).
//
// Determinism: events are ordered by (time, sequence number); each flow draws from its own random
// stream keyed by (seed, pair, flow within the pair). The same sample and config give identical
// Results (RunInfo::wall_s and mem_kb are left 0 for the caller to fill).
#pragma once

#include <cstdint>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::sim {

enum class PercentileMode : std::uint8_t {
  Streaming,  // log-spaced histogram per flow; memory independent of the number of packets
  Exact,      // every delay stored, exact nearest-rank order statistics (small runs only)
};

// WFQ's tag discipline (spec §8.2 leaves the variant open; docs/simulator.md has the calibration).
enum class WfqVariant : std::uint8_t {
  SCFQ,          // self-clocked fair queueing: finish tag max(v, F_prev) + L/w, v = tag in service
  StartTime,     // start-time fair queueing: serve the smallest start tag max(v, F_prev)
  VirtualClock,  // virtual clock: finish tag max(now, F_prev) + L/(bw * w / sum w), real time
  Cumulative,    // no virtual time: finish tag F_prev + L/w over the whole run (never reset), so a
                 // queue's tag is its accepted bits / weight since t = 0 (docs/simulator.md, jitter)
};

// How a DRR queue's quantum follows from drr_quantum_bits and the node's weights.
enum class DrrQuantumScale : std::uint8_t {
  MaxWeight,  // quantum = drr_quantum_bits * w / max(w): the heaviest queue gets drr_quantum_bits
  SumWeight,  // quantum = drr_quantum_bits * w / sum(w): one round serves drr_quantum_bits
};

// ON-OFF sources (spec §8.3): every ON period starts with a packet; then, inside the period,
//   Exponential         Poisson gaps at PktsLambdaOn (+1 packet per period on average)
//   Deterministic       gaps of 1/PktsLambdaOn from the start (+1/2 packet per period)
//   DeterministicPhase  gaps of 1/PktsLambdaOn after a uniform random first gap (+1 per period)
// and the state at t = 0.
enum class OnOffGaps : std::uint8_t { Exponential, Deterministic, DeterministicPhase };
enum class OnOffStart : std::uint8_t { Off, On };

// When the statistics window ends (generation stops there and the network drains).
enum class StopRule : std::uint8_t {
  FixedTime,    // after sim_time_s
  PacketCount,  // once max_packets packets were generated in the window (capped at max_sim_time_s)
  Converged,    // at the first check (every check_interval_s, from min_sim_time_s on) where every
                // path's mean-delay confidence half-width is <= rel_precision x its mean (batch
                // means over batches of check_interval_s); capped at max_sim_time_s
};

struct SimConfig {
  double warmup_s = 0.0;      // simulated seconds before the statistics window
  double sim_time_s = 1000.0; // T, the statistics window in simulated seconds (> 0) (FixedTime)
  std::uint64_t seed = 1;
  // DRR: the quantum scale in bits (see DrrQuantumScale). Must be > 0. The default is calibrated
  // against the reference data (docs/simulator.md).
  double drr_quantum_bits = 32000.0;
  PercentileMode percentiles = PercentileMode::Streaming;
  double histogram_rel_width = 0.002;  // streaming percentile bin width (relative)
  bool per_flow_results = false;       // also fill Results::flows (traffic order)
  // > 0: each queue also holds at most this many packets, the one in service included (tail drop);
  // 0 = bits only (GNNet semantics). For M/M/1/K-style checks; at most 2^31 - 1.
  std::uint32_t queue_limit_packets = 0;
  // ---- calibration knobs (defaults: the variant that fits the reference best) ----
  WfqVariant wfq = WfqVariant::Cumulative;
  DrrQuantumScale drr_scale = DrrQuantumScale::MaxWeight;
  OnOffGaps onoff_gaps = OnOffGaps::DeterministicPhase;
  OnOffStart onoff_start = OnOffStart::Off;
  // ---- run length ----
  StopRule stop = StopRule::FixedTime;
  std::uint64_t max_packets = 0;       // PacketCount: packets generated in the window (> 0)
  double rel_precision = 0.01;         // Converged: target half-width / mean for every path
  double confidence = 0.95;            // confidence level of the half-widths (0.5 .. 0.999)
  double check_interval_s = 25.0;      // Converged/PacketCount: check period = batch length
  double min_sim_time_s = 0.0;         // Converged: no stop before this window length
  double max_sim_time_s = 100000.0;    // Converged/PacketCount: the cap on the window length
  std::uint32_t min_batches = 10;      // Converged: a path needs this many batches to converge
  // Batch length for the half-widths in FixedTime mode; 0: sim_time_s / 32.
  double batch_s = 0.0;
};

// What a run did (for throughput figures and sanity checks); not part of Results.
struct SimCounters {
  std::uint64_t packets_generated = 0;   // all packets, warm-up included
  std::uint64_t packets_delivered = 0;
  std::uint64_t packets_dropped = 0;
  std::uint64_t transmissions = 0;       // packet-hops served
  std::uint64_t events = 0;
  std::uint64_t max_packets_in_flight = 0;
  std::uint64_t peak_packet_slots = 0;   // packet records allocated (memory high-water mark)
  double wall_s = 0.0;
  double cpu_s = 0.0;  // process CPU time of the run (the simulator is single-threaded)
};

struct SimOutput {
  net::Results results;
  SimCounters counters;
  // Per pair (N*N, row-major): the confidence half-width of the mean delay (batch means, ratio
  // estimator, Student t at SimConfig::confidence), in s; -1 where the pair has no traffic, no
  // delivered packet or fewer than 2 batches. results.run.metric is the largest half-width / mean
  // over the pairs that have one (the stopping statistic of StopRule::Converged).
  std::vector<double> delay_half_width;
  std::uint32_t batches = 0;  // completed batches behind the half-widths
};

// Simulates the sample. Throws autoopt::Error for input it cannot simulate (a flow without a path,
// a ToS without a queue, an unsupported distribution, bad bandwidths or weights, bad config).
[[nodiscard]] SimOutput run_simulation(const net::Sample& s, const SimConfig& cfg);

// run_simulation(s, cfg).results.
[[nodiscard]] net::Results simulate(const net::Sample& s, const SimConfig& cfg);

// The p-quantile of Student's t with nu degrees of freedom (Cornish-Fisher approximation; relative
// error < 1e-3 for nu >= 5, used for the half-widths).
[[nodiscard]] double student_t_quantile(double p, double nu);

}  // namespace autoopt::sim
