// Model inputs of RouteNet-Fermi built from a net::Sample: per-path, per-link and per-queue feature
// matrices, the path/link/queue incidences flattened for gather_rows / segment_sum, labels when the
// sample has results, batching of several samples into one disjoint graph, and a z-score Normalizer
// that is fitted on samples and saved as text next to a model.
//
// Entities of one sample:
//   path   one per flow, pairs in row-major order (src * N + dst), flows of a pair in traffic order;
//   link   one per directed link, in Topology::links order;
//   queue  one per (link, queue of the link's source node), links in order, queues in queue order.
// A path of h links has h hops; hop j of path p uses link path_to_link[k] and, at that link, the
// queue of the flow's ToS, path_to_queue[k], with k = path_offsets[p] + j.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::model {

// Column indices of the feature matrices.
namespace path_col {
enum : std::int64_t {
  traffic = 0,     // expected generated bit rate, bit/s: packets * pkt_size
  packets,         // expected generated packets/s: EqLambda / AvgPktSize (the AvgPktsLambda of
                   // Poisson and CBR), plus one packet per ON period for ON-OFF (spec §8.3)
  pkt_size,        // mean packet size of the size distribution, bits
  eq_lambda,       // EqLambda, the nominal rate, bit/s
  td_poisson,      // time distribution one-hot: Poisson, CBR, ON-OFF, any other
  td_cbr,
  td_onoff,
  td_other,
  exp_max_factor,  // time-distribution parameters, 0 where the distribution has none
  pkts_lambda_on,
  avg_t_off,
  avg_t_on,
  length,          // number of links
  count
};
}  // namespace path_col

namespace link_col {
enum : std::int64_t {
  capacity = 0,  // bit/s
  load,          // sum of the `traffic` of the paths through the link / capacity
  policy_fifo,   // scheduling policy of the source node, one-hot
  policy_sp,
  policy_wfq,
  policy_drr,
  count
};
}  // namespace link_col

namespace queue_col {
enum : std::int64_t {
  buffer = 0,  // bits
  priority_0,  // queue index within its port, one-hot (queue 0 = highest priority under SP)
  priority_1,
  priority_2,
  weight,      // scheduling weight / sum of the node's weights (WFQ, DRR); 0 for FIFO and SP
  count
};
}  // namespace queue_col

namespace label_col {
enum : std::int64_t {
  delay = 0,  // mean delay, s (-1 when no packet was delivered)
  jitter,     // delay variance, s^2 (-1 likewise)
  loss,       // dropped / generated packets (-1 when not measured: link-path samples; masked)
  pkt_size,   // measured mean packet size: generated bit/s / generated packets/s (0 if none)
  count
};
}  // namespace label_col

// The most queues per port the queue features describe.
inline constexpr int kMaxQueues = 3;

struct ColumnInfo {
  std::string_view name;
  bool scaled;  // z-scored by the Normalizer (one-hot and ratio columns are left as they are)
};
[[nodiscard]] std::span<const ColumnInfo> path_columns() noexcept;
[[nodiscard]] std::span<const ColumnInfo> link_columns() noexcept;
[[nodiscard]] std::span<const ColumnInfo> queue_columns() noexcept;
[[nodiscard]] std::span<const ColumnInfo> label_columns() noexcept;

struct FeatureOptions {
  at::ScalarType dtype = at::kFloat;  // of the feature and label matrices (indices are int64)
};

// The tensors of one sample, or of a batch of samples as one disjoint graph. All on the CPU.
struct SampleTensors {
  at::Tensor path_x;   // [P, path_col::count]
  at::Tensor link_x;   // [L, link_col::count]
  at::Tensor queue_x;  // [Q, queue_col::count]

  // Hops (int64): entries of path p are [path_offsets[p], path_offsets[p+1]), in path order.
  at::Tensor path_offsets;   // [P + 1]
  at::Tensor hop_path;       // [H] path of each hop (segment ids onto paths)
  at::Tensor hop_position;   // [H] 0-based position of the hop along its path
  at::Tensor path_to_link;   // [H] link of each hop
  at::Tensor path_to_queue;  // [H] queue of each hop (the queue of the flow's ToS at that link)
  // Queues of link l are [link_queue_offsets[l], link_queue_offsets[l+1]), in queue order.
  at::Tensor queue_to_link;       // [Q]
  at::Tensor queue_position;      // [Q] queue index within its link
  at::Tensor link_queue_offsets;  // [L + 1]

  // Provenance (int64): which sample of the batch (0 for a single sample), and the path's pair
  // (src * N + dst of its sample) and flow index within the pair.
  at::Tensor path_sample;   // [P]
  at::Tensor link_sample;   // [L]
  at::Tensor queue_sample;  // [Q]
  at::Tensor path_pair;     // [P]
  at::Tensor path_flow;     // [P]

  at::Tensor labels;  // [P, label_col::count]; undefined when the sample has no results

  std::int64_t num_samples = 0;
  std::int64_t max_path_length = 0;

