// RouteNet-Fermi training loop, inference helpers and checkpoints.
#include "model/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "mp_ops_torch.hpp"
#include "net/error.hpp"

namespace autoopt::model {
namespace {

constexpr std::size_t kEvalChunk = 16;  // samples per forward pass outside training

std::string sample_name(std::span<const net::Sample> samples, std::size_t i) {
  return "sample " + std::to_string(i) + " (id " + std::to_string(samples[i].id) + ")";
}

// Labels for training/evaluation: has_labels(), or a link-path sample with an (empty) Results, which
// featurize() also labels (its unmeasured delays are masked).
bool labelled(const net::Sample& s) { return has_labels(s) || s.results.has_value(); }

std::string no_labels(std::span<const net::Sample> samples, std::size_t i, const char* what) {
  return std::string(what) + ": " + sample_name(samples, i) +
         (is_link_path_sample(samples[i])
              ? " has no labels (no flow of its link paths has a measured delay)"
              : " has no results (delay/jitter/loss labels); it needs simulated samples");
}

SampleTensors featurize_checked(std::span<const net::Sample> samples, std::size_t i,
                                bool need_labels, const char* what) {
  if (need_labels && !labelled(samples[i])) throw Error(no_labels(samples, i, what));
  try {
    return featurize(samples[i], {.dtype = at::kFloat});
  } catch (const Error& e) {
    throw Error(std::string(what) + ": " + sample_name(samples, i) + ": " + e.what());
  }
}

std::vector<double> to_doubles(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kCPU).to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("checkpoint: cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error("checkpoint: cannot write " + p.string());
}

}  // namespace

Objective training_objective(const RouteNetOutput& out, const at::Tensor& labels, const RouteNetConfig& c,
                             const FitOptions& o) {
  const at::Tensor y_delay = labels.select(1, label_col::delay);
  const at::Tensor y_jitter = labels.select(1, label_col::jitter);
  const at::Tensor y_loss_raw = labels.select(1, label_col::loss);
  const at::Tensor y_loss = y_loss_raw.clamp(0.0, 1.0);
  const at::Tensor dmask = (y_delay > 0).to(out.delay.scalar_type());
  const at::Tensor safe_delay = at::where(y_delay > 0, y_delay, at::ones_like(y_delay));
  Objective r;
  const at::Tensor dcount = dmask.sum().clamp_min(1.0);
  r.delay_mape = ((out.delay - y_delay).abs() / safe_delay * dmask).sum() / dcount;
  switch (o.delay_loss) {
    case DelayLoss::mape:
      r.delay = r.delay_mape;
      break;
    case DelayLoss::log_mse:
      r.delay = ((at::log(out.delay.clamp_min(delay_log_floor)) - at::log(safe_delay)).pow(2) * dmask).sum() / dcount;
      break;
    default:
      throw Error("training objective: unknown delay_loss " + std::to_string(static_cast<int>(o.delay_loss)));
  }
  const at::Tensor jmask = (y_jitter > 0).to(out.delay.scalar_type());
  const at::Tensor safe_jitter = at::where(y_jitter > 0, y_jitter, at::ones_like(y_jitter));
  at::Tensor per_path;
  switch (o.jitter_loss) {
    case JitterLoss::mape:
      per_path = (out.jitter_var - safe_jitter).abs() / safe_jitter;
      break;
    case JitterLoss::std_mape: {
      const at::Tensor ys = at::sqrt(safe_jitter);
      // sqrt has an infinite derivative at 0: keep the variance off 0 (paths without hops).
      per_path = (at::sqrt(out.jitter_var.clamp_min(1e-30)) - ys).abs() / ys;
      break;
    }
    case JitterLoss::log_mse:
      per_path = (out.jitter_z - (at::log(safe_jitter) - c.jitter_log_mean) / c.jitter_log_std).pow(2);
      break;
    default:
      throw Error("training objective: unknown jitter_loss " + std::to_string(static_cast<int>(o.jitter_loss)));
  }
  r.jitter = (per_path * jmask).sum() / jmask.sum().clamp_min(1.0);
  // Drop ratio over the paths that have one (link-path samples: -1, not measured).
  const at::Tensor lmask = (y_loss_raw >= 0).to(out.delay.scalar_type());
  const at::Tensor bce = at::binary_cross_entropy_with_logits(out.loss_logit, y_loss, {}, {}, at::Reduction::None);
  r.loss_bce = (bce * lmask).sum() / lmask.sum().clamp_min(1.0);
  r.total = r.delay + o.jitter_weight * r.jitter + o.loss_weight * r.loss_bce;
  return r;
}

DelayLoss parse_delay_loss(std::string_view name) {
  if (name == "mape") return DelayLoss::mape;
  if (name == "log_mse") return DelayLoss::log_mse;
  throw Error("delay loss: expected 'mape' or 'log_mse', got '" + std::string(name) + "'");
}

std::string_view delay_loss_name(DelayLoss l) noexcept {
  return l == DelayLoss::log_mse ? "log_mse" : "mape";
}

FitOptions with_epochs(const FitOptions& fit, int epochs) {
  FitOptions f = fit;
  f.epochs = epochs;
  if (fit.mape_epochs > 0 && fit.epochs > 0) {
    const long scaled = std::lround(static_cast<double>(fit.mape_epochs) * epochs / fit.epochs);
    f.mape_epochs = static_cast<int>(std::clamp<long>(scaled, 1, std::max(epochs, 1)));
  } else {
    f.mape_epochs = 0;
  }
  return f;
}

FitOptions with_min_steps(const FitOptions& fit, std::size_t n, std::size_t min_steps) {
  if (min_steps == 0 || n == 0 || fit.batch_size < 1 || fit.epochs < 1) return fit;
  const auto b = static_cast<std::size_t>(fit.batch_size);
  const std::size_t per_epoch = (n + b - 1) / b;
  const std::size_t need = (min_steps + per_epoch - 1) / per_epoch;
  if (need <= static_cast<std::size_t>(fit.epochs)) return fit;
  const int e = static_cast<int>(std::min<std::size_t>(need, 1000000));
  FitOptions out = with_epochs(fit, e);
  out.patience = static_cast<int>(std::ceil(static_cast<double>(fit.patience) * e / fit.epochs));
  return out;
}

LrSchedule parse_lr_schedule(std::string_view name) {
  if (name == "constant") return LrSchedule::constant;
  if (name == "cosine") return LrSchedule::cosine;
  throw Error("lr schedule: expected 'constant' or 'cosine', got '" + std::string(name) + "'");
}

std::string_view lr_schedule_name(LrSchedule s) noexcept {
  return s == LrSchedule::cosine ? "cosine" : "constant";
}

double scheduled_lr(double lr, LrSchedule schedule, int epoch, int epochs) noexcept {
  if (schedule != LrSchedule::cosine || epochs <= 1) return lr;
  const double t = static_cast<double>(std::clamp(epoch, 1, epochs) - 1) / static_cast<double>(epochs - 1);
  return lr * (lr_cosine_floor + (1.0 - lr_cosine_floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * t)));
}

