// The RouteNet-Fermi network in libtorch: MLP embeddings of the (normalised) path, link and queue
// features, T message-passing iterations (a GRU along each path over its hops' queue and link states,
// a GRUCell per queue over the path states arriving at it, a GRUCell per link over its queues), and
// three heads: per-hop queue occupancy -> path delay (queueing + transmission time), per-hop delay
// standard deviation -> path delay variance (jitter), and drop ratio. See docs/model.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/features.hpp"

namespace autoopt::model {

// Hyper-parameters and the output scales of the heads. Serialised as text with the checkpoint.
struct RouteNetConfig {
  std::int64_t path_dim = 32;
  std::int64_t link_dim = 32;
  std::int64_t queue_dim = 32;
  std::int64_t iterations = 8;
  std::int64_t readout_hidden = 16;  // width of the hidden layers of the three heads
  // Occupancy head output unit, bits: predicted occupancy = head * occupancy_scale. The trainer sets
  // it to the mean packet size of the training paths.
  double occupancy_scale = 1000.0;
  // Log-scale of the jitter labels (mean and standard deviation of log(variance) over the training
  // paths; the trainer fits both). The jitter readout does not use them: they only define
  // RouteNetOutput::jitter_z, the z-scored log variance, for log-scale objectives.
  double jitter_log_mean = 0.0;
  double jitter_log_std = 1.0;
  // false: the occupancy head is linear (any sign; the delay can fall below the transmission time);
  // true: softplus(head) * occupancy_scale, so every hop's occupancy and every delay stays positive
  // (what a log-delay objective needs: a negative prediction has no gradient through its clamp).
  // Written to the text form only when true, so older checkpoints (without the key) load as linear.
  bool positive_occupancy = false;
  // true: the link embedding reads the link capacity (its z-scored column); false: that column is
  // zeroed before the embedding, so the link state starts from the load and the scheduling policy
  // alone, as in the public RouteNet-Fermi. The capacity still scales the delay readout
  // (occupancy / capacity). Larger networks have larger links (GNNet 2022: at most 250 kbit/s at 50
  // nodes, up to 2.5 Mbit/s at 300), so a capacity input is far outside its training range there.
  // Written to the text form only when false; older checkpoints (without the key) load as true.
  bool capacity_input = false;
  // What a queue receives from the paths that cross it: true (the default), the sum of their arrival
  // states weighted by each path's traffic / the link's capacity (ModelInput::hop_load), so the
  // message grows with the queue's load rather than with the number of flows, which is far larger in
  // big networks; false, the plain sum (the public RouteNet-Fermi). Written to the text form only
  // when true; older checkpoints (without the key) load as plain sums.
  bool load_weighted_messages = true;

  // Text form: `autoopt-routenet 2`, then one `<key> <value>` line per field (numbers round-trip).
  // Format 1 (a path-level log-jitter head, same weight shapes) is refused with an error that says
  // to retrain.
  [[nodiscard]] std::string to_text() const;
  // Parses to_text()'s form (old format, unknown or missing keys, bad numbers: autoopt::Error naming
  // the line).
  [[nodiscard]] static RouteNetConfig from_text(std::string_view text);
  // Throws autoopt::Error naming the field when a dimension/iteration count is < 1 or a scale <= 0.
  void validate() const;

  friend bool operator==(const RouteNetConfig&, const RouteNetConfig&) = default;
};

// What the network reads: the normalised tensors of a (batched) sample, the raw link capacities and
// path mean packet sizes the delay readout needs, and the hops grouped by position along the path.
//
// Paths are visited in "slot order": by decreasing number of hops (ties in path order), so that the
// paths with more than p hops are the slots [0, pos_count[p]) and the path GRU at position p works on
// a prefix of the previous position's states (no padding, no gather or scatter of path states).
struct ModelInput {
  SampleTensors x;        // normalised features (Normalizer::apply), indices, labels if any
  at::Tensor capacity;    // [L] raw link capacity, bit/s
  at::Tensor pkt_size;    // [P] raw mean packet size, bits
  at::Tensor hop_load;    // [H] per hop (position order): the path's traffic / the hop link's capacity
  at::Tensor path_order;  // [P] slot -> path
  at::Tensor path_rank;   // [P] path -> slot (inverse of path_order)
  // Hops in "position order": all hops at position 0 (in slot order), then position 1, ...
  at::Tensor pos_hop;               // [H] hop index
  at::Tensor pos_path;              // [H] path of the hop (path index, not slot)
  at::Tensor pos_link;              // [H] link of the hop
  at::Tensor pos_queue;             // [H] queue of the hop
  std::vector<std::int64_t> pos_count;  // hops at each position (size = max path length); also the
                                        // number of paths longer than the position

  [[nodiscard]] at::Device device() const { return x.path_x.device(); }
  // A copy with every tensor on `device` (features keep their dtype).
  [[nodiscard]] ModelInput to(at::Device device) const;
};

// Builds the input from raw featurised tensors: normalises with `norm`, takes capacity and packet
// size from the raw columns, groups the hops by position. Throws autoopt::Error if `raw` has no paths.
// The result is on the CPU, like `raw`.
[[nodiscard]] ModelInput make_input(const SampleTensors& raw, const Normalizer& norm);

// Outputs per path (and the final states, for embeddings).
struct RouteNetOutput {
  at::Tensor delay;         // [P] mean delay, s
  at::Tensor queue_delay;   // [P] its queueing part
  at::Tensor jitter_var;    // [P] delay variance, s^2: sum over the hops of (hop delay std)^2
  at::Tensor hop_jitter_std;  // [H] per hop (position order, as ModelInput::pos_hop) delay std, s
  at::Tensor jitter_z;      // [P] (log(jitter_var) - jitter_log_mean) / jitter_log_std
  at::Tensor loss_logit;    // [P] logit of the drop ratio
  at::Tensor path_state;    // [P, path_dim]
  at::Tensor link_state;    // [L, link_dim]
  at::Tensor queue_state;   // [Q, queue_dim]

  // Delay variance, s^2 (jitter_var; `c` is not needed any more and kept for source compatibility).
  [[nodiscard]] at::Tensor jitter(const RouteNetConfig& c) const;
  // Drop ratio in [0, 1].
  [[nodiscard]] at::Tensor loss() const;
};

class RouteNetImpl : public torch::nn::Module {
 public:
  explicit RouteNetImpl(RouteNetConfig config = {});

  [[nodiscard]] RouteNetOutput forward(const ModelInput& in);

  [[nodiscard]] const RouteNetConfig& config() const noexcept { return config_; }
  // Only the output scales may change after construction (the trainer fits them on data).
  void set_scales(double occupancy_scale, double jitter_log_mean, double jitter_log_std);

  // The last Linear layer of the occupancy head (tests zero it to check the transmission-time part).
  [[nodiscard]] torch::nn::Linear occupancy_output() const { return occupancy_out_; }
  // The last Linear layer of the per-hop jitter head (its output goes through softplus).
  [[nodiscard]] torch::nn::Linear jitter_output() const { return jitter_out_; }

 private:
  RouteNetConfig config_;
  torch::nn::Sequential path_embed_{nullptr}, link_embed_{nullptr}, queue_embed_{nullptr};
  torch::nn::GRUCell path_update_{nullptr}, queue_update_{nullptr}, link_update_{nullptr};
  torch::nn::Sequential occupancy_head_{nullptr}, jitter_head_{nullptr}, loss_head_{nullptr};
  torch::nn::Linear occupancy_out_{nullptr}, jitter_out_{nullptr};
};
TORCH_MODULE(RouteNet);

}  // namespace autoopt::model