  [[nodiscard]] std::int64_t num_paths() const { return path_x.size(0); }
  [[nodiscard]] std::int64_t num_links() const { return link_x.size(0); }
  [[nodiscard]] std::int64_t num_queues() const { return queue_x.size(0); }
  [[nodiscard]] std::int64_t num_hops() const { return path_to_link.size(0); }
  [[nodiscard]] bool has_labels() const { return labels.defined(); }
};

// Builds the tensors of one sample (link-path samples: featurize_link_paths()). Throws autoopt::Error naming the pair, node or link when the
// sample cannot be described (no route for a pair with traffic, a hop without a link, a ToS without
// a queue, more than kMaxQueues queues, a non-positive bandwidth or packet size, several flows in a
// pair without per-flow results).
[[nodiscard]] SampleTensors featurize(const net::Sample& sample, const FeatureOptions& options = {});

// Link-path samples (net::Sample::link_paths non-empty: measured data such as GNNet 2023, see
// docs/gnnet2023.md). featurize() hands them to featurize_link_paths(), which builds the same tensors
// from the explicit link sequences instead of pair routing:
//   path   one per PathFlow, in link_paths.flows order (the order of predictions): traffic =
//          eq_lambda = traffic_bps, packets = packets_per_s, pkt_size = avg_pkt_size_bits, the time
//          distribution one-hot (its parameters 0: the data has none), length = links.size();
//          path_pair = first link's src * N + last link's dst, path_flow = the flow's index;
//   link, queue  as for routed samples (each link's source node; GNNet 2023 nodes are FIFO with one
//          queue); hop j of a path uses links[j] and the queue of ToS 0 at that link's source port.
// Labels, present when the sample has results or some flow has a measured delay (avg_delay >= 0):
// delay = avg_delay (s; -1 when not measured, masked by delay > 0), jitter = -1 (masked by
// jitter > 0), loss = -1 (not measured, masked by loss >= 0), pkt_size = avg_pkt_size_bits. The
// training objective and Trainer::evaluate skip the masked terms, so no weight needs changing.
// Throws autoopt::Error naming the flow or link (empty path, link index out of range, non-positive
// bandwidth, packet size or rate, a node with a queue layout the features cannot describe).
[[nodiscard]] SampleTensors featurize_link_paths(const net::Sample& sample,
                                                 const FeatureOptions& options = {});

// True for link-path samples (net::Sample::link_paths has flows).
[[nodiscard]] inline bool is_link_path_sample(const net::Sample& sample) noexcept {
  return !sample.link_paths.empty();
}

// True when the sample carries training labels: simulated results (routed samples) or, for link-path
// samples, at least one flow with a measured mean delay (avg_delay >= 0). Every stage that needs
// labels (training, the filter model's per-sample loss, influence, the expert rules' delay range)
// asks this instead of `sample.results`.
[[nodiscard]] inline bool has_labels(const net::Sample& sample) noexcept {
  if (is_link_path_sample(sample)) {
    for (const auto& f : sample.link_paths.flows)
      if (f.avg_delay >= 0.0) return true;
    return false;
  }
  return sample.results.has_value();
}

// One disjoint graph from several: features concatenated, indices shifted by the entity counts of
// the samples before, sample ids renumbered. All parts must have the same dtype and either all or
// none have labels. Throws autoopt::Error otherwise, or when `parts` is empty.
[[nodiscard]] SampleTensors batch(std::span<const SampleTensors> parts);

// Per-column z-scores of the path, link and queue features.
class Normalizer {
 public:
  struct Stat {
    std::string name;
    double mean = 0.0;
    double std = 1.0;
    friend bool operator==(const Stat&, const Stat&) = default;
  };

  // Identity (mean 0, std 1 everywhere).
  Normalizer();

  // Mean and (population) standard deviation of each scaled column over all rows of all parts;
  // unscaled columns keep 0/1, and a constant column gets std 1. Throws autoopt::Error if `parts`
  // has no rows of some entity.
  [[nodiscard]] static Normalizer fit(std::span<const SampleTensors> parts);

  // A copy of `t` whose path_x, link_x and queue_x are (x - mean) / std; indices and labels are
  // shared with `t`.
  [[nodiscard]] SampleTensors apply(const SampleTensors& t) const;

  // Text form, one line per column: `<entity> <column> <mean> <std>` after a header line
  // `autoopt-normalizer 1`; numbers round-trip exactly.
  [[nodiscard]] std::string to_text() const;
  // Parses to_text()'s form; throws autoopt::Error naming the line and what was expected.
  [[nodiscard]] static Normalizer from_text(std::string_view text);

  [[nodiscard]] const std::vector<Stat>& path() const noexcept { return path_; }
  [[nodiscard]] const std::vector<Stat>& link() const noexcept { return link_; }
  [[nodiscard]] const std::vector<Stat>& queue() const noexcept { return queue_; }

  friend bool operator==(const Normalizer&, const Normalizer&) = default;

 private:
  std::vector<Stat> path_, link_, queue_;
};

}  // namespace autoopt::model
