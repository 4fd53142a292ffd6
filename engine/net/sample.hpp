// The canonical network sample: topology, routing, traffic and (once simulated) results.
//
// Every stage of autoopt (generate → simulate → store → featurize → model → optimize → report)
// passes this one value type around. File formats (GNNet text archives, HDF5 shards, the reference
// simulator's input layout, model tensors) convert from and to it at the edges; nothing else holds
// sample data.
//
// Units follow the GNNet format: seconds, bits, bits per second. Node ids are 0..N-1. Pair-indexed
// vectors have N*N entries in row-major order: entry k is (src = k / N, dst = k % N).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::net {

enum class Policy : std::uint8_t { FIFO = 0, SP = 1, WFQ = 2, DRR = 3 };

// "FIFO", "SP", "WFQ", "DRR".
[[nodiscard]] const char* to_string(Policy p) noexcept;
// Parses a policy name; std::nullopt for anything else.
[[nodiscard]] std::optional<Policy> parse_policy(std::string_view name) noexcept;

struct Node {
  Policy policy = Policy::FIFO;
  // Per-queue weights (WFQ, DRR), summing to 100; empty for FIFO and SP ("-" in the GML).
  std::vector<double> weights;
  // Buffer capacity per queue, in bits, in queue order; size() == number of queues (levelsQoS).
  std::vector<double> buffer_bits;
  // queue_tos[q] lists the ToS values served by queue q (tosToQoSqueue). size() == number of queues.
  std::vector<std::vector<int>> queue_tos;

  [[nodiscard]] int num_queues() const noexcept { return static_cast<int>(buffer_bits.size()); }
  // The queue a packet with this ToS joins, or -1 if no queue lists it.
  [[nodiscard]] int queue_of_tos(int tos) const noexcept;
  friend bool operator==(const Node&, const Node&) = default;
};

// A directed link src -> dst; it is the output port `port` of node src.
struct Link {
  int src = 0;
  int dst = 0;
  int port = 0;
  double bandwidth_bps = 0.0;
  friend bool operator==(const Link&, const Link&) = default;
};

struct Topology {
  int levels_tos = 3;       // ToS classes 0..levels_tos-1
  std::vector<Node> nodes;  // node i has id i
  std::vector<Link> links;  // in file order (edges grouped by source)

  [[nodiscard]] int num_nodes() const noexcept { return static_cast<int>(nodes.size()); }
  // Index into `links` of the link src -> dst, or -1.
  [[nodiscard]] int find_link(int src, int dst) const noexcept;
  friend bool operator==(const Topology&, const Topology&) = default;
};

// One path per src-dst pair, as node sequences from src to dst. paths[s*N+d] is empty for s == d
// (and for a pair without a route). All flows of a pair share the pair's path.
struct Routing {
  std::vector<std::vector<int>> paths;
  friend bool operator==(const Routing&, const Routing&) = default;
};

// Time distributions, with the GNNet output codes (traffic.txt `td`).
enum class TimeDist : std::uint8_t {
  Poisson = 0,        // params: AvgPktsLambda, ExpMaxFactor
  CBR = 1,            // params: AvgPktsLambda
  Uniform = 2,        // params: MinPktLambda, MaxPktLambda
  Normal = 3,         // params: AvgPktsLambda, StdDev
  OnOff = 4,          // params: PktsLambdaOn, AvgTOff, AvgTOn, ExpMaxFactor
  PPBP = 5,           // params: BurstGenLambda, Bitrate, ParetoMinSize, ParetoMaxSize, ParetoAlfa, ExpMaxFactor
  Trace = 6,          // params: none
};

// Packet-size distributions, with the GNNet output codes (traffic.txt `sd`).
enum class SizeDist : std::uint8_t {
  Deterministic = 0,  // params: none (AvgPktSize is the size)
  Uniform = 1,        // params: MinSize, MaxSize
  Binomial = 2,       // params: PktSize1, PktSize2
  Generic = 3,        // candidates: (size, probability) pairs
  Trace = 4,          // params: none
};

struct SizeProb {
  double size_bits = 0.0;
  double prob = 0.0;
  friend bool operator==(const SizeProb&, const SizeProb&) = default;
};

struct Flow {
  TimeDist time_dist = TimeDist::Poisson;
  double eq_lambda_bps = 0.0;        // nominal mean rate (EqLambda), bit/s
  std::vector<double> time_params;   // after EqLambda, in the order of TimeDist's comment
  SizeDist size_dist = SizeDist::Generic;
  double avg_pkt_size_bits = 0.0;    // AvgPktSize (the integer part of the true mean for Generic)
  std::vector<double> size_params;   // for Uniform / Binomial
  std::vector<SizeProb> candidates;  // for Generic
  int tos = 0;
  friend bool operator==(const Flow&, const Flow&) = default;
};

struct Traffic {
  double max_avg_lambda = 0.0;             // the header of traffic.txt (generator intensity), bit/s
  std::vector<std::vector<Flow>> pairs;    // pair-indexed; empty vector = no traffic ("-1,0,-1,0,0")
  friend bool operator==(const Traffic&, const Traffic&) = default;
};

