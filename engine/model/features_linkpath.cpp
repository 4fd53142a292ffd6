// RouteNet-Fermi features of link-path samples (measured data whose flows give their path as a link
// sequence, e.g. GNNet 2023): one path row per PathFlow, hops straight from the link indices.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "model/features.hpp"
#include "net/error.hpp"

namespace autoopt::model {
namespace {

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// Row-major rows of `cols` doubles, turned into one tensor at the end.
struct Rows {
  std::int64_t cols;
  std::vector<double> data;
  double* add() {
    data.resize(data.size() + static_cast<std::size_t>(cols), 0.0);
    return data.data() + data.size() - static_cast<std::size_t>(cols);
  }
  [[nodiscard]] at::Tensor tensor(at::ScalarType dtype) {
    const auto rows = static_cast<std::int64_t>(data.size()) / cols;
    if (rows == 0) return at::zeros({0, cols}, at::TensorOptions().dtype(dtype));
    return at::from_blob(data.data(), {rows, cols}, at::kDouble).to(dtype, false, true);
  }
};

at::Tensor longs(std::vector<std::int64_t>& v) {
  if (v.empty()) return at::zeros({0}, at::kLong);
  return at::from_blob(v.data(), {static_cast<std::int64_t>(v.size())}, at::kLong).clone();
}

std::string flow_name(const net::PathFlow& f, std::size_t i) {
  return "flow " + std::to_string(i) + (f.name.empty() ? std::string() : " (" + f.name + ")");
}

}  // namespace

SampleTensors featurize_link_paths(const net::Sample& sample, const FeatureOptions& options) {
  const net::Topology& topo = sample.topology;
  const auto& flows = sample.link_paths.flows;
  const int n = topo.num_nodes();
  if (flows.empty()) throw Error("featurize: the sample has no link-path flows");

  // Links and their queues, as for routed samples.
  Rows link_x{link_col::count, {}};
  Rows queue_x{queue_col::count, {}};
  std::vector<std::int64_t> queue_to_link, queue_position, link_queue_offsets{0};
  std::vector<int> queue_tos0(topo.links.size(), -1);  // queue of ToS 0 at each link's source port
  for (std::size_t l = 0; l < topo.links.size(); ++l) {
    const net::Link& link = topo.links[l];
    const std::string who = "link " + std::to_string(l) + " (" + std::to_string(link.src) + " -> " +
                            std::to_string(link.dst) + ")";
    if (link.src < 0 || link.src >= n || link.dst < 0 || link.dst >= n) {
      throw Error("featurize: " + who + " has an endpoint outside [0, " + std::to_string(n) + ")");
    }
    if (!(link.bandwidth_bps > 0) || !std::isfinite(link.bandwidth_bps)) {
      throw Error("featurize: " + who + " has bandwidth " + num(link.bandwidth_bps) +
                  ", expected a finite number > 0");
    }
    const net::Node& node = topo.nodes[static_cast<std::size_t>(link.src)];
    double* lrow = link_x.add();
    lrow[link_col::capacity] = link.bandwidth_bps;
    lrow[link_col::policy_fifo + static_cast<int>(node.policy)] = 1.0;

    const int nq = node.num_queues();
    if (nq < 1 || nq > kMaxQueues) {
      throw Error("featurize: node " + std::to_string(link.src) + " has " + std::to_string(nq) +
                  " queues, expected 1.." + std::to_string(kMaxQueues));
    }
    double weight_sum = 0.0;
    for (const double w : node.weights) weight_sum += w;
    const bool weighted = !node.weights.empty() && weight_sum > 0;
    if (weighted && static_cast<int>(node.weights.size()) != nq) {
      throw Error("featurize: node " + std::to_string(link.src) + " has " +
                  std::to_string(node.weights.size()) + " weights for " + std::to_string(nq) +
                  " queues");
    }
    for (int q = 0; q < nq; ++q) {
      double* qrow = queue_x.add();
      qrow[queue_col::buffer] = node.buffer_bits[static_cast<std::size_t>(q)];
      qrow[queue_col::priority_0 + q] = 1.0;
      qrow[queue_col::weight] =
          weighted ? node.weights[static_cast<std::size_t>(q)] / weight_sum : 0.0;
      queue_to_link.push_back(static_cast<std::int64_t>(l));
      queue_position.push_back(q);
    }
    // Link-path flows carry no ToS: they join the queue of ToS 0 (the only queue of a FIFO port).
    const int q0 = node.queue_of_tos(0);
    queue_tos0[l] = q0 >= 0 ? q0 : (nq == 1 ? 0 : -1);
    link_queue_offsets.push_back(static_cast<std::int64_t>(queue_to_link.size()));
  }

  // Paths: one per flow, in flow order.
  Rows path_x{path_col::count, {}};
  std::vector<std::int64_t> path_offsets{0}, hop_path, hop_position, path_to_link, path_to_queue;
  std::vector<std::int64_t> path_pair, path_flow;
  std::vector<double> link_traffic(topo.links.size(), 0.0);
  std::int64_t max_len = 0;
  bool measured = false;
  const auto num_links = static_cast<std::int64_t>(topo.links.size());
  for (std::size_t f = 0; f < flows.size(); ++f) {
    const net::PathFlow& flow = flows[f];
    const std::string who = flow_name(flow, f);
    if (flow.links.empty()) throw Error("featurize: " + who + " has an empty path");
    if (!(flow.avg_pkt_size_bits > 0) || !std::isfinite(flow.avg_pkt_size_bits)) {
      throw Error("featurize: " + who + " has mean packet size " + num(flow.avg_pkt_size_bits) +
                  " bits, expected a finite number > 0");
    }
    if (!(flow.traffic_bps >= 0) || !std::isfinite(flow.traffic_bps)) {
      throw Error("featurize: " + who + " has traffic " + num(flow.traffic_bps) +
                  " bit/s, expected a finite number >= 0");
    }
    if (!(flow.packets_per_s >= 0) || !std::isfinite(flow.packets_per_s)) {
      throw Error("featurize: " + who + " has " + num(flow.packets_per_s) +
                  " packets/s, expected a finite number >= 0");
    }
    const auto p = static_cast<std::int64_t>(f);
    const auto hops = static_cast<std::int64_t>(flow.links.size());
    max_len = std::max(max_len, hops);
    double* row = path_x.add();
    row[path_col::traffic] = flow.traffic_bps;
    row[path_col::packets] = flow.packets_per_s;
    row[path_col::pkt_size] = flow.avg_pkt_size_bits;
    row[path_col::eq_lambda] = flow.traffic_bps;
    switch (flow.time_dist) {
      case net::TimeDist::Poisson: row[path_col::td_poisson] = 1.0; break;
      case net::TimeDist::CBR: row[path_col::td_cbr] = 1.0; break;
      case net::TimeDist::OnOff: row[path_col::td_onoff] = 1.0; break;  // parameters unknown: 0
      default: row[path_col::td_other] = 1.0; break;
    }
    row[path_col::length] = static_cast<double>(hops);
    for (std::int64_t j = 0; j < hops; ++j) {
      const int l = flow.links[static_cast<std::size_t>(j)];
      if (l < 0 || l >= num_links) {
        throw Error("featurize: " + who + " hop " + std::to_string(j) + " uses link " +
                    std::to_string(l) + ", expected 0.." + std::to_string(num_links - 1));
      }
      const int q = queue_tos0[static_cast<std::size_t>(l)];
      if (q < 0) {
        throw Error("featurize: node " + std::to_string(topo.links[static_cast<std::size_t>(l)].src) +
                    " has no queue for ToS 0 (link-path flows have no ToS), used by " + who);
      }
      hop_path.push_back(p);
      hop_position.push_back(j);
      path_to_link.push_back(l);
      path_to_queue.push_back(link_queue_offsets[static_cast<std::size_t>(l)] + q);
      link_traffic[static_cast<std::size_t>(l)] += flow.traffic_bps;
    }
    path_offsets.push_back(static_cast<std::int64_t>(hop_path.size()));
    const auto& first = topo.links[static_cast<std::size_t>(flow.links.front())];
    const auto& last = topo.links[static_cast<std::size_t>(flow.links.back())];
    path_pair.push_back(static_cast<std::int64_t>(first.src) * n + last.dst);
    path_flow.push_back(p);
    measured = measured || flow.avg_delay >= 0;
  }
  for (std::size_t l = 0; l < topo.links.size(); ++l) {
    link_x.data[l * static_cast<std::size_t>(link_col::count) + link_col::load] =
        link_traffic[l] / topo.links[l].bandwidth_bps;
  }

  SampleTensors t;
  if (sample.results || measured) {
    Rows labels{label_col::count, {}};
    for (const net::PathFlow& flow : flows) {
      double* row = labels.add();
      row[label_col::delay] = flow.avg_delay >= 0 && std::isfinite(flow.avg_delay) ? flow.avg_delay : -1.0;
      row[label_col::jitter] = -1.0;  // not measured: masked (label <= 0)
      row[label_col::loss] = -1.0;    // not measured: masked (label < 0)
      row[label_col::pkt_size] = flow.avg_pkt_size_bits;
    }
    t.labels = labels.tensor(options.dtype);
  }
  const auto num_paths = static_cast<std::int64_t>(flows.size());
  const auto num_queues = static_cast<std::int64_t>(queue_to_link.size());
  t.path_x = path_x.tensor(options.dtype);
  t.link_x = link_x.tensor(options.dtype);
  t.queue_x = queue_x.tensor(options.dtype);
  t.path_offsets = longs(path_offsets);
  t.hop_path = longs(hop_path);
  t.hop_position = longs(hop_position);
  t.path_to_link = longs(path_to_link);
  t.path_to_queue = longs(path_to_queue);
  t.queue_to_link = longs(queue_to_link);
  t.queue_position = longs(queue_position);
  t.link_queue_offsets = longs(link_queue_offsets);
  t.path_pair = longs(path_pair);
  t.path_flow = longs(path_flow);
  t.path_sample = at::zeros({num_paths}, at::kLong);
  t.link_sample = at::zeros({num_links}, at::kLong);
  t.queue_sample = at::zeros({num_queues}, at::kLong);
  t.num_samples = 1;
  t.max_path_length = max_len;
  return t;
}

}  // namespace autoopt::model
