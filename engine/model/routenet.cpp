// RouteNet-Fermi network: input preparation (hops grouped by position), the message passing and
// the readouts. Gathers and scatters go through the autograd operators of kernels/mp_ops_torch.hpp.
#include "model/routenet.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include <ATen/Parallel.h>

#include "mp_ops.hpp"
#include "mp_ops_torch.hpp"
#include "net/error.hpp"

namespace autoopt::model {
namespace {

using kernels::gather_rows;
using kernels::segment_sum;

constexpr std::string_view kHeader = "autoopt-routenet 2";
constexpr std::string_view kHeaderV1 = "autoopt-routenet 1";

std::string fmt(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

// A copy of the normalised link features with the capacity column zeroed (capacity_input false).
at::Tensor without_capacity(const at::Tensor& link_x) {
  at::Tensor t = link_x.clone();
  t.select(1, link_col::capacity).zero_();
  return t;
}

torch::nn::Sequential mlp2(std::int64_t in, std::int64_t out) {
  return torch::nn::Sequential(torch::nn::Linear(in, out), torch::nn::ReLU(),
                               torch::nn::Linear(out, out), torch::nn::ReLU());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config

std::string RouteNetConfig::to_text() const {
  std::string s = std::string(kHeader) + "\n";
  s += "path_dim " + std::to_string(path_dim) + "\n";
  s += "link_dim " + std::to_string(link_dim) + "\n";
  s += "queue_dim " + std::to_string(queue_dim) + "\n";
  s += "iterations " + std::to_string(iterations) + "\n";
  s += "readout_hidden " + std::to_string(readout_hidden) + "\n";
  s += "occupancy_scale " + fmt(occupancy_scale) + "\n";
  s += "jitter_log_mean " + fmt(jitter_log_mean) + "\n";
  s += "jitter_log_std " + fmt(jitter_log_std) + "\n";
  if (positive_occupancy) s += "positive_occupancy 1\n";
  if (!capacity_input) s += "capacity_input 0\n";
  if (load_weighted_messages) s += "load_weighted_messages 1\n";
  return s;
}

RouteNetConfig RouteNetConfig::from_text(std::string_view text) {
  RouteNetConfig c;
  c.capacity_input = true;  // checkpoints from before the key read the capacity
  c.load_weighted_messages = false;  // ... and summed their queue messages
  std::map<std::string, std::int64_t*> ints{{"path_dim", &c.path_dim},
                                            {"link_dim", &c.link_dim},
                                            {"queue_dim", &c.queue_dim},
                                            {"iterations", &c.iterations},
                                            {"readout_hidden", &c.readout_hidden}};
  std::map<std::string, double*> reals{{"occupancy_scale", &c.occupancy_scale},
                                       {"jitter_log_mean", &c.jitter_log_mean},
                                       {"jitter_log_std", &c.jitter_log_std}};
  // Optional 0/1 keys (absent: the defaults set above for texts written before them).
  std::map<std::string, bool*> flags{{"positive_occupancy", &c.positive_occupancy},
                                     {"capacity_input", &c.capacity_input},
                                     {"load_weighted_messages", &c.load_weighted_messages}};
  std::map<std::string, bool> seen;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "routenet config line " + std::to_string(n);
    if (n == 1) {
      if (line == kHeaderV1)
        throw Error(where + ": '" + line + "' is the format of an older model whose jitter head was a " +
                    "path-level log-variance regression; this version reads 'autoopt-routenet 2' (per-hop " +
                    "jitter readout), whose weights have another meaning: retrain the model");
      if (line != kHeader)
        throw Error(where + ": expected the header '" + std::string(kHeader) + "', got '" + line + "'");
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
    } else if (auto ft = flags.find(key); ft != flags.end()) {
      if (val != "0" && val != "1") throw Error(where + ": expected 0 or 1 for " + key + ", got '" + val + "'");
      *ft->second = val == "1";
    } else if (auto jt = reals.find(key); jt != reals.end()) {
      const auto r = std::from_chars(b, e, *jt->second);
      if (r.ec != std::errc{} || r.ptr != e)
        throw Error(where + ": expected a number for " + key + ", got '" + val + "'");
    } else {
      throw Error(where + ": unknown key '" + key + "'");
    }
    seen[key] = true;
  }
  if (n == 0)
    throw Error("routenet config: empty text, expected the header '" + std::string(kHeader) + "'");
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

  const std::int64_t P = raw.num_paths();
  const std::int64_t H = raw.num_hops();
  const at::Tensor offsets_t = raw.path_offsets.to(at::kCPU).to(at::kLong).contiguous();
  const at::Tensor link_t = raw.path_to_link.to(at::kCPU).to(at::kLong).contiguous();
  const at::Tensor queue_t = raw.path_to_queue.to(at::kCPU).to(at::kLong).contiguous();
  if (offsets_t.numel() != P + 1)
    throw Error("routenet input: path_offsets has " + std::to_string(offsets_t.numel()) +
                " entries, expected P + 1 = " + std::to_string(P + 1));
  const std::int64_t* off = offsets_t.data_ptr<std::int64_t>();
  const std::int64_t* hlink = link_t.data_ptr<std::int64_t>();
  const std::int64_t* hqueue = queue_t.data_ptr<std::int64_t>();
  if (off[0] != 0 || off[P] != H)
    throw Error("routenet input: path_offsets must run from 0 to the hop count " + std::to_string(H));

  // Slot order: paths by decreasing length (a stable counting sort), and the paths longer than p.
  std::int64_t max_len = 0;
  for (std::int64_t p = 0; p < P; ++p) {
    const std::int64_t len = off[p + 1] - off[p];
    if (len < 0) throw Error("routenet input: path_offsets decrease at path " + std::to_string(p));
    max_len = std::max(max_len, len);
  }
  std::vector<std::int64_t> longer(static_cast<std::size_t>(max_len) + 2, 0);  // paths with len >= i
  for (std::int64_t p = 0; p < P; ++p) ++longer[static_cast<std::size_t>(off[p + 1] - off[p])];
  for (std::int64_t i = max_len - 1; i >= 0; --i)
    longer[static_cast<std::size_t>(i)] += longer[static_cast<std::size_t>(i) + 1];
  // First slot of the paths of length exactly len: the number of paths longer than len.
  std::vector<std::int64_t> next_slot(static_cast<std::size_t>(max_len) + 1, 0);
  for (std::int64_t len = 0; len <= max_len; ++len)
    next_slot[static_cast<std::size_t>(len)] = longer[static_cast<std::size_t>(len) + 1];
  in.path_order = at::empty({P}, at::kLong);
  in.path_rank = at::empty({P}, at::kLong);
  std::int64_t* order = in.path_order.data_ptr<std::int64_t>();
  std::int64_t* rank = in.path_rank.data_ptr<std::int64_t>();
  for (std::int64_t p = 0; p < P; ++p) {
    const std::int64_t slot = next_slot[static_cast<std::size_t>(off[p + 1] - off[p])]++;
    order[slot] = p;
    rank[p] = slot;
  }

  in.pos_hop = at::empty({H}, at::kLong);
  in.pos_path = at::empty({H}, at::kLong);
  in.pos_link = at::empty({H}, at::kLong);
  in.pos_queue = at::empty({H}, at::kLong);
  std::int64_t* hop = in.pos_hop.data_ptr<std::int64_t>();
  std::int64_t* path = in.pos_path.data_ptr<std::int64_t>();
  std::int64_t* link = in.pos_link.data_ptr<std::int64_t>();
  std::int64_t* queue = in.pos_queue.data_ptr<std::int64_t>();
  std::int64_t k = 0;
  for (std::int64_t pos = 0; pos < max_len; ++pos) {
    const std::int64_t n = longer[static_cast<std::size_t>(pos) + 1];
    in.pos_count.push_back(n);
    for (std::int64_t slot = 0; slot < n; ++slot, ++k) {
      const std::int64_t h = off[order[slot]] + pos;
      hop[k] = h;
      path[k] = order[slot];
      link[k] = hlink[h];
      queue[k] = hqueue[h];
    }
  }
  const at::Tensor traffic = raw.path_x.select(1, path_col::traffic);
  in.hop_load = (traffic.index_select(0, in.pos_path) / in.capacity.index_select(0, in.pos_link)).contiguous();
  return in;
}

ModelInput ModelInput::to(at::Device device) const {
  const auto mv = [&](const at::Tensor& t) { return t.defined() ? t.to(device) : t; };
  ModelInput r = *this;
  for (at::Tensor* t : {&r.x.path_x, &r.x.link_x, &r.x.queue_x, &r.x.path_offsets, &r.x.hop_path,
                        &r.x.hop_position, &r.x.path_to_link, &r.x.path_to_queue, &r.x.queue_to_link,
                        &r.x.queue_position, &r.x.link_queue_offsets, &r.x.path_sample,
                        &r.x.link_sample, &r.x.queue_sample, &r.x.path_pair, &r.x.path_flow,
                        &r.x.labels, &r.capacity, &r.pkt_size, &r.hop_load, &r.path_order, &r.path_rank,
                        &r.pos_hop, &r.pos_path, &r.pos_link, &r.pos_queue}) {
    *t = mv(*t);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Network

at::Tensor RouteNetOutput::jitter(const RouteNetConfig& /*c*/) const { return jitter_var; }

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
  jitter_head_ = register_module("jitter_head", head(c.path_dim));
  jitter_out_ = register_module("jitter_out", torch::nn::Linear(c.readout_hidden, 1));
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

namespace {

// One GRUCell step (torch::nn::GRUCell's formula, gates r, z, n) from the input projection
// gi = W_ih x + b_ih [n, 3d] and the previous state h [n, d]; plain ATen ops, so autograd and any
// device work.
at::Tensor gru_step(const at::Tensor& gi, const at::Tensor& h, const at::Tensor& w_hh,
                    const at::Tensor& b_hh) {
  const at::Tensor gh = at::linear(h, w_hh, b_hh);
  const auto gi3 = gi.chunk(3, 1);
  const auto gh3 = gh.chunk(3, 1);
  const at::Tensor r = at::sigmoid(gi3[0] + gh3[0]);
  const at::Tensor z = at::sigmoid(gi3[1] + gh3[1]);
  const at::Tensor n = at::tanh(gi3[2] + r * gh3[2]);
  return n + z * (h - n);
}

// Inference on the CPU: the GRU step of the hops of one position without materialising their input
// projections. Row chunks small enough to stay in cache: gh = W_hh h + b_hh by BLAS, the gathered
// queue and link projections added in place, then the gates with ATen's vectorised sigmoid (tanh
// as 2 sigmoid(2a) - 1) and the update.
// qproj [Q, 3d] = W_ih[:, queue part] queue_state + b_ih, lproj [L, 3d] = W_ih[:, link part]
// link_state; q, l: the hops' queues and links (validated); out [n, d] is written.
template <typename T>
void gru_hops_cpu(const at::Tensor& qproj, const at::Tensor& lproj, const std::int64_t* q,
                  const std::int64_t* l, const at::Tensor& h_prev, const at::Tensor& w_hh_t,
                  const at::Tensor& b_hh, at::Tensor& out) {
  constexpr std::int64_t kRows = 512;
  const std::int64_t n = h_prev.size(0);
  const std::int64_t d = h_prev.size(1);
  const std::int64_t g = 3 * d;
  const T* qp = qproj.data_ptr<T>();
  const T* lp = lproj.data_ptr<T>();
  const T* hp = h_prev.data_ptr<T>();
  T* op = out.data_ptr<T>();
  const std::int64_t chunks = (n + kRows - 1) / kRows;
  at::parallel_for(0, chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
    at::Tensor gh_buf = at::empty({kRows, g}, h_prev.options());
    at::Tensor gn_buf = at::empty({kRows, d}, h_prev.options());
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t r0 = c * kRows;
      const std::int64_t m = std::min(kRows, n - r0);
      at::Tensor gh = gh_buf.narrow(0, 0, m);
      at::Tensor gn = gn_buf.narrow(0, 0, m);
      at::addmm_out(gh, b_hh, h_prev.narrow(0, r0, m), w_hh_t);
      T* G = gh.data_ptr<T>();
      T* N = gn.data_ptr<T>();
      for (std::int64_t i = 0; i < m; ++i) {
        const T* qa = qp + q[r0 + i] * g;
        const T* la = lp + l[r0 + i] * g;
        T* gr = G + i * g;
        for (std::int64_t j = 0; j < 2 * d; ++j) gr[j] += qa[j] + la[j];
        T* nr = N + i * d;
        for (std::int64_t j = 0; j < d; ++j) nr[j] = qa[2 * d + j] + la[2 * d + j];
      }
      gh.narrow(1, 0, 2 * d).sigmoid_();
      // tanh(a) = 2 sigmoid(2a) - 1: one vectorised sigmoid pass costs about half of ATen's tanh.
      for (std::int64_t i = 0; i < m; ++i) {
        const T* gr = G + i * g;
        T* nr = N + i * d;
        for (std::int64_t j = 0; j < d; ++j) nr[j] = T(2) * (nr[j] + gr[j] * gr[2 * d + j]);
      }
      gn.sigmoid_();
      for (std::int64_t i = 0; i < m; ++i) {
        const T* z = G + i * g + d;
        const T* sr = N + i * d;
        const T* h = hp + (r0 + i) * d;
        T* o = op + (r0 + i) * d;
        for (std::int64_t j = 0; j < d; ++j) {
          const T nv = T(2) * sr[j] - T(1);
          o[j] = nv + z[j] * (h[j] - nv);
        }
      }
    }
  });
}

// Adds the rows of `src` into `out` by `segment` (CPU, validated, contiguous; out accumulates).
void accumulate_rows_cpu(const at::Tensor& src, const std::int64_t* segment, at::Tensor& out) {
  const std::int64_t rows = src.size(0);
  const std::int64_t d = src.size(1);
  const std::span<const std::int64_t> seg(segment, static_cast<std::size_t>(rows));
  if (src.scalar_type() == at::kDouble) {
    kernels::segment_sum_cpu(std::span<const double>(src.data_ptr<double>(), static_cast<std::size_t>(src.numel())), seg, d,
                             std::span<double>(out.data_ptr<double>(), static_cast<std::size_t>(out.numel())));
  } else {
    kernels::segment_sum_cpu(std::span<const float>(src.data_ptr<float>(), static_cast<std::size_t>(src.numel())), seg, d,
                             std::span<float>(out.data_ptr<float>(), static_cast<std::size_t>(out.numel())));
  }
}

// The state of every path (slot order) after its last hop: slots [count[p+1], count[p]) end at
// position p; slots from count[0] on have no hop and keep `initial`.
at::Tensor final_path_states(const std::vector<at::Tensor>& after, const at::Tensor& initial,
                             const std::vector<std::int64_t>& count) {
  std::vector<at::Tensor> parts;
  const auto T = static_cast<std::int64_t>(count.size());
  for (std::int64_t p = T - 1; p >= 0; --p) {
    const std::int64_t next = p + 1 < T ? count[static_cast<std::size_t>(p) + 1] : 0;
    const std::int64_t m = count[static_cast<std::size_t>(p)] - next;
    if (m > 0) parts.push_back(after[static_cast<std::size_t>(p)].narrow(0, next, m));
  }
  const std::int64_t P = initial.size(0);
  const std::int64_t n0 = T > 0 ? count[0] : 0;
  if (P > n0) parts.push_back(initial.narrow(0, n0, P - n0));
  return parts.size() == 1 ? parts[0] : at::cat(parts);
}

void check_input(const ModelInput& in) {
  const std::int64_t P = in.x.num_paths();
  std::int64_t prev = P, sum = 0;
  for (const auto n : in.pos_count) {
    if (n < 0 || n > prev)
      throw Error("routenet input: pos_count must not increase along the positions (slot order)");
    prev = n;
    sum += n;
  }
  if (sum != in.pos_queue.size(0) || sum != in.pos_link.size(0) || sum != in.pos_path.size(0))
    throw Error("routenet input: pos_count sums to " + std::to_string(sum) + " but there are " +
                std::to_string(in.pos_queue.size(0)) + " hops");
  if (!in.path_order.defined() || in.path_order.size(0) != P || in.path_rank.size(0) != P)
    throw Error("routenet input: path_order / path_rank must have one entry per path (use make_input)");
}

}  // namespace

RouteNetOutput RouteNetImpl::forward(const ModelInput& in) {
  const SampleTensors& x = in.x;
  check_input(in);
  const std::int64_t P = x.num_paths();
  const std::int64_t L = x.num_links();
  const std::int64_t Q = x.num_queues();
  const std::int64_t qd = config_.queue_dim;
  const std::vector<std::int64_t>& count = in.pos_count;
  // Inference on the CPU takes the cache-blocked path (same maths; no autograd graph is needed).
  const bool fast = in.device().is_cpu() && !at::GradMode::is_enabled() &&
                    (x.path_x.scalar_type() == at::kFloat || x.path_x.scalar_type() == at::kDouble);

  at::Tensor path_state = path_embed_->forward(gather_rows(x.path_x, in.path_order));  // slot order
  at::Tensor link_state = link_embed_->forward(config_.capacity_input ? x.link_x : without_capacity(x.link_x));
  at::Tensor queue_state = queue_embed_->forward(x.queue_x);

  // GRU input projection split into its queue and link parts, applied per queue and per link
  // (Q + L rows) instead of per hop.
  const at::Tensor& w_ih = path_update_->weight_ih;
  const at::Tensor w_q = w_ih.narrow(1, 0, qd).contiguous();
  const at::Tensor w_l = w_ih.narrow(1, qd, w_ih.size(1) - qd).contiguous();
  const at::Tensor& w_hh = path_update_->weight_hh;
  const at::Tensor& b_ih = path_update_->bias_ih;
  const at::Tensor& b_hh = path_update_->bias_hh;

  at::Tensor pos_queue, pos_link;
  if (fast) {
    pos_queue = in.pos_queue.contiguous();
    pos_link = in.pos_link.contiguous();
    kernels::check_indices({pos_queue.data_ptr<std::int64_t>(), static_cast<std::size_t>(pos_queue.numel())},
                           Q, "routenet input: pos_queue");
    kernels::check_indices({pos_link.data_ptr<std::int64_t>(), static_cast<std::size_t>(pos_link.numel())},
                           L, "routenet input: pos_link");
  }
  const at::Tensor w_hh_t = fast ? w_hh.t().contiguous() : at::Tensor();
  const bool weighted = config_.load_weighted_messages;
  if (weighted && (!in.hop_load.defined() || in.hop_load.size(0) != in.pos_queue.size(0)))
    throw Error("routenet input: hop_load must have one entry per hop (use make_input)");

  std::vector<at::Tensor> after_parts, before_parts;
  for (std::int64_t it = 0; it < config_.iterations; ++it) {
    after_parts.clear();
    before_parts.clear();
    const at::Tensor qproj = at::linear(queue_state, w_q, b_ih).contiguous();
    const at::Tensor lproj = at::linear(link_state, w_l).contiguous();
    at::Tensor queue_msg;
    at::Tensor prev = path_state.contiguous();
    std::int64_t start = 0;
    if (fast) {
      queue_msg = at::zeros({Q, config_.path_dim}, path_state.options());
      for (const std::int64_t n : count) {
        const at::Tensor h_prev = prev.narrow(0, 0, n);
        accumulate_rows_cpu(weighted ? h_prev * in.hop_load.narrow(0, start, n).unsqueeze(1) : h_prev,
                            pos_queue.data_ptr<std::int64_t>() + start, queue_msg);
        at::Tensor h_next = at::empty({n, prev.size(1)}, prev.options());
        const std::int64_t* q = pos_queue.data_ptr<std::int64_t>() + start;
        const std::int64_t* l = pos_link.data_ptr<std::int64_t>() + start;
        if (prev.scalar_type() == at::kDouble) {
          gru_hops_cpu<double>(qproj, lproj, q, l, h_prev, w_hh_t, b_hh, h_next);
        } else {
          gru_hops_cpu<float>(qproj, lproj, q, l, h_prev, w_hh_t, b_hh, h_next);
        }
        after_parts.push_back(h_next);
        prev = h_next;
        start += n;
      }
    } else {
      const at::Tensor gi = gather_rows(qproj, in.pos_queue) + gather_rows(lproj, in.pos_link);
      for (const std::int64_t n : count) {
        const at::Tensor h_prev = prev.narrow(0, 0, n);
        const at::Tensor h_next = gru_step(gi.narrow(0, start, n), h_prev, w_hh, b_hh);
        before_parts.push_back(h_prev);
        after_parts.push_back(h_next);
        prev = h_next;
        start += n;
      }
      // The states with which the paths arrive at each queue, summed.
      // (With load_weighted_messages each weighted by the path's traffic / the link's capacity.)
      if (before_parts.empty()) {
        queue_msg = at::zeros({Q, config_.path_dim}, path_state.options());
      } else {
        const at::Tensor arrivals = at::cat(before_parts);
        queue_msg = segment_sum(weighted ? arrivals * in.hop_load.unsqueeze(1) : arrivals, in.pos_queue, Q);
      }
    }
    path_state = final_path_states(after_parts, path_state, count);
    queue_state = queue_update_->forward(queue_msg, queue_state);
    // Link update: the sum of the link's queue states.
    link_state = link_update_->forward(segment_sum(queue_state, x.queue_to_link, L), link_state);
  }

  RouteNetOutput out;
  // Per hop (position order) path state after the hop, last iteration.
  const at::Tensor after = after_parts.empty() ? at::zeros({0, config_.path_dim}, path_state.options())
                                               : at::cat(after_parts);
  const at::Tensor occupancy_raw = occupancy_out_->forward(occupancy_head_->forward(after)).squeeze(1);
  const at::Tensor occupancy =
      (config_.positive_occupancy ? at::softplus(occupancy_raw) : occupancy_raw) * config_.occupancy_scale;
  const at::Tensor hop_capacity = gather_rows(in.capacity, in.pos_link);
  out.queue_delay = segment_sum(occupancy / hop_capacity, in.pos_path, P);
  const at::Tensor inv_cap_sum = segment_sum(1.0 / hop_capacity, in.pos_path, P);
  out.delay = out.queue_delay + in.pkt_size * inv_cap_sum;
  // Jitter: per hop a delay standard deviation in units of occupancy_scale / capacity (softplus keeps
  // it >= 0); the path variance is the sum of the hops' variances (independent hops).
  const at::Tensor sigma = at::softplus(jitter_out_->forward(jitter_head_->forward(after)).squeeze(1));
  out.hop_jitter_std = sigma * config_.occupancy_scale / hop_capacity;
  out.jitter_var = segment_sum(out.hop_jitter_std * out.hop_jitter_std, in.pos_path, P);
  // The log stays finite for paths without hops and for float underflow.
  const double tiny = out.jitter_var.scalar_type() == at::kDouble ? 1e-300 : 1e-37;
  out.jitter_z = (at::log(out.jitter_var.clamp_min(tiny)) - config_.jitter_log_mean) / config_.jitter_log_std;
  path_state = gather_rows(path_state, in.path_rank);  // back to path order
  out.loss_logit = loss_head_->forward(path_state).squeeze(1);
  out.path_state = path_state;
  out.link_state = link_state;
  out.queue_state = queue_state;
  return out;
}

}  // namespace autoopt::model
