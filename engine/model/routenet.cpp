// RouteNet-Fermi network: input preparation (hops grouped by position), the message passing and
// the readouts. Gathers and scatters go through the autograd operators of kernels/mp_ops_torch.hpp.
#include "model/routenet.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include "mp_ops_torch.hpp"
#include "net/error.hpp"

namespace autoopt::model {
namespace {

using kernels::gather_rows;
using kernels::segment_sum;

std::string fmt(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

torch::nn::Sequential mlp2(std::int64_t in, std::int64_t out) {
  return torch::nn::Sequential(torch::nn::Linear(in, out), torch::nn::ReLU(),
                               torch::nn::Linear(out, out), torch::nn::ReLU());
}

std::vector<std::int64_t> to_vec(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU).to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

at::Tensor from_vec(const std::vector<std::int64_t>& v) {
  return at::tensor(v, at::TensorOptions().dtype(at::kLong));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config

std::string RouteNetConfig::to_text() const {
  std::string s = "autoopt-routenet 1\n";
  s += "path_dim " + std::to_string(path_dim) + "\n";
  s += "link_dim " + std::to_string(link_dim) + "\n";
  s += "queue_dim " + std::to_string(queue_dim) + "\n";
  s += "iterations " + std::to_string(iterations) + "\n";
  s += "readout_hidden " + std::to_string(readout_hidden) + "\n";
  s += "occupancy_scale " + fmt(occupancy_scale) + "\n";
  s += "jitter_log_mean " + fmt(jitter_log_mean) + "\n";
  s += "jitter_log_std " + fmt(jitter_log_std) + "\n";
  return s;
}

RouteNetConfig RouteNetConfig::from_text(std::string_view text) {
  RouteNetConfig c;
  std::map<std::string, std::int64_t*> ints{{"path_dim", &c.path_dim},
                                            {"link_dim", &c.link_dim},
                                            {"queue_dim", &c.queue_dim},
                                            {"iterations", &c.iterations},
                                            {"readout_hidden", &c.readout_hidden}};
  std::map<std::string, double*> reals{{"occupancy_scale", &c.occupancy_scale},
                                       {"jitter_log_mean", &c.jitter_log_mean},
                                       {"jitter_log_std", &c.jitter_log_std}};
  std::map<std::string, bool> seen;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "routenet config line " + std::to_string(n);
    if (n == 1) {
      if (line != "autoopt-routenet 1")
        throw Error(where + ": expected the header 'autoopt-routenet 1', got '" + line + "'");
      continue;
    }
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    if (sp == std::string::npos) throw Error(where + ": expected '<key> <value>', got '" + line + "'");
    const std::string key = line.substr(0, sp);
    const std::string val = line.substr(sp + 1);
    const char* b = val.data();
    const char* e = val.data() + val.size();
    if (auto it = ints.find(key); it != ints.end()) {
      const auto r = std::from_chars(b, e, *it->second);
      if (r.ec != std::errc{} || r.ptr != e)
        throw Error(where + ": expected an integer for " + key + ", got '" + val + "'");
    } else if (auto jt = reals.find(key); jt != reals.end()) {
      const auto r = std::from_chars(b, e, *jt->second);
      if (r.ec != std::errc{} || r.ptr != e)
        throw Error(where + ": expected a number for " + key + ", got '" + val + "'");
    } else {
      throw Error(where + ": unknown key '" + key + "'");
    }
    seen[key] = true;
  }
  if (n == 0) throw Error("routenet config: empty text, expected the header 'autoopt-routenet 1'");
  for (const auto& [k, _] : ints)
    if (!seen.count(k)) throw Error("routenet config: missing key '" + k + "'");
  for (const auto& [k, _] : reals)
    if (!seen.count(k)) throw Error("routenet config: missing key '" + k + "'");
  c.validate();
  return c;
}

void RouteNetConfig::validate() const {
  const auto pos = [](std::int64_t v, const char* name) {
    if (v < 1) throw Error(std::string("routenet config: ") + name + " must be >= 1, got " +
                           std::to_string(v));
  };
  pos(path_dim, "path_dim");
  pos(link_dim, "link_dim");
  pos(queue_dim, "queue_dim");
  pos(iterations, "iterations");
  pos(readout_hidden, "readout_hidden");
  if (!(occupancy_scale > 0.0) || !std::isfinite(occupancy_scale))
    throw Error("routenet config: occupancy_scale must be a positive number, got " +
                fmt(occupancy_scale));
  if (!(jitter_log_std > 0.0) || !std::isfinite(jitter_log_std))
    throw Error("routenet config: jitter_log_std must be a positive number, got " +
                fmt(jitter_log_std));
  if (!std::isfinite(jitter_log_mean))
    throw Error("routenet config: jitter_log_mean must be finite, got " + fmt(jitter_log_mean));
}

// ---------------------------------------------------------------------------------------------
// Input

ModelInput make_input(const SampleTensors& raw, const Normalizer& norm) {
  if (raw.num_paths() == 0) throw Error("routenet input: the sample(s) have no paths (no traffic)");
  ModelInput in;
  in.x = norm.apply(raw);
  in.capacity = raw.link_x.select(1, link_col::capacity).contiguous();
  in.pkt_size = raw.path_x.select(1, path_col::pkt_size).contiguous();

  const auto pos = to_vec(raw.hop_position);
  const auto hpath = to_vec(raw.hop_path);
  const auto hlink = to_vec(raw.path_to_link);
  const auto hqueue = to_vec(raw.path_to_queue);
  std::int64_t max_len = 0;
  for (const auto p : pos) max_len = std::max(max_len, p + 1);
  std::vector<std::vector<std::int64_t>> by_pos(static_cast<std::size_t>(max_len));
  for (std::size_t k = 0; k < pos.size(); ++k)
    by_pos[static_cast<std::size_t>(pos[k])].push_back(static_cast<std::int64_t>(k));
  std::vector<std::int64_t> hop, path, link, queue;
  hop.reserve(pos.size());
  const std::int64_t P = raw.num_paths();
  for (const auto& hops : by_pos) {
    in.pos_count.push_back(static_cast<std::int64_t>(hops.size()));
    std::vector<double> active(static_cast<std::size_t>(P), 0.0);
    for (const auto k : hops) {
      const auto ku = static_cast<std::size_t>(k);
      hop.push_back(k);
      path.push_back(hpath[ku]);
      link.push_back(hlink[ku]);
      queue.push_back(hqueue[ku]);
      active[static_cast<std::size_t>(hpath[ku])] = 1.0;
    }
    in.pos_active.push_back(
        at::tensor(active, at::TensorOptions().dtype(at::kDouble)).to(raw.path_x.scalar_type()).unsqueeze(1));
  }
  in.pos_hop = from_vec(hop);
  in.pos_path = from_vec(path);
  in.pos_link = from_vec(link);
  in.pos_queue = from_vec(queue);
  return in;
}

// ---------------------------------------------------------------------------------------------
// Network

at::Tensor RouteNetOutput::jitter(const RouteNetConfig& c) const {
  return at::exp(jitter_z * c.jitter_log_std + c.jitter_log_mean);
}

at::Tensor RouteNetOutput::loss() const { return at::sigmoid(loss_logit); }

RouteNetImpl::RouteNetImpl(RouteNetConfig config) : config_(config) {
  config_.validate();
  const auto& c = config_;
  path_embed_ = register_module("path_embed", mlp2(path_col::count, c.path_dim));
  link_embed_ = register_module("link_embed", mlp2(link_col::count, c.link_dim));
  queue_embed_ = register_module("queue_embed", mlp2(queue_col::count, c.queue_dim));
  path_update_ = register_module(
      "path_update", torch::nn::GRUCell(torch::nn::GRUCellOptions(c.queue_dim + c.link_dim, c.path_dim)));
  queue_update_ = register_module(
      "queue_update", torch::nn::GRUCell(torch::nn::GRUCellOptions(c.path_dim, c.queue_dim)));
  link_update_ = register_module(
      "link_update", torch::nn::GRUCell(torch::nn::GRUCellOptions(c.queue_dim, c.link_dim)));
  const auto head = [&](std::int64_t in) {
    return torch::nn::Sequential(torch::nn::Linear(in, c.readout_hidden), torch::nn::ReLU(),
                                 torch::nn::Linear(c.readout_hidden, c.readout_hidden),
                                 torch::nn::ReLU());
  };
  occupancy_head_ = register_module("occupancy_head", head(c.path_dim));
  occupancy_out_ = register_module("occupancy_out", torch::nn::Linear(c.readout_hidden, 1));
  jitter_head_ = head(c.path_dim);
  jitter_head_->push_back(torch::nn::Linear(c.readout_hidden, 1));
  register_module("jitter_head", jitter_head_);
  loss_head_ = head(c.path_dim);
  loss_head_->push_back(torch::nn::Linear(c.readout_hidden, 1));
  register_module("loss_head", loss_head_);
}

void RouteNetImpl::set_scales(double occupancy_scale, double jitter_log_mean, double jitter_log_std) {
  RouteNetConfig c = config_;
  c.occupancy_scale = occupancy_scale;
  c.jitter_log_mean = jitter_log_mean;
  c.jitter_log_std = jitter_log_std;
  c.validate();
  config_ = c;
}

RouteNetOutput RouteNetImpl::forward(const ModelInput& in) {
  const SampleTensors& x = in.x;
  const std::int64_t P = x.num_paths();
  const std::int64_t L = x.num_links();
  const std::int64_t Q = x.num_queues();

  at::Tensor path_state = path_embed_->forward(x.path_x);
  at::Tensor link_state = link_embed_->forward(x.link_x);
  at::Tensor queue_state = queue_embed_->forward(x.queue_x);

  at::Tensor after;  // per hop (position order) path state after the hop, last iteration
  std::vector<at::Tensor> before_parts, after_parts;
  for (std::int64_t it = 0; it < config_.iterations; ++it) {
    // Path update: one GRU step per position along the paths, only for the paths that long.
    before_parts.clear();
    after_parts.clear();
    at::Tensor h = path_state;
    std::int64_t start = 0;
    for (std::size_t p = 0; p < in.pos_count.size(); ++p) {
      const std::int64_t n = in.pos_count[p];
      const at::Tensor paths = in.pos_path.narrow(0, start, n);
      const at::Tensor hop_in = at::cat({gather_rows(queue_state, in.pos_queue.narrow(0, start, n)),
                                         gather_rows(link_state, in.pos_link.narrow(0, start, n))},
                                        1);
      const at::Tensor h_prev = gather_rows(h, paths);
      const at::Tensor h_next = path_update_->forward(hop_in, h_prev);
      before_parts.push_back(h_prev);
      after_parts.push_back(h_next);
      h = h * (1.0 - in.pos_active[p]) + segment_sum(h_next, paths, P);
      start += n;
    }
    path_state = h;
    // Queue update: the sum of the states with which the paths arrive at the queue.
    const at::Tensor before = at::cat(before_parts);
    queue_state = queue_update_->forward(segment_sum(before, in.pos_queue, Q), queue_state);
    // Link update: the sum of the link's queue states.
    link_state = link_update_->forward(segment_sum(queue_state, x.queue_to_link, L), link_state);
    after = at::cat(after_parts);
  }

  RouteNetOutput out;
  const at::Tensor occupancy =
      occupancy_out_->forward(occupancy_head_->forward(after)).squeeze(1) * config_.occupancy_scale;
  const at::Tensor hop_capacity = gather_rows(in.capacity, in.pos_link);
  out.queue_delay = segment_sum(occupancy / hop_capacity, in.pos_path, P);
  const at::Tensor inv_cap_sum = segment_sum(1.0 / hop_capacity, in.pos_path, P);
  out.delay = out.queue_delay + in.pkt_size * inv_cap_sum;
  out.jitter_z = jitter_head_->forward(path_state).squeeze(1);
  out.loss_logit = loss_head_->forward(path_state).squeeze(1);
  out.path_state = path_state;
  out.link_state = link_state;
  out.queue_state = queue_state;
  return out;
}

}  // namespace autoopt::model
