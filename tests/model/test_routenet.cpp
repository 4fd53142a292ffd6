// RouteNet-Fermi network: config text round trip and bad text, the grouping of hops by position (slot
// order), output shapes for a batch of two samples, the delay readout with a zeroed occupancy head
// equal to the transmission times computed by hand on the spec §10 3-node example, and the network's
// outputs and gradients (training path) and inference outputs (the CPU cache-blocked path) equal to a
// straightforward reference written here with libtorch's GRUCell and index_select / index_add.
#include "model/routenet.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "net/error.hpp"
#include "synthetic_samples.hpp"

namespace {

using namespace autoopt;

// The spec §10 example topology and routing (3 nodes, 4 links of 10 kbit/s), built here; only the
// fields the features read are set. Mean packet sizes: 1000 bits (pairs 0->1, 1->0, 2->0, 2->1) and
// 780 bits (0->2, 1->2).
net::Sample three_node() {
  net::Sample s;
  auto& t = s.topology;
  t.levels_tos = 3;
  t.nodes.resize(3);
  t.nodes[0].policy = net::Policy::FIFO;
  t.nodes[0].buffer_bits = {32000};
  t.nodes[0].queue_tos = {{0, 1, 2}};
  t.nodes[1].policy = net::Policy::SP;
  t.nodes[1].buffer_bits = {16000, 16000, 16000};
  t.nodes[1].queue_tos = {{0}, {1}, {2}};
  t.nodes[2].policy = net::Policy::WFQ;
  t.nodes[2].weights = {60, 30, 10};
  t.nodes[2].buffer_bits = {8000, 8000, 8000};
  t.nodes[2].queue_tos = {{0}, {1}, {2}};
  t.links = {{0, 1, 0, 1e4}, {1, 0, 0, 1e4}, {1, 2, 1, 1e4}, {2, 1, 0, 1e4}};
  s.routing.paths.resize(9);
  s.routing.paths[1] = {0, 1};
  s.routing.paths[2] = {0, 1, 2};
  s.routing.paths[3] = {1, 0};
  s.routing.paths[5] = {1, 2};
  s.routing.paths[6] = {2, 1, 0};
  s.routing.paths[7] = {2, 1};
  const auto mk = [](net::TimeDist td, double eq, std::vector<double> params,
                     std::vector<net::SizeProb> sizes, double avg, int tos) {
    net::Flow f;
    f.time_dist = td;
    f.eq_lambda_bps = eq;
    f.time_params = std::move(params);
    f.size_dist = net::SizeDist::Generic;
    f.candidates = std::move(sizes);
    f.avg_pkt_size_bits = avg;
    f.tos = tos;
    return f;
  };
  const std::vector<net::SizeProb> a{{500, 0.5}, {1500, 0.5}};               // mean 1000
  const std::vector<net::SizeProb> b{{500, 0.6}, {1000, 0.2}, {1400, 0.2}};  // mean 780
  s.traffic.max_avg_lambda = 3100;
  s.traffic.pairs.resize(9);
  s.traffic.pairs[1] = {mk(net::TimeDist::Poisson, 2000, {2, 10}, a, 1000, 0)};
  s.traffic.pairs[2] = {mk(net::TimeDist::CBR, 1500, {1.92308}, b, 780, 1)};
  s.traffic.pairs[3] = {mk(net::TimeDist::OnOff, 900, {2.7, 10, 5, 10}, a, 1000, 2)};
  s.traffic.pairs[5] = {mk(net::TimeDist::Poisson, 3000, {3.84615, 10}, b, 780, 2)};
  s.traffic.pairs[6] = {mk(net::TimeDist::Poisson, 600, {0.6, 10}, a, 1000, 0)};
  s.traffic.pairs[7] = {mk(net::TimeDist::CBR, 1000, {1}, a, 1000, 1)};
  return s;
}

// A line 0 - 1 - ... - (n-1) of FIFO nodes, one flow per ordered pair.
net::Sample line(int n, double capacity) {
  net::Sample s;
  auto& t = s.topology;
  t.levels_tos = 1;
  t.nodes.resize(static_cast<std::size_t>(n));
  for (auto& node : t.nodes) {
    node.policy = net::Policy::FIFO;
    node.buffer_bits = {64000};
    node.queue_tos = {{0}};
  }
  std::vector<int> ports(static_cast<std::size_t>(n), 0);
  for (int i = 0; i + 1 < n; ++i) {
    t.links.push_back({i, i + 1, ports[static_cast<std::size_t>(i)]++, capacity});
    t.links.push_back({i + 1, i, ports[static_cast<std::size_t>(i + 1)]++, capacity});
  }
  const auto N = static_cast<std::size_t>(n);
  s.routing.paths.resize(N * N);
  s.traffic.pairs.resize(N * N);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      auto& route = s.routing.paths[static_cast<std::size_t>(a * n + b)];
      for (int v = a; v != b; v += (b > a ? 1 : -1)) route.push_back(v);
      route.push_back(b);
      net::Flow f;
      f.time_dist = net::TimeDist::Poisson;
      f.eq_lambda_bps = 100.0 * (1 + a + b);
      f.time_params = {f.eq_lambda_bps / 1000.0, 10};
      f.size_dist = net::SizeDist::Deterministic;
      f.avg_pkt_size_bits = 1000;
      f.tos = 0;
      s.traffic.pairs[static_cast<std::size_t>(a * n + b)] = {f};
    }
  }
  s.traffic.max_avg_lambda = 1000;
  return s;
}

