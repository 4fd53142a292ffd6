// Training and use of a RouteNet-Fermi model on net::Samples: fit with early stopping on the
// validation delay MAPE, per-path predictions, metrics, per-sample losses (for the filter model),
// per-sample embeddings, and checkpoints (weights + config + Normalizer in one folder, written
// atomically). Seeded: on the CPU, the same seed and thread count give the same model. Runs on the CPU
// (default) or on a CUDA GPU when asked (ComputeDevice).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "model/features.hpp"
#include "model/routenet.hpp"
#include "net/sample.hpp"

namespace autoopt::model {

// Where the model and its inputs live.
enum class ComputeDevice { cpu, cuda };

// "cpu" or "cuda"; anything else throws autoopt::Error naming the accepted values.
[[nodiscard]] ComputeDevice parse_device(std::string_view name);
[[nodiscard]] std::string_view device_name(ComputeDevice d) noexcept;
// The libtorch device for `d`. Throws autoopt::Error when CUDA is asked for but the linked libtorch
// has no CUDA support or sees no GPU.
[[nodiscard]] at::Device resolve_device(ComputeDevice d);

// The jitter term of the training objective, on paths with a positive jitter label (variance y,
// prediction v = RouteNetOutput::jitter_var).
enum class JitterLoss {
  mape,       // |v - y| / y: the evaluation's jitter MAPE
  std_mape,   // |sqrt(v) - sqrt(y)| / sqrt(y): relative error of the standard deviation
  log_mse,    // (jitter_z - z(y))^2: squared error of the z-scored log variance (the old objective)
};

// The delay term of the training objective, on paths with delivered packets (delay label y > 0,
// prediction d = RouteNetOutput::delay). Validation and early stopping use the delay MAPE whatever
// the choice.
enum class DelayLoss {
  mape,     // |d - y| / y: the evaluation's delay MAPE (an under-prediction costs at most 1)
  log_mse,  // (log max(d, delay_log_floor) - log y)^2: symmetric in the ratio d / y
};
// Smallest prediction (s) the log of DelayLoss::log_mse sees (1 ps, far below any transmission time).
inline constexpr double delay_log_floor = 1e-12;
// "mape" or "log_mse"; anything else throws autoopt::Error naming the accepted values.
[[nodiscard]] DelayLoss parse_delay_loss(std::string_view name);
[[nodiscard]] std::string_view delay_loss_name(DelayLoss l) noexcept;

// How the trainer sets RouteNetConfig::occupancy_scale, the unit of the per-hop occupancy head (at
// initialisation a hop's queueing delay is about occupancy_scale / capacity).
enum class OccupancyScale {
  automatic,  // `labels` when every training sample is a link-path sample, else `packet`
  packet,     // the mean packet size of the training paths (one packet per hop)
  labels,     // label_occupancy_scale() of the training data (falls back to `packet` without one)
};
// "auto", "packet" or "labels"; anything else throws autoopt::Error naming the accepted values.
[[nodiscard]] OccupancyScale parse_occupancy_scale(std::string_view name);
[[nodiscard]] std::string_view occupancy_scale_name(OccupancyScale s) noexcept;

// The occupancy the labels imply, bits: for each path p with a delay label y_p > 0, with S_p the sum
// of 1 / capacity over its hops and b_p its mean packet size (path_col::pkt_size),
//   s_p = max(y_p - b_p * S_p, 0) / S_p   (the mean per-hop queue occupancy that explains y_p),
// and the median of the positive s_p (the mean of the two middle values for an even count). 0 when no
// path has a positive s_p (or `t` has no labels). `t` holds raw (not normalised) features.
[[nodiscard]] double label_occupancy_scale(const SampleTensors& t);

// How the learning rate moves over the epochs.
enum class LrSchedule {
  constant,  // FitOptions::lr throughout
  cosine,    // lr * (f + (1 - f) * (1 + cos(pi * (e - 1) / (epochs - 1))) / 2) at epoch e (1-based), f =
             // lr_cosine_floor: from lr at the first epoch down to f * lr at the last (steadier ends)
};
inline constexpr double lr_cosine_floor = 0.05;
// "constant" or "cosine"; anything else throws autoopt::Error naming the accepted values.
[[nodiscard]] LrSchedule parse_lr_schedule(std::string_view name);
[[nodiscard]] std::string_view lr_schedule_name(LrSchedule s) noexcept;
// The learning rate of epoch `epoch` (1-based) of `epochs` under `schedule`.
[[nodiscard]] double scheduled_lr(double lr, LrSchedule schedule, int epoch, int epochs) noexcept;

struct FitOptions {
  int epochs = 30;
  double lr = 1e-3;
  int batch_size = 4;         // samples per disjoint-graph batch (one optimiser step each)
  std::uint64_t seed = 1;     // model initialisation and batch order
  int patience = 10;          // epochs without a better validation delay MAPE before stopping
  double jitter_weight = 0.1; // weight of the jitter term (jitter_loss) in the objective
  double loss_weight = 0.1;   // weight of the drop-ratio BCE in the loss
  double grad_clip = 1.0;     // max global gradient norm; <= 0 disables clipping
  // Decoupled weight decay (AdamW): each step also shrinks every weight by lr_now * the decay, where the
  // decay is weight_decay, or with weight_decay_reference = N0 > 0, weight_decay * N0 / n on n training
  // samples (a prior of fixed strength weighs 1/n against a mean loss over n samples: the same
  // regulariser keeps ~100 samples from overfitting and leaves ~1000 almost free). 0 (the default) is
  // plain Adam. RouteNet-F on a few dozen scenarios overfits without it.
  double weight_decay = 0.0;
  double weight_decay_reference = 0.0;
  ComputeDevice device = ComputeDevice::cpu;  // where to train (the trainer keeps it afterwards)
  JitterLoss jitter_loss = JitterLoss::mape;
  DelayLoss delay_loss = DelayLoss::mape;
  OccupancyScale occupancy_scale = OccupancyScale::automatic;
  LrSchedule lr_schedule = LrSchedule::constant;
  // The last `mape_epochs` of the `epochs` train the delay term on the MAPE whatever delay_loss says
  // (log-MSE finds the scale of the delays, the MAPE phase then fits the metric the model is judged
  // on). When early stopping ends the first phase sooner, the second starts at once from the best
  // weights so far (and the schedule jumps to epoch epochs - mape_epochs + 1). 0: one phase.
  int mape_epochs = 0;
};

// The decay a fit on `n` training samples uses (FitOptions::weight_decay, scaled by
// weight_decay_reference / n when that is positive).
[[nodiscard]] double effective_weight_decay(const FitOptions& fit, std::size_t n) noexcept;

// `fit` with `epochs` epochs: mape_epochs scaled by epochs / fit.epochs (rounded, at least 1 when it
// was positive, at most `epochs`), so a shorter or longer training keeps the share of its MAPE phase.
[[nodiscard]] FitOptions with_epochs(const FitOptions& fit, int epochs);
// `fit` for `n` training samples run for at least `min_steps` optimiser steps: when
// ceil(min_steps / ceil(n / batch_size)) epochs are more than fit.epochs, with_epochs of that many
// (at most 1,000,000) with the patience scaled alike (rounded up); otherwise `fit` unchanged.
[[nodiscard]] FitOptions with_min_steps(const FitOptions& fit, std::size_t n, std::size_t min_steps);

// The training objective on one batch (scalar tensors): the delay term (options.delay_loss) over paths
// with delivered packets (delay label > 0) + jitter_weight * the jitter term (options.jitter_loss) over paths with a positive
// jitter label + loss_weight * BCE-with-logits of the drop ratio over paths with a drop-ratio label
// (>= 0). A term without any labelled path in the batch is 0 (link-path samples measure only the
// delay: their jitter and drop-ratio labels are -1, so they train the delay alone). `labels` is
// [P, label_col::count] (SampleTensors::labels), on the outputs' device. `config` gives the log scale
// of JitterLoss::log_mse.
struct Objective {
  at::Tensor total;
  at::Tensor delay_mape;  // always the delay MAPE (logged as EpochLog::train_delay_mape)
  at::Tensor delay;       // the delay term in `total` (options.delay_loss; delay_mape for mape)
  at::Tensor jitter;  // the unweighted jitter term
  at::Tensor loss_bce;
};
[[nodiscard]] Objective training_objective(const RouteNetOutput& out, const at::Tensor& labels,
                                           const RouteNetConfig& config, const FitOptions& options);

struct EpochLog {
  int epoch = 0;              // 1-based
  double train_loss = 0.0;    // mean training objective over the epoch's batches
  double train_delay_mape = 0.0;
  double val_delay_mape = 0.0;  // the training MAPE when there are no validation samples
  double train_jitter = 0.0;      // mean unweighted jitter term (FitOptions::jitter_loss)
  double val_jitter_mape = 0.0;   // jitter MAPE on the same samples as val_delay_mape
  double lr = 0.0;                // the learning rate of the epoch
  DelayLoss delay_loss = DelayLoss::mape;  // the delay term the epoch trained on
};

struct FitReport {
  std::vector<EpochLog> epochs;
  int best_epoch = 0;
  double best_val_delay_mape = 0.0;
  OccupancyScale occupancy_scale = OccupancyScale::packet;  // the rule used (never automatic)
  double weight_decay = 0.0;  // the decay used (effective_weight_decay of the options and the training set)
  double occupancy_scale_bits = 0.0;                        // RouteNetConfig::occupancy_scale set
};

// Per-path predictions of one sample, in the path order of featurize().
struct PathPredictions {
  std::vector<double> delay;   // s
  std::vector<double> jitter;  // delay variance, s^2
  std::vector<double> loss;    // drop ratio
};

struct Metrics {
  double delay_mape = 0.0;   // mean |pred - y| / y over paths with delivered packets (y > 0)
  double jitter_mape = 0.0;  // likewise over paths with a positive jitter label
  double loss_mae = 0.0;     // mean |pred - y| of the drop ratio over paths with a drop-ratio label
  std::int64_t delay_paths = 0;
  std::int64_t loss_paths = 0;  // paths with a drop-ratio label (>= 0; none for link-path samples)
  std::int64_t paths = 0;
};

class Trainer {
 public:
  explicit Trainer(RouteNetConfig config = {});