OccupancyScale parse_occupancy_scale(std::string_view name) {
  if (name == "auto") return OccupancyScale::automatic;
  if (name == "packet") return OccupancyScale::packet;
  if (name == "labels") return OccupancyScale::labels;
  throw Error("occupancy scale: expected 'auto', 'packet' or 'labels', got '" + std::string(name) + "'");
}

std::string_view occupancy_scale_name(OccupancyScale s) noexcept {
  switch (s) {
    case OccupancyScale::packet: return "packet";
    case OccupancyScale::labels: return "labels";
    default: return "auto";
  }
}

double label_occupancy_scale(const SampleTensors& t) {
  if (!t.has_labels() || t.num_paths() == 0) return 0.0;
  const at::Tensor cap = t.link_x.select(1, link_col::capacity).to(at::kDouble);
  const at::Tensor inv = 1.0 / cap.index_select(0, t.path_to_link);
  const at::Tensor inv_sum = at::zeros({t.num_paths()}, inv.options()).index_add_(0, t.hop_path, inv);
  const at::Tensor pkt = t.path_x.select(1, path_col::pkt_size).to(at::kDouble);
  const at::Tensor y = t.labels.select(1, label_col::delay).to(at::kDouble);
  const at::Tensor ok = (y > 0) & (inv_sum > 0);
  const at::Tensor occ = ((y - pkt * inv_sum).clamp_min(0.0) / inv_sum.clamp_min(1e-300)).masked_select(ok);
  std::vector<double> pos;
  const at::Tensor c = occ.contiguous();
  for (std::int64_t i = 0; i < c.numel(); ++i) {
    const double v = c.data_ptr<double>()[i];
    if (v > 0 && std::isfinite(v)) pos.push_back(v);
  }
  if (pos.empty()) return 0.0;
  std::sort(pos.begin(), pos.end());
  const std::size_t n = pos.size();
  return n % 2 == 1 ? pos[n / 2] : 0.5 * (pos[n / 2 - 1] + pos[n / 2]);
}