std::vector<std::int64_t> ints(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// The message of from_text's error on `text`, or "no error".
std::string from_text_error(const std::string& text) {
  try {
    (void)model::RouteNetConfig::from_text(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RouteNetConfig, TextRoundTripAndBadText) {
  model::RouteNetConfig c;
  c.path_dim = 8;
  c.iterations = 3;
  c.occupancy_scale = 777.125;
  c.jitter_log_mean = -6.1234567890123;
  c.jitter_log_std = 0.3;
  EXPECT_EQ(model::RouteNetConfig::from_text(c.to_text()), c);

  EXPECT_EQ(c.to_text().substr(0, c.to_text().find('\n')), "autoopt-routenet 2");
  // A format-1 checkpoint (path-level jitter head) is refused with a message that says to retrain.
  std::string v1 = c.to_text();
  v1.replace(0, v1.find('\n'), "autoopt-routenet 1");
  try {
    (void)model::RouteNetConfig::from_text(v1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("retrain"), std::string::npos) << e.what();
  }
  try {
    (void)model::RouteNetConfig::from_text("autoopt-routenet 2\npath_dim x\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("path_dim"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)model::RouteNetConfig::from_text("something else\n"), Error);
  std::string missing = c.to_text();
  missing.erase(missing.find("iterations"), missing.find('\n', missing.find("iterations")) -
                                                 missing.find("iterations") + 1);
  EXPECT_NE(from_text_error(missing).find("missing key 'iterations'"), std::string::npos) << from_text_error(missing);
  model::RouteNetConfig bad;
  bad.iterations = 0;
  EXPECT_THROW(bad.validate(), Error);
  // positive_occupancy is written only when set: older texts (without the key) load as linear.
  EXPECT_EQ(c.to_text().find("positive_occupancy"), std::string::npos);
  model::RouteNetConfig p = c;
  p.positive_occupancy = true;
  EXPECT_NE(p.to_text().find("positive_occupancy 1\n"), std::string::npos);
  EXPECT_EQ(model::RouteNetConfig::from_text(p.to_text()), p);
  EXPECT_FALSE(model::RouteNetConfig::from_text(c.to_text()).positive_occupancy);
  // capacity_input is written only when false (the default); texts without the key are older models,
  // which read the capacity.
  EXPECT_FALSE(c.capacity_input);
  EXPECT_NE(c.to_text().find("capacity_input 0\n"), std::string::npos);
  EXPECT_FALSE(model::RouteNetConfig::from_text(c.to_text()).capacity_input);
  std::string old = c.to_text();
  old.erase(old.find("capacity_input 0\n"), 17);
  EXPECT_TRUE(model::RouteNetConfig::from_text(old).capacity_input);
  model::RouteNetConfig with_capacity = c;
  with_capacity.capacity_input = true;
  EXPECT_EQ(with_capacity.to_text().find("capacity_input"), std::string::npos);
  EXPECT_EQ(model::RouteNetConfig::from_text(with_capacity.to_text()), with_capacity);
  std::string bad_flag = c.to_text();
  bad_flag.replace(bad_flag.find("capacity_input 0"), 16, "capacity_input x");
  EXPECT_NE(from_text_error(bad_flag).find("expected 0 or 1 for capacity_input, got 'x'"), std::string::npos)
      << from_text_error(bad_flag);
  // load_weighted_messages (the default) is written only when set: texts without the key are older
  // models, which summed the messages.
  EXPECT_TRUE(c.load_weighted_messages);
  EXPECT_NE(c.to_text().find("load_weighted_messages 1\n"), std::string::npos);
  EXPECT_TRUE(model::RouteNetConfig::from_text(c.to_text()).load_weighted_messages);
  std::string summed = c.to_text();
  summed.erase(summed.find("load_weighted_messages 1\n"), 25);
  EXPECT_FALSE(model::RouteNetConfig::from_text(summed).load_weighted_messages);
  model::RouteNetConfig plain = c;
  plain.load_weighted_messages = false;
  EXPECT_EQ(plain.to_text().find("load_weighted_messages"), std::string::npos);
  EXPECT_EQ(model::RouteNetConfig::from_text(plain.to_text()), plain);
  std::string two = p.to_text();
  two.replace(two.find("positive_occupancy 1"), 20, "positive_occupancy 2");
  EXPECT_NE(from_text_error(two).find("expected 0 or 1 for positive_occupancy, got '2'"), std::string::npos)
      << from_text_error(two);
}

TEST(RouteNet, HopsGroupedByPosition) {
  const model::ModelInput in = model::make_input(model::featurize(three_node()), model::Normalizer());
  // Path lengths 1, 2, 1, 1, 2, 1: slot order (longest first, ties in path order) 1, 4, 0, 2, 3, 5;
  // six hops at position 0, two at position 1 (paths 1 and 4, slots 0 and 1).
  EXPECT_EQ(ints(in.path_order), (std::vector<std::int64_t>{1, 4, 0, 2, 3, 5}));
  EXPECT_EQ(ints(in.path_rank), (std::vector<std::int64_t>{2, 0, 3, 4, 1, 5}));
  ASSERT_EQ(in.pos_count, (std::vector<std::int64_t>{6, 2}));
  EXPECT_EQ(ints(in.pos_path), (std::vector<std::int64_t>{1, 4, 0, 2, 3, 5, 1, 4}));
  EXPECT_EQ(ints(in.pos_hop), (std::vector<std::int64_t>{1, 5, 0, 3, 4, 7, 2, 6}));
  EXPECT_TRUE(torch::equal(in.pos_link, in.x.path_to_link.index_select(0, in.pos_hop)));
  EXPECT_TRUE(torch::equal(in.pos_queue, in.x.path_to_queue.index_select(0, in.pos_hop)));
  EXPECT_TRUE(torch::equal(in.pos_path, in.x.hop_path.index_select(0, in.pos_hop)));
  EXPECT_TRUE(torch::equal(in.x.hop_position.index_select(0, in.pos_hop),
                           torch::tensor({0, 0, 0, 0, 0, 0, 1, 1}, torch::kLong)));
}

// The network computed the plain way: hops grouped by position with index_select, every path padded
// through every position (h <- h with the active rows replaced), libtorch's GRUCell on the
// concatenated (queue, link) state per hop, index_add for the sums.
struct Reference {
  at::Tensor delay, jitter_var, jitter_z, loss_logit, path_state, link_state, queue_state;
};

// `raw_traffic`: the paths' raw traffic (bit/s), needed with load_weighted_messages.
Reference reference_forward(model::RouteNet& net, const model::ModelInput& in, const at::Tensor& raw_traffic = {}) {
  const auto mods = net->named_children();
  const auto seq = [&](const char* name, const at::Tensor& x) {
    return std::dynamic_pointer_cast<torch::nn::SequentialImpl>(mods[name])->forward(x);
  };
  const auto gru = [&](const char* name, const at::Tensor& x, const at::Tensor& h) {
    return std::dynamic_pointer_cast<torch::nn::GRUCellImpl>(mods[name])->forward(x, h);
  };
  const auto& x = in.x;
  const std::int64_t P = x.num_paths(), L = x.num_links(), Q = x.num_queues();
  const std::int64_t max_len = x.hop_position.max().item<std::int64_t>() + 1;
  std::vector<at::Tensor> hops_at;
  for (std::int64_t p = 0; p < max_len; ++p) hops_at.push_back((x.hop_position == p).nonzero().squeeze(1));
  at::Tensor h = seq("path_embed", x.path_x);
  // Without capacity_input the link embedding sees the normalised features with capacity set to 0.
  const at::Tensor link_in =
      net->config().capacity_input
          ? x.link_x
          : x.link_x * (torch::arange(model::link_col::count) != model::link_col::capacity).to(x.link_x.dtype());
  at::Tensor link = seq("link_embed", link_in);
  at::Tensor queue = seq("queue_embed", x.queue_x);
  at::Tensor after, after_hops;
  for (std::int64_t it = 0; it < net->config().iterations; ++it) {
    std::vector<at::Tensor> before_v, after_v;
    for (const auto& hops : hops_at) {
      const at::Tensor paths = x.hop_path.index_select(0, hops);
      const at::Tensor hop_in = at::cat({queue.index_select(0, x.path_to_queue.index_select(0, hops)),
                                         link.index_select(0, x.path_to_link.index_select(0, hops))},
                                        1);
      const at::Tensor h_prev = h.index_select(0, paths);
      const at::Tensor h_next = gru("path_update", hop_in, h_prev);
      before_v.push_back(h_prev);
      after_v.push_back(h_next);
      h = h.index_copy(0, paths, h_next);
    }
    const at::Tensor all_hops = at::cat(hops_at);
    at::Tensor arrivals = at::cat(before_v);
    if (net->config().load_weighted_messages) {
      // Each hop's weight: its path's traffic / its link's capacity, computed here from the raw values.
      const at::Tensor w = raw_traffic.index_select(0, x.hop_path) / in.capacity.index_select(0, x.path_to_link);
      arrivals = arrivals * w.index_select(0, all_hops).unsqueeze(1);
    }
    const at::Tensor msg =
        at::zeros({Q, h.size(1)}, h.options()).index_add(0, x.path_to_queue.index_select(0, all_hops), arrivals);
    queue = gru("queue_update", msg, queue);
    link = gru("link_update", at::zeros({L, queue.size(1)}, queue.options()).index_add(0, x.queue_to_link, queue),
               link);
    after = at::cat(after_v);
    after_hops = all_hops;
  }
  const double scale = net->config().occupancy_scale;
  const at::Tensor occ = std::dynamic_pointer_cast<torch::nn::LinearImpl>(mods["occupancy_out"])
                             ->forward(seq("occupancy_head", after))
                             .squeeze(1) *
                         scale;
  const at::Tensor hop_paths = x.hop_path.index_select(0, after_hops);
  const at::Tensor cap = in.capacity.index_select(0, x.path_to_link.index_select(0, after_hops));
  const at::Tensor zero = at::zeros({P}, occ.options());
  Reference r;
  r.delay = zero.index_add(0, hop_paths, occ / cap) + in.pkt_size * zero.index_add(0, hop_paths, 1.0 / cap);
  // Jitter: per hop std = softplus(head) * scale / capacity; path variance = sum of squares.
  const at::Tensor sig = at::softplus(std::dynamic_pointer_cast<torch::nn::LinearImpl>(mods["jitter_out"])
                                          ->forward(seq("jitter_head", after))
                                          .squeeze(1)) *
                         scale / cap;
  r.jitter_var = zero.index_add(0, hop_paths, sig * sig);
  r.jitter_z = (at::log(r.jitter_var) - net->config().jitter_log_mean) / net->config().jitter_log_std;
  r.loss_logit = seq("loss_head", h).squeeze(1);
  r.path_state = h;
  r.link_state = link;
  r.queue_state = queue;
  return r;
}

// max |a - b| / max(max |b|, tiny).
double rel_err(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ad = a.detach().to(torch::kDouble), bd = b.detach().to(torch::kDouble);
  return (ad - bd).abs().max().item<double>() / std::max(bd.abs().max().item<double>(), 1e-300);
}

void expect_matches_reference(torch::ScalarType dtype, double tol, bool capacity_input = false,
                              bool load_weighted = true) {
  torch::set_num_threads(1);
  torch::manual_seed(11);
  std::vector<model::SampleTensors> parts{model::featurize(three_node(), {.dtype = dtype}),
                                          model::featurize(autoopt::testing::synthetic_sample(9, 5, false), {.dtype = dtype}),
                                          model::featurize(line(6, 2e4), {.dtype = dtype})};
  const model::SampleTensors raw = model::batch(parts);
  const at::Tensor raw_traffic = raw.path_x.select(1, model::path_col::traffic);
  const model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  model::RouteNetConfig cfg;
  cfg.iterations = 3;
  cfg.occupancy_scale = 900;
  cfg.jitter_log_mean = -3.5;
  cfg.jitter_log_std = 1.7;
  cfg.capacity_input = capacity_input;
  cfg.load_weighted_messages = load_weighted;
  model::RouteNet net(cfg);
  net->to(dtype);
  const std::string tag = std::string(c10::toString(dtype)) + (capacity_input ? " capacity_input" : "") +
                          (load_weighted ? " load_weighted" : "");

  // Training path (autograd) against the reference, outputs and gradients.
  const model::RouteNetOutput out = net->forward(in);
  const Reference ref = reference_forward(net, in, raw_traffic);
  EXPECT_LE(rel_err(out.delay, ref.delay), tol) << tag;
  EXPECT_LE(rel_err(out.jitter_var, ref.jitter_var), tol) << tag;
  EXPECT_LE(rel_err(out.jitter(net->config()), ref.jitter_var), tol) << tag;
  EXPECT_LE(rel_err(out.jitter_z, ref.jitter_z), tol) << tag;
  EXPECT_LE(rel_err(out.loss_logit, ref.loss_logit), tol) << tag;
  EXPECT_LE(rel_err(out.path_state, ref.path_state), tol) << tag;
  EXPECT_LE(rel_err(out.link_state, ref.link_state), tol) << tag;
  EXPECT_LE(rel_err(out.queue_state, ref.queue_state), tol) << tag;
  const auto loss_of = [](const at::Tensor& d, const at::Tensor& j, const at::Tensor& l) {
    return (d * 1e3).pow(2).sum() + j.pow(2).sum() + l.sum();
  };
  // The variance's gradient too (the trainer's MAPE goes through it, not through jitter_z).
  const auto loss_of_var = [](const at::Tensor& v) { return (v * 1e4).sum(); };
  net->zero_grad();
  loss_of(out.delay, out.jitter_z, out.loss_logit).backward();
  std::vector<at::Tensor> grads;
  for (const auto& p : net->parameters()) grads.push_back(p.grad().clone());
  net->zero_grad();
  loss_of(ref.delay, ref.jitter_z, ref.loss_logit).backward();
  const auto params = net->named_parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_LE(rel_err(grads[i], params[i].value().grad()), tol * 10) << tag << " " << params[i].key();
  }
  net->zero_grad();
  loss_of_var(net->forward(in).jitter_var).backward();
  grads.clear();
  for (const auto& p : net->parameters())
    grads.push_back(p.grad().defined() ? p.grad().clone() : at::zeros_like(p));
  net->zero_grad();
  loss_of_var(reference_forward(net, in, raw_traffic).jitter_var).backward();  // a fresh graph
  for (std::size_t i = 0; i < params.size(); ++i) {
    const at::Tensor g = params[i].value().grad();
    EXPECT_LE(rel_err(grads[i], g.defined() ? g : at::zeros_like(grads[i])), tol * 10)
        << tag << " jitter " << params[i].key();
  }

  // Inference (the CPU cache-blocked path) against the same reference.
  const c10::InferenceMode guard;
  const model::RouteNetOutput inf = net->forward(in);
  EXPECT_LE(rel_err(inf.delay, ref.delay), tol) << tag;
  EXPECT_LE(rel_err(inf.jitter_z, ref.jitter_z), tol) << tag;
  EXPECT_LE(rel_err(inf.jitter_var, ref.jitter_var), tol) << tag;
  EXPECT_LE(rel_err(inf.loss_logit, ref.loss_logit), tol) << tag;
  EXPECT_LE(rel_err(inf.path_state, ref.path_state), tol) << tag;
  EXPECT_LE(rel_err(inf.queue_state, ref.queue_state), tol) << tag;
}

TEST(RouteNet, MatchesTheReferenceInDouble) { expect_matches_reference(torch::kDouble, 1e-12); }

TEST(RouteNet, MatchesTheReferenceInFloat) { expect_matches_reference(torch::kFloat, 1e-5); }

TEST(RouteNet, MatchesTheReferenceWithACapacityInput) { expect_matches_reference(torch::kDouble, 1e-12, true); }

TEST(RouteNet, MatchesTheReferenceWithPlainSummedMessages) {
  expect_matches_reference(torch::kDouble, 1e-12, false, false);
  expect_matches_reference(torch::kFloat, 1e-5, false, false);
}

// hop_load is each hop's path traffic / link capacity, in position order; a ModelInput without it is
// refused when the messages are weighted.
TEST(RouteNet, HopLoadIsTrafficOverCapacityPerHop) {
  const model::SampleTensors raw = model::featurize(three_node(), {.dtype = torch::kDouble});
  const std::vector<model::SampleTensors> parts{raw};
  model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  ASSERT_EQ(in.hop_load.size(0), raw.num_hops());
  for (std::int64_t k = 0; k < in.hop_load.size(0); ++k) {
    const std::int64_t p = in.pos_path[k].item<std::int64_t>();
    const std::int64_t l = in.pos_link[k].item<std::int64_t>();
    EXPECT_DOUBLE_EQ(in.hop_load[k].item<double>(),
                     raw.path_x[p][model::path_col::traffic].item<double>() / raw.link_x[l][model::link_col::capacity].item<double>())
        << k;
  }
  model::RouteNet net(model::RouteNetConfig{});  // load-weighted by default
  net->to(torch::kDouble);
  in.hop_load = at::Tensor();
  EXPECT_THROW((void)net->forward(in), Error);
}

// The link embedding reads the capacity column only with capacity_input: changing the normalised
// capacity (not the raw one the delay readout divides by) changes nothing without it, and the link
// states and delays with it.
TEST(RouteNet, CapacityColumnReachesTheLinkEmbeddingOnlyWithCapacityInput) {
  torch::set_num_threads(1);
  const std::vector<model::SampleTensors> parts{model::featurize(line(6, 2e4), {.dtype = torch::kDouble}),
                                                model::featurize(three_node(), {.dtype = torch::kDouble})};
  const model::ModelInput in = model::make_input(model::batch(parts), model::Normalizer::fit(parts));
  model::ModelInput shifted = in;
  shifted.x.link_x = in.x.link_x.clone();
  shifted.x.link_x.select(1, model::link_col::capacity).add_(25.0);  // a link far outside the training range
  for (const bool capacity_input : {false, true}) {
    model::RouteNetConfig cfg;
    cfg.iterations = 2;
    cfg.capacity_input = capacity_input;
    torch::manual_seed(3);
    model::RouteNet net(cfg);
    net->to(torch::kDouble);
    const c10::InferenceMode guard;
    const model::RouteNetOutput a = net->forward(in);
    const model::RouteNetOutput b = net->forward(shifted);
    const double link_change = (a.link_state - b.link_state).abs().max().item<double>();
    const double delay_change = ((a.delay - b.delay).abs() / a.delay.abs()).max().item<double>();
    if (capacity_input) {
      EXPECT_GT(link_change, 1e-6);
      EXPECT_GT(delay_change, 1e-9);
    } else {
      EXPECT_EQ(link_change, 0.0);
      EXPECT_EQ(delay_change, 0.0);
    }
  }
}

TEST(RouteNet, OutputShapesForABatchOfTwo) {
  torch::set_num_threads(1);
  torch::manual_seed(3);
  const std::vector<model::SampleTensors> parts{model::featurize(three_node()),
                                                model::featurize(line(4, 2e4))};
  const model::SampleTensors raw = model::batch(parts);
  const model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  model::RouteNetConfig cfg;
  cfg.iterations = 2;
  model::RouteNet net(cfg);
  const model::RouteNetOutput out = net->forward(in);
  const std::int64_t P = 6 + 12;
  EXPECT_EQ(raw.num_paths(), P);
  EXPECT_EQ(out.delay.sizes(), (std::vector<std::int64_t>{P}));
  EXPECT_EQ(out.jitter(net->config()).sizes(), (std::vector<std::int64_t>{P}));
  EXPECT_EQ(out.loss().sizes(), (std::vector<std::int64_t>{P}));
  EXPECT_EQ(out.path_state.sizes(), (std::vector<std::int64_t>{P, 32}));
  EXPECT_EQ(out.link_state.sizes(), (std::vector<std::int64_t>{4 + 6, 32}));
  EXPECT_EQ(out.queue_state.sizes(), (std::vector<std::int64_t>{10 + 6, 32}));
  EXPECT_TRUE(torch::isfinite(out.delay).all().item<bool>());
  EXPECT_TRUE(((out.loss() >= 0) & (out.loss() <= 1)).all().item<bool>());
  EXPECT_TRUE((out.jitter_var > 0).all().item<bool>());
  EXPECT_EQ(out.hop_jitter_std.size(0), raw.num_hops());
  // Gradients reach the embeddings, from the delay and from the jitter; the jitter head gets none
  // from the delay and the occupancy head none from the jitter.
  const auto grad_sum = [&](const std::string& prefix) {
    double g = 0;
    for (const auto& p : net->named_parameters())
      if (p.key().rfind(prefix, 0) == 0 && p.value().grad().defined()) g += p.value().grad().abs().sum().item<double>();
    return g;
  };
  out.delay.sum().backward({}, /*retain_graph=*/true);
  EXPECT_GT(grad_sum("path_embed"), 0.0);
  EXPECT_EQ(grad_sum("jitter_"), 0.0);
  net->zero_grad();
  (out.jitter_var * 1e4).sum().backward();
  EXPECT_GT(grad_sum("path_embed"), 0.0);
  EXPECT_GT(grad_sum("jitter_head"), 0.0);
  EXPECT_GT(grad_sum("jitter_out"), 0.0);
  EXPECT_EQ(grad_sum("occupancy_"), 0.0);
}

TEST(RouteNet, ZeroOccupancyGivesTransmissionTimes) {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  const model::SampleTensors raw = model::featurize(three_node(), {.dtype = torch::kDouble});
  const std::vector<model::SampleTensors> parts{raw};
  const model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  model::RouteNet net(model::RouteNetConfig{});
  net->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    net->occupancy_output()->weight.zero_();
    net->occupancy_output()->bias.zero_();
  }
  const model::RouteNetOutput out = net->forward(in);
  // Paths 0->1, 0->2, 1->0, 1->2, 2->0, 2->1; every link is 1e4 bit/s:
  // transmission time = mean packet size * sum over hops of 1 / capacity.
  const std::vector<double> expected{1000 * 1e-4, 780 * 2e-4, 1000 * 1e-4,
                                     780 * 1e-4,  1000 * 2e-4, 1000 * 1e-4};
  ASSERT_EQ(out.delay.size(0), 6);
  for (std::int64_t p = 0; p < 6; ++p) {
    EXPECT_NEAR(out.delay[p].item<double>(), expected[static_cast<std::size_t>(p)], 1e-12) << p;
    EXPECT_EQ(out.queue_delay[p].item<double>(), 0.0) << p;
  }
  // With a constant positive occupancy c the queueing part is c / capacity per hop.
  {
    torch::NoGradGuard g;
    net->occupancy_output()->bias.fill_(0.5);
  }
  const model::RouteNetOutput out2 = net->forward(in);
  const double c = 0.5 * net->config().occupancy_scale;
  EXPECT_NEAR(out2.queue_delay[1].item<double>(), 2 * c / 1e4, 1e-12);
  EXPECT_NEAR(out2.queue_delay[3].item<double>(), c / 1e4, 1e-12);
}

TEST(RouteNet, PositiveOccupancyIsSoftplusOfTheHead) {
  torch::set_num_threads(1);
  const model::SampleTensors raw = model::featurize(three_node(), {.dtype = torch::kDouble});
  const std::vector<model::SampleTensors> parts{raw};
  const model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  model::RouteNetConfig cfg;
  cfg.positive_occupancy = true;
  torch::manual_seed(5);
  model::RouteNet net(cfg);
  net->to(torch::kDouble);
  // A constant head output b gives softplus(b) * occupancy_scale / capacity per hop, whatever b's sign.
  for (const double b : {-3.0, 0.0, 2.0}) {
    {
      torch::NoGradGuard g;
      net->occupancy_output()->weight.zero_();
      net->occupancy_output()->bias.fill_(b);
    }
    const model::RouteNetOutput out = net->forward(in);
    const double c = std::log1p(std::exp(b)) * cfg.occupancy_scale;
    EXPECT_NEAR(out.queue_delay[1].item<double>(), 2 * c / 1e4, 1e-12) << b;  // path 0->2: two hops
    EXPECT_NEAR(out.queue_delay[3].item<double>(), c / 1e4, 1e-12) << b;
  }
  // With random weights of both signs every delay stays above the transmission time.
  torch::manual_seed(9);
  model::RouteNet other(cfg);
  other->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    other->occupancy_output()->bias.fill_(-20.0);  // deep in the negative range
  }
  const model::RouteNetOutput o2 = other->forward(in);
  for (std::int64_t p = 0; p < o2.queue_delay.size(0); ++p) EXPECT_GT(o2.queue_delay[p].item<double>(), 0.0) << p;
}

TEST(RouteNet, JitterReadoutByHand) {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  const model::SampleTensors raw = model::featurize(three_node(), {.dtype = torch::kDouble});
  const std::vector<model::SampleTensors> parts{raw};
  const model::ModelInput in = model::make_input(raw, model::Normalizer::fit(parts));
  model::RouteNetConfig cfg;
  cfg.occupancy_scale = 800;
  cfg.jitter_log_mean = -4;
  cfg.jitter_log_std = 2;
  model::RouteNet net(cfg);
  net->to(torch::kDouble);
  // A constant head output b: every hop's std is softplus(b) * scale / capacity.
  const double b = 0.3;
  {
    torch::NoGradGuard g;
    net->jitter_output()->weight.zero_();
    net->jitter_output()->bias.fill_(b);
  }
  const model::RouteNetOutput out = net->forward(in);
  const double sigma = std::log1p(std::exp(b)) * 800 / 1e4;  // every link is 1e4 bit/s
  // Paths 0->1, 0->2, 1->0, 1->2, 2->0, 2->1 with 1, 2, 1, 1, 2, 1 hops: variance = hops * sigma^2.
  const std::vector<double> hops{1, 2, 1, 1, 2, 1};
  ASSERT_EQ(out.jitter_var.size(0), 6);
  for (std::int64_t p = 0; p < 6; ++p) {
    const double v = hops[static_cast<std::size_t>(p)] * sigma * sigma;
    EXPECT_NEAR(out.jitter_var[p].item<double>(), v, 1e-15) << p;
    EXPECT_NEAR(out.jitter(net->config())[p].item<double>(), v, 1e-15) << p;
    EXPECT_NEAR(out.jitter_z[p].item<double>(), (std::log(v) + 4) / 2, 1e-12) << p;
  }
  EXPECT_TRUE(torch::allclose(out.hop_jitter_std, torch::full({8}, sigma, torch::kDouble)));
  // The log-scale fields only move jitter_z, not the variance.
  net->set_scales(800, 1.0, 0.5);
  const model::RouteNetOutput out2 = net->forward(in);
  EXPECT_TRUE(torch::equal(out2.jitter_var, out.jitter_var));
  EXPECT_NEAR(out2.jitter_z[1].item<double>(), (std::log(2 * sigma * sigma) - 1.0) / 0.5, 1e-12);
}

TEST(RouteNet, EmptyInputThrows) {
  net::Sample s = line(3, 1e4);
  for (auto& p : s.traffic.pairs) p.clear();
  for (auto& r : s.routing.paths) r.clear();
  try {
    (void)model::make_input(model::featurize(s), model::Normalizer());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no paths"), std::string::npos) << e.what();
  }
}

}  // namespace