  // Fits the Normalizer and the head scales on `train` (occupancy scale: options.occupancy_scale),
  // re-initialises the model from options.seed, trains with Adam and keeps the weights of the epoch
  // with the best validation delay MAPE. Training and validation samples need labels: has_labels()
  // (simulated results, or measured delays of link-path samples; a link-path sample with an empty
  // Results is accepted too). Throws autoopt::Error when `train` is empty, a sample has no labels,
  // or an option is out of range.
  FitReport fit(std::span<const net::Sample> train, std::span<const net::Sample> val,
                const FitOptions& options);

  // Moves the model to `d` (resolve_device's errors); later fit/predict/evaluate/... run there.
  // Checkpoints are device-independent: load() gives a CPU model.
  void set_device(ComputeDevice d);
  [[nodiscard]] ComputeDevice device() const noexcept { return device_; }

  [[nodiscard]] std::vector<PathPredictions> predict(std::span<const net::Sample> samples);
  // Samples must have labels (as for fit).
  [[nodiscard]] Metrics evaluate(std::span<const net::Sample> samples);
  // Delay MAPE of each sample (0 for a sample without delivered packets). Samples must have labels.
  [[nodiscard]] std::vector<double> per_sample_loss(std::span<const net::Sample> samples);
  // [S, link_dim + queue_dim + path_dim]: per sample, the mean final link state, the mean queue
  // state and the mean path state, concatenated (float32, CPU).
  [[nodiscard]] at::Tensor embed(std::span<const net::Sample> samples);

  // Writes `dir`/weights.pt, `dir`/config.txt, `dir`/normalizer.txt into a temporary sibling folder,
  // then renames it over `dir` (an existing `dir` is replaced).
  void save(const std::filesystem::path& dir) const;
  // Reads what save() wrote; throws autoopt::Error naming the missing or bad file.
  [[nodiscard]] static Trainer load(const std::filesystem::path& dir);

  [[nodiscard]] RouteNet& model() noexcept { return model_; }
  [[nodiscard]] const RouteNetConfig& config() const noexcept { return model_->config(); }
  [[nodiscard]] const Normalizer& normalizer() const noexcept { return norm_; }

 private:
  // Runs the model (eval mode, inference mode) over `samples` in chunks; calls fn(input, output, first)
  // for each chunk, `first` being the index of the chunk's first sample.
  template <class Fn>
  void run_chunks(std::span<const net::Sample> samples, bool need_labels, const char* what, Fn&& fn);

  RouteNet model_;
  Normalizer norm_;
  ComputeDevice device_ = ComputeDevice::cpu;
};

}  // namespace autoopt::model