ComputeDevice parse_device(std::string_view name) {
  if (name == "cpu") return ComputeDevice::cpu;
  if (name == "cuda") return ComputeDevice::cuda;
  throw Error("device: expected 'cpu' or 'cuda', got '" + std::string(name) + "'");
}

std::string_view device_name(ComputeDevice d) noexcept {
  return d == ComputeDevice::cuda ? "cuda" : "cpu";
}

at::Device resolve_device(ComputeDevice d) {
  if (d == ComputeDevice::cpu) return at::Device(at::kCPU);
  if (!torch::cuda::is_available()) {
    // Tell a CPU-only libtorch apart from a machine without a visible GPU.
    if (!at::hasCUDA()) {
      throw Error(
          "device cuda: the libtorch this program is linked with has no CUDA support (a CPU-only "
          "build); use --device cpu, or rebuild against a CUDA libtorch (see tests/device/README.md)");
    }
    throw Error("device cuda: libtorch has CUDA support but sees no GPU (torch::cuda::device_count() = 0; "
                "check the driver and CUDA_VISIBLE_DEVICES); use --device cpu");
  }
  return at::Device(at::kCUDA, 0);
}

Trainer::Trainer(RouteNetConfig config) : model_(config) {}

void Trainer::set_device(ComputeDevice d) {
  const at::Device dev = resolve_device(d);
  model_->to(dev);
  device_ = d;
}

template <class Fn>
void Trainer::run_chunks(std::span<const net::Sample> samples, bool need_labels, const char* what,
                         Fn&& fn) {
  const at::Device dev = resolve_device(device_);
  const c10::InferenceMode inference;
  model_->eval();
  for (std::size_t first = 0; first < samples.size(); first += kEvalChunk) {
    const std::size_t n = std::min(kEvalChunk, samples.size() - first);
    std::vector<SampleTensors> parts;
    parts.reserve(n);
    for (std::size_t i = first; i < first + n; ++i) {
      parts.push_back(featurize_checked(samples, i, need_labels, what));
      if (!need_labels) parts.back().labels = at::Tensor();  // allows mixing simulated and not
    }
    ModelInput in = make_input(batch(parts), norm_);
    if (!dev.is_cpu()) in = in.to(dev);
    const RouteNetOutput out = model_->forward(in);
    fn(in, out, first);
  }
}

double effective_weight_decay(const FitOptions& fit, std::size_t n) noexcept {
  if (fit.weight_decay_reference > 0.0 && n > 0) return fit.weight_decay * fit.weight_decay_reference / static_cast<double>(n);
  return fit.weight_decay;
}

