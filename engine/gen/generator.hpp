// Stage 1 of AutoOPT: candidate training samples in small networks. generate_sample() draws a
// complete, valid input sample (topology, routing, traffic; no results) as a deterministic function
// of (config, seed): n ~ U{ceil(min_nodes_fraction * max_nodes) .. max_nodes} nodes, a connected
// PLOD topology (gen/topology.hpp), node policies and buffers, minimum-hop routing (or, with
// probability detour_probability, shortest paths with detour_links links made 1 + detour_extra
// long), traffic (gen/traffic.hpp) and capacities from the routed traffic. Every stage draws from its
// own random stream of the seed. All knobs and their defaults: configs/generator.conf
// (docs/generator.md).
//
// Baseline (configs/quickstart.conf): topology_model quickstart draws the random-degree topology of
// the GNNet 2022 quickstart notebook instead of PLOD (gen/topology.hpp), and traffic_model uniform
// gives every flow avg_bw ~ U{uniform_bw_min .. uniform_bw_max} (integers) instead of the per-sample
// traffic intensity; the notebook's fixed policy, buffer and capacity use the ordinary knobs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "gen/config.hpp"
#include "gen/topology.hpp"
#include "gen/traffic.hpp"
#include "net/sample.hpp"

namespace autoopt::gen {

enum class TopologyModel : std::uint8_t { Plod, Quickstart };
enum class TrafficModel : std::uint8_t {
  Intensity,  // per-sample traffic intensity TI (gen/traffic.hpp)
  Uniform,    // every flow's avg_bw ~ U{uniform_bw_min .. uniform_bw_max}, as the quickstart notebook
};

struct GeneratorConfig {
  // topology
  int max_nodes = 10;                // X_tra
  double min_nodes_fraction = 0.8;   // n >= ceil(fraction * max_nodes)
  TopologyModel topology_model = TopologyModel::Plod;
  PlodParams plod{1.0, 1.0};         // set below from configs/plod.conf's values
  QuickstartTopologyParams quickstart;  // topology_model quickstart: target degrees and their weights
  // routing
  double detour_probability = 0.3;
  int detour_links = 2;
  double detour_extra = 1.5;
  // traffic, nodes, capacities
  TrafficModel traffic_model = TrafficModel::Intensity;
  int uniform_bw_min = 10;           // traffic_model uniform: bit/s (the notebook: randint(10, 1000))
  int uniform_bw_max = 1000;
  TrafficParams traffic;
  NodeParams nodes;
  CapacityParams capacity;
  // naming
  std::string dataset_tag = "autoopt-gen";

  GeneratorConfig();
  friend bool operator==(const GeneratorConfig&, const GeneratorConfig&) = default;
};

// Reads the knobs from a parsed config (missing keys keep their defaults) and checks them; unknown
// keys and bad values throw autoopt::Error naming the file, line and key.
[[nodiscard]] GeneratorConfig generator_config_from(const ConfigFile& file);
GeneratorConfig load_generator_config(const std::filesystem::path& file);  // throws autoopt::Error

// Candidate k of a run: a complete, valid input sample (topology, routing, traffic; no results),
// a deterministic function of (config, seed). id = a readable sample id: the sample is named
// graph-<id>.txt / routing-<id>.txt, and Sample::id is the number formed by id's trailing digits
// (0 when it has none).
net::Sample generate_sample(const GeneratorConfig& cfg, std::uint64_t seed, const std::string& id);

}  // namespace autoopt::gen