// The 11-field record of simulationResults.txt, with AvgBw converted to bit/s.
// A pair without traffic has pkts_gen == 0 and every delay field == -1 (the format's empty record).
struct PathStats {
  double avg_bw_bps = 0.0;   // generated (offered) bit rate
  double pkts_gen = 0.0;     // packets generated per simulated second
  double pkts_drop = 0.0;    // packets dropped per simulated second
  double avg_delay = -1.0;   // s
  double avg_ln_delay = -1.0;
  double p10 = -1.0, p20 = -1.0, p50 = -1.0, p80 = -1.0, p90 = -1.0;
  double jitter = -1.0;      // delay variance, s^2
  [[nodiscard]] double loss_ratio() const noexcept { return pkts_gen > 0 ? pkts_drop / pkts_gen : 0.0; }
  friend bool operator==(const PathStats&, const PathStats&) = default;
};

// A queue block of linkUsage.txt.
struct QueueStats {
  double utilization = 0.0;  // share of the link bandwidth carried by this queue
  double loss = 0.0;         // loss ratio of the queue
  double avg_occupancy = 0.0;  // mean sojourn x bandwidth, bits
  double max_occupancy = 0.0;  // bits, packet in service included
  double avg_pkt_size = 0.0;   // bits
  friend bool operator==(const QueueStats&, const QueueStats&) = default;
};

// A port record of linkUsage.txt (the output port of a directed link).
struct PortStats {
  double utilization = 0.0;   // transmitted bit/s / bandwidth
  double loss = 0.0;          // dropped / arrived packets
  double avg_pkt_size = 0.0;  // bits
  std::vector<QueueStats> queues;
  friend bool operator==(const PortStats&, const PortStats&) = default;
};

// stability.txt
struct RunInfo {
  double sim_time = 0.0;  // T, simulated seconds: the divisor of every per-second rate
  double metric = 0.0;
  std::string status = "OK";
  std::int64_t mem_kb = 0;
  std::int64_t wall_s = 0;
  friend bool operator==(const RunInfo&, const RunInfo&) = default;
};

struct Results {
  double global_packets = 0.0;  // sum of pkts_gen, packets/s
  double global_losses = 0.0;   // sum of pkts_drop, packets/s
  double global_delay = 0.0;    // delivered-weighted mean delay, s
  std::vector<PathStats> pairs;       // pair-indexed (simulationResults.txt)
  std::vector<PathStats> flows;       // per flow in traffic order (flowSimulationResults.txt); may be empty
  std::vector<PortStats> ports;       // parallel to Topology::links
  RunInfo run;
  friend bool operator==(const Results&, const Results&) = default;
};

// A flow of a link-path sample, its path given as an explicit link sequence. Measured datasets (the
// GNNet 2023 testbed, io/gnnet2023.hpp) give paths as sequences of ports that no per-pair node
// routing can describe: a path may cross a node twice or take one of several parallel links.
struct PathFlow {
  std::string name;                    // the source's flow id ("<src>_<dst>_<k>" in GNNet 2023)
  TimeDist time_dist = TimeDist::CBR;  // CBR, or OnOff for bursty (multi-burst) sources
  double traffic_bps = 0.0;            // mean offered rate, bit/s
  double packets_per_s = 0.0;          // mean offered packets per second
  double avg_pkt_size_bits = 0.0;      // mean packet size, bits
  std::vector<int> links;              // the path: indices into Topology::links, in order
  double avg_delay = -1.0;             // measured mean delay, s; -1 when not measured
  friend bool operator==(const PathFlow&, const PathFlow&) = default;
};

// The link-path form of a sample's traffic and labels. Empty (no flows) for routed samples, whose
// flows are in Traffic and Routing; a link-path sample leaves routing.paths and traffic.pairs empty.
struct LinkPaths {
  std::vector<PathFlow> flows;
  // The unit of the source's delay labels, in seconds (1e-3: milliseconds). Labels are stored in
  // seconds; predictions are written back in this unit.
  double delay_unit_s = 1.0;
  [[nodiscard]] bool empty() const noexcept { return flows.empty(); }
  friend bool operator==(const LinkPaths&, const LinkPaths&) = default;
};

struct Sample {
  // Provenance: where the sample came from and how its files are named when written back.
  std::int64_t id = 0;          // sample id (input_files.txt field 1)
  std::string graph_name;       // file name under graphs/
  std::string routing_name;     // file or directory name under routings/
  std::string dataset_tag;      // <tag> of results_<tag>_<first>_<last>.tar.gz

  Topology topology;
  Routing routing;
  Traffic traffic;
  std::optional<Results> results;  // absent until simulated
  LinkPaths link_paths;            // link-path samples only (measured data); empty otherwise

  [[nodiscard]] int num_nodes() const noexcept { return topology.num_nodes(); }
  friend bool operator==(const Sample&, const Sample&) = default;
};

}  // namespace autoopt::net