FitReport Trainer::fit(std::span<const net::Sample> train, std::span<const net::Sample> val,
                       const FitOptions& o) {
  if (train.empty()) throw Error("Trainer::fit: no training samples");
  if (o.epochs < 1) throw Error("Trainer::fit: epochs must be >= 1, got " + std::to_string(o.epochs));
  if (o.batch_size < 1)
    throw Error("Trainer::fit: batch_size must be >= 1, got " + std::to_string(o.batch_size));
  if (!(o.lr > 0.0)) throw Error("Trainer::fit: lr must be positive");
  if (!(o.weight_decay >= 0.0) || !std::isfinite(o.weight_decay))
    throw Error("Trainer::fit: weight_decay must be a finite number >= 0, got " + std::to_string(o.weight_decay));
  if (!(o.weight_decay_reference >= 0.0) || !std::isfinite(o.weight_decay_reference))
    throw Error("Trainer::fit: weight_decay_reference must be a finite number >= 0, got " +
                std::to_string(o.weight_decay_reference));
  if (!(o.jitter_weight >= 0.0) || !std::isfinite(o.jitter_weight))
    throw Error("Trainer::fit: jitter_weight must be a finite number >= 0");
  if (o.jitter_loss != JitterLoss::mape && o.jitter_loss != JitterLoss::std_mape &&
      o.jitter_loss != JitterLoss::log_mse)
    throw Error("Trainer::fit: jitter_loss is not one of mape, std_mape, log_mse");
  if (o.delay_loss != DelayLoss::mape && o.delay_loss != DelayLoss::log_mse)
    throw Error("Trainer::fit: delay_loss is not one of mape, log_mse");
  if (o.patience < 1)
    throw Error("Trainer::fit: patience must be >= 1, got " + std::to_string(o.patience));
  if (o.lr_schedule != LrSchedule::constant && o.lr_schedule != LrSchedule::cosine)
    throw Error("Trainer::fit: lr_schedule is not one of constant, cosine");
  if (o.mape_epochs < 0 || o.mape_epochs > o.epochs)
    throw Error("Trainer::fit: mape_epochs must be in [0, epochs = " + std::to_string(o.epochs) + "], got " +
                std::to_string(o.mape_epochs));
  if (o.occupancy_scale != OccupancyScale::automatic && o.occupancy_scale != OccupancyScale::packet &&
      o.occupancy_scale != OccupancyScale::labels)
    throw Error("Trainer::fit: occupancy_scale is not one of auto, packet, labels");
  const at::Device dev = [&] {
    try {
      return resolve_device(o.device);
    } catch (const Error& e) {
      throw Error(std::string("Trainer::fit: ") + e.what());
    }
  }();

  std::vector<SampleTensors> raw;
  raw.reserve(train.size());
  for (std::size_t i = 0; i < train.size(); ++i)
    raw.push_back(featurize_checked(train, i, true, "Trainer::fit (training)"));
  for (std::size_t i = 0; i < val.size(); ++i)
    if (!labelled(val[i])) throw Error(no_labels(val, i, "Trainer::fit (validation)"));

  // Normaliser and head scales from the training data.
  norm_ = Normalizer::fit(raw);
  const SampleTensors all = batch(raw);
  double occ_scale = all.path_x.select(1, path_col::pkt_size).mean().item<double>();
  if (!(occ_scale > 0.0) || !std::isfinite(occ_scale)) occ_scale = 1000.0;
  OccupancyScale occ_rule = o.occupancy_scale;
  if (occ_rule == OccupancyScale::automatic) {
    const bool all_link_path = std::all_of(train.begin(), train.end(), [](const net::Sample& s) {
      return is_link_path_sample(s);
    });
    occ_rule = all_link_path ? OccupancyScale::labels : OccupancyScale::packet;
  }
  if (occ_rule == OccupancyScale::labels) {
    const double from_labels = label_occupancy_scale(all);
    if (from_labels > 0.0 && std::isfinite(from_labels)) {
      occ_scale = from_labels;
    } else {
      occ_rule = OccupancyScale::packet;  // no path implies a positive occupancy
    }
  }
  const at::Tensor jit = all.labels.select(1, label_col::jitter).to(at::kDouble);
  const at::Tensor jpos = jit.masked_select(jit > 0);
  double jmean = 0.0, jstd = 1.0;
  if (jpos.numel() > 0) {
    const at::Tensor lj = at::log(jpos);
    jmean = lj.mean().item<double>();
    if (jpos.numel() > 1) jstd = std::max(lj.std(/*unbiased=*/false).item<double>(), 1e-3);
  }

  // Fresh model from the seed.
  RouteNetConfig cfg = model_->config();
  cfg.occupancy_scale = occ_scale;
  cfg.jitter_log_mean = jmean;
  cfg.jitter_log_std = jstd;
  torch::manual_seed(o.seed);
  model_ = RouteNet(cfg);  // initialised on the CPU (same weights whatever the device)
  model_->to(dev);
  device_ = o.device;
  // Inputs of the batches are built on the CPU and moved once per step.
  const auto on_device = [&](ModelInput in) { return dev.is_cpu() ? in : in.to(dev); };

  // Adam, or AdamW when a weight decay is asked for (with 0 the two differ only in rounding, and plain
  // Adam keeps earlier models reproducible bit for bit).
  const double decay = effective_weight_decay(o, train.size());
  std::unique_ptr<torch::optim::Optimizer> opt_owner;
  if (decay > 0.0) {
    opt_owner = std::make_unique<torch::optim::AdamW>(model_->parameters(),
                                                      torch::optim::AdamWOptions(o.lr).weight_decay(decay));
  } else {
    opt_owner = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(o.lr));
  }
  torch::optim::Optimizer& opt = *opt_owner;
  std::mt19937_64 rng(o.seed);
  std::vector<std::size_t> order(train.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;

  const auto snapshot = [&] {
    std::vector<at::Tensor> s;
    for (const auto& p : model_->parameters()) s.push_back(p.detach().clone());
    return s;
  };
  std::vector<at::Tensor> best = snapshot();
  FitReport report;
  report.best_val_delay_mape = std::numeric_limits<double>::infinity();
  report.occupancy_scale = occ_rule;
  report.occupancy_scale_bits = occ_scale;
  report.weight_decay = decay;
  int since_best = 0;
  const int mape_from = o.epochs - o.mape_epochs + 1;  // first epoch of the MAPE phase
  FitOptions step_options = o;
  const auto restore_best = [&] {
    torch::NoGradGuard no_grad;
    auto params = model_->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best[i]);
  };

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    step_options.delay_loss = (o.mape_epochs > 0 && epoch >= mape_from) ? DelayLoss::mape : o.delay_loss;
    const double lr_now = scheduled_lr(o.lr, o.lr_schedule, epoch, o.epochs);
    for (auto& group : opt.param_groups()) group.options().set_lr(lr_now);
    // Fisher-Yates with our own draws, so the order does not depend on the library.
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(rng() % i);
      std::swap(order[i - 1], order[j]);
    }
    model_->train();
    double loss_sum = 0.0, mape_sum = 0.0, jitter_sum = 0.0;
    int steps = 0;
    for (std::size_t b = 0; b < order.size(); b += static_cast<std::size_t>(o.batch_size)) {
      std::vector<SampleTensors> parts;
      for (std::size_t k = b; k < std::min(order.size(), b + static_cast<std::size_t>(o.batch_size)); ++k)
        parts.push_back(raw[order[k]]);
      const ModelInput in = on_device(make_input(batch(parts), norm_));
      opt.zero_grad();
      const RouteNetOutput out = model_->forward(in);
      const Objective obj = training_objective(out, in.x.labels, model_->config(), step_options);
      obj.total.backward();
      if (o.grad_clip > 0.0) torch::nn::utils::clip_grad_norm_(model_->parameters(), o.grad_clip);
      opt.step();
      loss_sum += obj.total.item<double>();
      mape_sum += obj.delay_mape.item<double>();
      jitter_sum += obj.jitter.item<double>();
      ++steps;
    }
    EpochLog log;
    log.epoch = epoch;
    log.train_loss = loss_sum / steps;
    log.train_delay_mape = mape_sum / steps;
    log.train_jitter = jitter_sum / steps;
    const Metrics vm = val.empty() ? evaluate(train) : evaluate(val);
    log.val_delay_mape = vm.delay_mape;
    log.val_jitter_mape = vm.jitter_mape;
    log.lr = lr_now;
    log.delay_loss = step_options.delay_loss;
    report.epochs.push_back(log);
    if (log.val_delay_mape < report.best_val_delay_mape) {
      report.best_val_delay_mape = log.val_delay_mape;
      report.best_epoch = epoch;
      best = snapshot();
      since_best = 0;
    } else if (++since_best >= o.patience) {
      if (o.mape_epochs == 0 || epoch >= mape_from) break;
      // The first phase has stopped improving: the MAPE phase starts now, from the best weights.
      restore_best();
      since_best = 0;
      epoch = mape_from - 1;
    }
  }
  restore_best();
  model_->eval();
  return report;
}

