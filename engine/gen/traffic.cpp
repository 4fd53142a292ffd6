#include "gen/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "net/error.hpp"

namespace autoopt::gen {

net::Node make_node(const NodeParams& p, Rng& rng) {
  net::Node node;
  node.policy = static_cast<net::Policy>(rng.choice(p.policy_weights));
  const double buffer = p.buffer_values[static_cast<std::size_t>(rng.below(p.buffer_values.size()))];
  if (node.policy == net::Policy::FIFO) {
    node.buffer_bits = {buffer};
    node.queue_tos = {{0, 1, 2}};
    return node;
  }
  node.buffer_bits = {buffer, buffer, buffer};
  node.queue_tos = {{0}, {1}, {2}};
  if (node.policy == net::Policy::WFQ) {
    node.weights = p.wfq_weights[static_cast<std::size_t>(rng.below(p.wfq_weights.size()))];
  } else if (node.policy == net::Policy::DRR) {
    node.weights = p.drr_weights[static_cast<std::size_t>(rng.below(p.drr_weights.size()))];
  }
  return node;
}

net::Traffic make_traffic(int n, const net::Routing& routing, const TrafficParams& p, Rng& rng) {
  if (n < 2) throw Error("make_traffic: n = " + std::to_string(n) + ", expected >= 2");
  const auto nn = static_cast<std::size_t>(n);
  if (routing.paths.size() != nn * nn) {
    throw Error("make_traffic: routing has " + std::to_string(routing.paths.size()) + " paths, expected " +
                std::to_string(nn * nn));
  }
  net::Traffic t;
  t.pairs.assign(nn * nn, {});
  const double ti = rng.uniform(p.ti_min, p.ti_max);
  const double per_dst = ti / static_cast<double>(n - 1);
  t.max_avg_lambda = std::min(p.avg_bw_max, per_dst);
  for (std::size_t k = 0; k < nn * nn; ++k) {
    if (k / nn == k % nn || routing.paths[k].empty()) continue;
    if (p.pair_fraction < 1.0 && !(rng.uniform() < p.pair_fraction)) continue;
    net::Flow f;
    f.eq_lambda_bps =
        std::clamp(rng.uniform(p.bw_factor_min, p.bw_factor_max) * per_dst, p.avg_bw_min, p.avg_bw_max);
    const auto& probs = p.size_profiles[rng.choice(p.profile_weights)];
    double mean = 0.0;
    for (std::size_t i = 0; i < probs.size(); ++i) {
      if (probs[i] <= 0.0) continue;
      f.candidates.push_back({p.pkt_sizes[i], probs[i]});
      mean += p.pkt_sizes[i] * probs[i];
    }
    f.size_dist = net::SizeDist::Generic;
    f.avg_pkt_size_bits = std::floor(mean * (1.0 + 1e-9));
    const double pkts = f.eq_lambda_bps / f.avg_pkt_size_bits;
    switch (rng.choice(p.time_weights)) {
      case 0:
        f.time_dist = net::TimeDist::Poisson;
        f.time_params = {pkts, p.exp_max_factor};
        break;
      case 1:
        f.time_dist = net::TimeDist::CBR;
        f.time_params = {pkts};
        break;
      default:
        f.time_dist = net::TimeDist::OnOff;
        f.time_params = {pkts * (p.onoff_t_on + p.onoff_t_off) / p.onoff_t_on, p.onoff_t_off, p.onoff_t_on,
                         p.exp_max_factor};
        break;
    }
    f.tos = static_cast<int>(rng.choice(p.tos_probs));
    t.pairs[k].push_back(std::move(f));
  }
  return t;
}

std::vector<double> link_loads(const net::Topology& topo, const net::Routing& routing, const net::Traffic& traffic) {
  std::vector<double> load(topo.links.size(), 0.0);
  for (std::size_t k = 0; k < traffic.pairs.size() && k < routing.paths.size(); ++k) {
    double bw = 0.0;
    for (const auto& f : traffic.pairs[k]) bw += f.eq_lambda_bps;
    if (bw == 0.0) continue;
    const auto& path = routing.paths[k];
    for (std::size_t h = 0; h + 1 < path.size(); ++h) {
      const int li = topo.find_link(path[h], path[h + 1]);
      if (li < 0) {
        throw Error("link_loads: path of pair " + std::to_string(k) + " uses a missing link " +
                    std::to_string(path[h]) + "->" + std::to_string(path[h + 1]));
      }
      load[static_cast<std::size_t>(li)] += bw;
    }
  }
  return load;
}

double snap_capacity(double wanted, const CapacityParams& p) {
  double c = wanted;
  if (!p.capacity_values.empty()) {
    double best = p.capacity_values.front();
    for (const double v : p.capacity_values) {
      if (std::fabs(std::log(v / wanted)) < std::fabs(std::log(best / wanted))) best = v;
    }
    c = best;
  } else {
    c = std::round(wanted / p.capacity_step) * p.capacity_step;
  }
  return std::clamp(c, p.capacity_min, p.capacity_max);
}

void assign_capacities(net::Topology& topo, const net::Routing& routing, const net::Traffic& traffic,
                       const CapacityParams& p, Rng& rng) {
  const std::vector<double> load = link_loads(topo, routing, traffic);
  const double rho = rng.uniform(p.load_min, p.load_max);
  for (std::size_t i = 0; i < topo.links.size(); ++i) {
    net::Link& l = topo.links[i];
    if (l.src > l.dst) continue;  // set with its partner
    const int back = topo.find_link(l.dst, l.src);
    if (back < 0) {
      throw Error("assign_capacities: link " + std::to_string(l.src) + "->" + std::to_string(l.dst) +
                  " has no reverse link, expected bidirectional links");
    }
    const double traffic_bps = std::max(load[i], load[static_cast<std::size_t>(back)]);
    const double jitter = rng.log_uniform(1.0 / p.load_jitter, p.load_jitter);
    const double cap = traffic_bps > 0.0 ? snap_capacity(traffic_bps / (rho * jitter), p) : p.capacity_min;
    l.bandwidth_bps = cap;
    topo.links[static_cast<std::size_t>(back)].bandwidth_bps = cap;
  }
}

}  // namespace autoopt::gen
