// Scale-independent indicators of network samples (AutoOPT Stage 1): per link, per path and per node
// value lists whose distributions can be compared between small candidate networks and large target
// networks. An IndicatorSet accumulates the values of many samples, one vector per indicator.
//
// Definitions (docs/indicators.md has the full text):
//   link_utilization     per directed link: port utilisation U (transmitted bit/s / capacity)
//   link_loss            per directed link: port loss ratio L (dropped / arrived packets)
//   queue_occupancy      per queue that carried traffic (u > 0): mean occupancy / buffer size
//                        (occupancy is mean sojourn x bandwidth, so it can exceed 1)
//   path_delay           per path with delivered packets: mean delay, s (not scale-free; for context)
//   path_delay_norm      per path with delivered packets: mean delay / sum over hops of
//                        (mean packet size / link capacity)  (>= ~1; 1 = no queueing)
//   path_jitter_cv       per path with delivered packets: sqrt(jitter) / mean delay (coefficient of
//                        variation; jitter is the delay variance)
//   path_loss            per path: dropped / generated packets
//   path_bandwidth       per path: offered traffic (sum of the pair's flows' EqLambda) / mean link
//                        capacity of the network
//   path_length          per path: hops / network diameter (hops)
//   node_degree          per node: out-degree / mean out-degree
// A "path" is an ordered pair src != dst that carries traffic (at least one flow, or generated
// packets in the results). Paths whose packets were all dropped (or whose delay record is the
// empty -1 record) have no delay: they add to path_loss, path_bandwidth and path_length only, and
// are counted in IndicatorSet::undelivered_paths. Samples without results add only the
// topology/traffic indicators (path_bandwidth, path_length, node_degree).
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::gen {

// The indicators, in report order.
enum class Indicator : int {
  LinkUtilization = 0,
  LinkLoss,
  QueueOccupancy,
  PathDelay,
  PathDelayNorm,
  PathJitterCv,
  PathLoss,
  PathBandwidth,
  PathLength,
  NodeDegree,
};
inline constexpr int kNumIndicators = 10;

enum class Scope : std::uint8_t { Link, Queue, Path, Node };

struct IndicatorInfo {
  Indicator id;
  std::string_view name;         // snake_case key used in CSV/JSON ("path_delay_norm")
  std::string_view title;        // human title ("Path delay / transmission time")
  std::string_view unit;         // "1" for ratios, "s" for seconds
  Scope scope;
  bool log_scale;                // plot on a log x axis (positive values spread over decades)
  bool scale_free;               // false only for path_delay
  std::string_view description;  // one sentence
};

// The fixed catalogue, indexed by static_cast<int>(Indicator).
[[nodiscard]] std::span<const IndicatorInfo> indicator_catalog() noexcept;
[[nodiscard]] const IndicatorInfo& indicator_info(Indicator id) noexcept;
[[nodiscard]] std::string_view to_string(Scope s) noexcept;

// Hop diameter of the topology's directed graph (longest shortest path over reachable pairs);
// 0 for fewer than two nodes or no links.
[[nodiscard]] int hop_diameter(const net::Topology& topo);

// Values of all indicators for many samples.
class IndicatorSet {
 public:
  IndicatorSet();

  // Appends the indicators of one sample. Throws autoopt::Error if the sample is inconsistent
  // (result vectors of the wrong length, a path through a missing link, a non-finite value).
  void add(const net::Sample& sample);
  // Appends everything of another set.
  void merge(const IndicatorSet& other);
  // Sorts every indicator's values ascending (the distributions are unchanged; the per-sample order
  // is lost). Reports and distances then skip their own sorting (they check std::is_sorted first).
  void sort_values();

  [[nodiscard]] std::span<const double> values(Indicator id) const noexcept;
  // By catalogue name; throws autoopt::Error naming the known indicators for an unknown name.
  [[nodiscard]] std::span<const double> values(std::string_view name) const;

  [[nodiscard]] std::size_t samples() const noexcept { return samples_; }
  [[nodiscard]] std::size_t samples_without_results() const noexcept { return samples_without_results_; }
  // Paths that carry traffic but delivered no packet (no delay indicators for them).
  [[nodiscard]] std::size_t undelivered_paths() const noexcept { return undelivered_paths_; }
  // Number of samples per network size (node count).
  [[nodiscard]] const std::map<int, std::size_t>& sizes() const noexcept { return sizes_; }
  // "50 nodes" / "50-300 nodes" / "no samples".
  [[nodiscard]] std::string size_label() const;

 private:
  std::vector<std::vector<double>> values_;  // indexed by Indicator
  std::size_t samples_ = 0;
  std::size_t samples_without_results_ = 0;
  std::size_t undelivered_paths_ = 0;
  std::map<int, std::size_t> sizes_;
  std::vector<double>& v(Indicator id) { return values_[static_cast<std::size_t>(id)]; }
};

// The indicators of a single sample.
[[nodiscard]] IndicatorSet sample_indicators(const net::Sample& sample);

struct CollectOptions {
  std::size_t max_samples = 0;  // 0 = all; otherwise the first max_samples in the dataset's order
  int min_nodes = 0;
  int max_nodes = INT_MAX;
  // Called after each sample with (done, total); total is the number the dataset will visit
  // (capped by max_samples), 0 if unknown.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Reads any dataset (GNNet folder, HDF5 store or .h5 shard; see io::detect_dataset), one sample
// in memory at a time. Throws autoopt::Error for a path that is not a dataset.
[[nodiscard]] IndicatorSet collect_indicators(const std::filesystem::path& dataset,
                                              const CollectOptions& options = {});
[[nodiscard]] IndicatorSet collect_indicators(std::span<const net::Sample> samples,
                                              const CollectOptions& options = {});

}  // namespace autoopt::gen