std::vector<PathPredictions> Trainer::predict(std::span<const net::Sample> samples) {
  std::vector<PathPredictions> result(samples.size());
  run_chunks(samples, false, "Trainer::predict",
             [&](const ModelInput& in, const RouteNetOutput& out, std::size_t first) {
               const auto delay = to_doubles(out.delay);
               const auto jitter = to_doubles(out.jitter(model_->config()));
               const auto loss = to_doubles(out.loss());
               const auto owner = to_doubles(in.x.path_sample);
               for (std::size_t p = 0; p < delay.size(); ++p) {
                 PathPredictions& r = result[first + static_cast<std::size_t>(owner[p])];
                 r.delay.push_back(delay[p]);
                 r.jitter.push_back(jitter[p]);
                 r.loss.push_back(loss[p]);
               }
             });
  return result;
}

Metrics Trainer::evaluate(std::span<const net::Sample> samples) {
  Metrics m;
  double dsum = 0.0, jsum = 0.0, lsum = 0.0;
  std::int64_t jn = 0;
  run_chunks(samples, true, "Trainer::evaluate",
             [&](const ModelInput& in, const RouteNetOutput& out, std::size_t) {
               const auto delay = to_doubles(out.delay);
               const auto jitter = to_doubles(out.jitter(model_->config()));
               const auto loss = to_doubles(out.loss());
               const auto y = to_doubles(in.x.labels.contiguous().view({-1}));
               const auto cols = static_cast<std::size_t>(label_col::count);
               for (std::size_t p = 0; p < delay.size(); ++p) {
                 const double yd = y[p * cols + label_col::delay];
                 const double yj = y[p * cols + label_col::jitter];
                 const double yl = y[p * cols + label_col::loss];
                 if (yd > 0) {
                   dsum += std::abs(delay[p] - yd) / yd;
                   ++m.delay_paths;
                 }
                 if (yj > 0) {
                   jsum += std::abs(jitter[p] - yj) / yj;
                   ++jn;
                 }
                 if (yl >= 0) {
                   lsum += std::abs(loss[p] - yl);
                   ++m.loss_paths;
                 }
                 ++m.paths;
               }
             });
  if (m.delay_paths > 0) m.delay_mape = dsum / static_cast<double>(m.delay_paths);
  if (jn > 0) m.jitter_mape = jsum / static_cast<double>(jn);
  if (m.loss_paths > 0) m.loss_mae = lsum / static_cast<double>(m.loss_paths);
  return m;
}

