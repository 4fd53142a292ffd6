#include "net/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace autoopt::net {

std::array<double, 5> Distribution::quantiles() const {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (values.empty()) return {nan, nan, nan, nan, nan};
  std::vector<double> v = values;
  std::sort(v.begin(), v.end());
  const auto at = [&v](double q) {
    const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(v.size() - 1) + 0.5));
    return v[std::min(i, v.size() - 1)];
  };
  return {v.front(), at(0.1), at(0.5), at(0.9), v.back()};
}

void DatasetSummary::add(const Sample& s) {
  ++samples_;
  const int n = s.num_nodes();
  ++sizes_[n];
  for (const Node& node : s.topology.nodes) ++policies_[static_cast<std::size_t>(node.policy)];
  links_ += static_cast<std::int64_t>(s.topology.links.size());
  for (const Link& l : s.topology.links) bandwidth_.add(l.bandwidth_bps);
  for (std::size_t k = 0; k < s.traffic.pairs.size(); ++k) {
    for (const Flow& f : s.traffic.pairs[k]) {
      ++flows_;
      ++time_dists_[static_cast<int>(f.time_dist)];
      ++tos_[f.tos];
      eq_lambda_.add(f.eq_lambda_bps);
      if (k < s.routing.paths.size() && !s.routing.paths[k].empty()) {
        path_len_.add(static_cast<double>(s.routing.paths[k].size() - 1));
      }
    }
  }
  if (!s.results) return;
  ++labelled_;
  const Results& r = *s.results;
  sim_time_.add(r.run.sim_time);
  for (std::size_t k = 0; k < r.pairs.size(); ++k) {
    const PathStats& p = r.pairs[k];
    if (p.pkts_gen <= 0) continue;
    loss_.add(p.loss_ratio());
    if (p.avg_delay >= 0) {
      delay_.add(p.avg_delay);
      jitter_.add(p.jitter);
    }
  }
  for (const PortStats& p : r.ports) link_util_.add(p.utilization);
}

namespace {

void line(std::string& out, const char* name, const Distribution& d, const char* unit) {
  const auto q = d.quantiles();
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-22s min %-11.4g p10 %-11.4g p50 %-11.4g p90 %-11.4g max %-11.4g %s\n",
                name, q[0], q[1], q[2], q[3], q[4], unit);
  out += buf;
}

}  // namespace

std::string DatasetSummary::to_text() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "samples: %lld (%lld with results), flows: %lld, directed links: %lld\n",
                static_cast<long long>(samples_), static_cast<long long>(labelled_),
                static_cast<long long>(flows_), static_cast<long long>(links_));
  out += buf;
  out += "sizes (nodes: samples):";
  for (const auto& [n, c] : sizes_) {
    std::snprintf(buf, sizeof buf, " %d:%lld", n, static_cast<long long>(c));
    out += buf;
  }
  std::int64_t nodes = 0;
  for (auto c : policies_) nodes += c;
  out += "\npolicies (share of nodes):";
  for (int p = 0; p < 4; ++p) {
    std::snprintf(buf, sizeof buf, " %s %.1f%%", to_string(static_cast<Policy>(p)),
                  nodes ? 100.0 * static_cast<double>(policies_[static_cast<std::size_t>(p)]) / static_cast<double>(nodes) : 0.0);
    out += buf;
  }
  static constexpr const char* kTd[] = {"Poisson", "CBR", "Uniform", "Normal", "ON-OFF", "PPBP", "trace"};
  out += "\ntime distributions (share of flows):";
  for (const auto& [td, c] : time_dists_) {
    std::snprintf(buf, sizeof buf, " %s %.1f%%", (td >= 0 && td < 7) ? kTd[td] : "?",
                  flows_ ? 100.0 * static_cast<double>(c) / static_cast<double>(flows_) : 0.0);
    out += buf;
  }
  out += "\nToS (share of flows):";
  for (const auto& [t, c] : tos_) {
    std::snprintf(buf, sizeof buf, " %d: %.1f%%", t,
                  flows_ ? 100.0 * static_cast<double>(c) / static_cast<double>(flows_) : 0.0);
    out += buf;
  }
  out += "\ninputs:\n";
  line(out, "link bandwidth", bandwidth_, "bit/s");
  line(out, "flow rate (EqLambda)", eq_lambda_, "bit/s");
  line(out, "path length", path_len_, "hops");
  if (labelled_ > 0) {
    out += "labels:\n";
    line(out, "mean delay", delay_, "s");
    line(out, "jitter (variance)", jitter_, "s^2");
    line(out, "loss ratio", loss_, "");
    line(out, "link utilization", link_util_, "");
    line(out, "simulated time", sim_time_, "s");
  }
  return out;
}

}  // namespace autoopt::net