std::vector<double> Trainer::per_sample_loss(std::span<const net::Sample> samples) {
  std::vector<double> sum(samples.size(), 0.0), count(samples.size(), 0.0);
  run_chunks(samples, true, "Trainer::per_sample_loss",
             [&](const ModelInput& in, const RouteNetOutput& out, std::size_t first) {
               const auto delay = to_doubles(out.delay);
               const auto y = to_doubles(in.x.labels.select(1, label_col::delay));
               const auto owner = to_doubles(in.x.path_sample);
               for (std::size_t p = 0; p < delay.size(); ++p) {
                 if (!(y[p] > 0)) continue;
                 const std::size_t s = first + static_cast<std::size_t>(owner[p]);
                 sum[s] += std::abs(delay[p] - y[p]) / y[p];
                 count[s] += 1.0;
               }
             });
  for (std::size_t s = 0; s < sum.size(); ++s) sum[s] = count[s] > 0 ? sum[s] / count[s] : 0.0;
  return sum;
}

at::Tensor Trainer::embed(std::span<const net::Sample> samples) {
  std::vector<at::Tensor> rows;
  run_chunks(samples, false, "Trainer::embed",
             [&](const ModelInput& in, const RouteNetOutput& out, std::size_t) {
               const std::int64_t S = in.x.num_samples;
               const auto mean = [S](const at::Tensor& state, const at::Tensor& owner) {
                 const at::Tensor sum = kernels::segment_sum(state, owner, S);
                 const at::Tensor n = kernels::segment_sum(
                     at::ones({state.size(0), 1}, state.options()), owner, S);
                 return sum / n.clamp_min(1.0);
               };
               rows.push_back(at::cat({mean(out.link_state, in.x.link_sample),
                                       mean(out.queue_state, in.x.queue_sample),
                                       mean(out.path_state, in.x.path_sample)},
                                      1)
                                  .to(at::kFloat)
                                  .to(at::kCPU));
             });
  const auto& c = model_->config();
  if (rows.empty()) return at::zeros({0, c.link_dim + c.queue_dim + c.path_dim});
  return at::cat(rows);
}

void Trainer::save(const std::filesystem::path& dir) const {
  namespace fs = std::filesystem;
  const fs::path target = fs::absolute(dir);
  const std::string tag = std::to_string(::getpid());
  const fs::path tmp = target.parent_path() / (target.filename().string() + ".tmp-" + tag);
  const fs::path old = target.parent_path() / (target.filename().string() + ".old-" + tag);
  try {
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    torch::save(model_, (tmp / "weights.pt").string());
    write_text(tmp / "config.txt", model_->config().to_text());
    write_text(tmp / "normalizer.txt", norm_.to_text());
    if (fs::exists(target)) {
      fs::rename(target, old);
      fs::rename(tmp, target);
      fs::remove_all(old);
    } else {
      fs::rename(tmp, target);
    }
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw Error("checkpoint: cannot write " + target.string() + ": " + e.what());
  }
}

Trainer Trainer::load(const std::filesystem::path& dir) {
  const RouteNetConfig cfg = [&] {
    try {
      return RouteNetConfig::from_text(read_text(dir / "config.txt"));
    } catch (const Error& e) {
      throw Error("checkpoint " + (dir / "config.txt").string() + ": " + e.what());
    }
  }();
  Trainer t(cfg);
  try {
    t.norm_ = Normalizer::from_text(read_text(dir / "normalizer.txt"));
  } catch (const Error& e) {
    throw Error("checkpoint " + (dir / "normalizer.txt").string() + ": " + e.what());
  }
  const auto weights = dir / "weights.pt";
  if (!std::filesystem::exists(weights)) throw Error("checkpoint: missing " + weights.string());
  try {
    torch::load(t.model_, weights.string(), at::Device(at::kCPU));
  } catch (const c10::Error& e) {
    throw Error("checkpoint " + weights.string() + ": cannot load the weights: " + e.what_without_backtrace());
  }
  t.model_->eval();
  return t;
}

}  // namespace autoopt::model
