// Scale-independent indicators (see indicators.hpp and docs/indicators.md).
#include "gen/indicators.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "io/convert.hpp"
#include "net/error.hpp"

namespace autoopt::gen {

namespace {

constexpr std::array<IndicatorInfo, kNumIndicators> kCatalog{{
    {Indicator::LinkUtilization, "link_utilization", "Link utilisation", "1", Scope::Link, false, true,
     "Port utilisation U of each directed link: transmitted bit/s divided by the link capacity."},
    {Indicator::LinkLoss, "link_loss", "Link loss ratio", "1", Scope::Link, false, true,
     "Port loss ratio L of each directed link: dropped packets divided by packets arriving at the port."},
    {Indicator::QueueOccupancy, "queue_occupancy", "Queue occupancy / buffer", "1", Scope::Queue, true, true,
     "Mean occupancy of each queue that carried traffic (mean sojourn x bandwidth, bits) divided by the "
     "queue's buffer size; can exceed 1 because occupancy measures time."},
    {Indicator::PathDelay, "path_delay", "Path mean delay", "s", Scope::Path, true, false,
     "Mean end-to-end delay of the delivered packets of each path (not scale-free; shown for context)."},
    {Indicator::PathDelayNorm, "path_delay_norm", "Path delay / transmission time", "1", Scope::Path, true, true,
     "Mean delay divided by the path's transmission-time sum: mean packet size x sum over hops of "
     "1/capacity (1 = no queueing)."},
    {Indicator::PathJitterCv, "path_jitter_cv", "Path delay coefficient of variation", "1", Scope::Path, false,
     true, "sqrt(jitter) / mean delay of each path with delivered packets (jitter is the delay variance)."},
    {Indicator::PathLoss, "path_loss", "Path loss ratio", "1", Scope::Path, false, true,
     "Dropped packets divided by generated packets of each path that generated packets."},
    {Indicator::PathBandwidth, "path_bandwidth", "Path bandwidth / mean path bandwidth", "1", Scope::Path, true,
     true, "Offered traffic of each path (sum of its flows' EqLambda, bit/s) divided by the mean offered "
           "traffic of the network's paths (how unevenly the traffic is spread over the pairs)."},
    {Indicator::PathLength, "path_length", "Path length / diameter", "1", Scope::Path, false, true,
     "Hops of each path divided by the network's hop diameter."},
    {Indicator::NodeDegree, "node_degree", "Node degree / mean degree", "1", Scope::Node, false, true,
     "Out-degree of each node divided by the network's mean out-degree."},
}};

// Thrown by the per-sample callback to stop reading a dataset early (max_samples reached).
struct StopReading {};

std::string sample_name(const net::Sample& s) {
  return "sample " + std::to_string(s.id) + (s.graph_name.empty() ? "" : " (" + s.graph_name + ")");
}

// Per-node sorted (dst, link index) lists for fast link lookup.
class LinkIndex {
 public:
  explicit LinkIndex(const net::Topology& topo) : out_(static_cast<std::size_t>(topo.num_nodes())) {
    const int n = topo.num_nodes();
    for (std::size_t i = 0; i < topo.links.size(); ++i) {
      const net::Link& l = topo.links[i];
      if (l.src < 0 || l.src >= n || l.dst < 0 || l.dst >= n) {
        throw Error("link " + std::to_string(i) + " (" + std::to_string(l.src) + "->" + std::to_string(l.dst) +
                    "): node id outside 0.." + std::to_string(n - 1));
      }
      out_[static_cast<std::size_t>(l.src)].emplace_back(l.dst, static_cast<int>(i));
    }
    for (auto& v : out_) std::sort(v.begin(), v.end());
  }
  [[nodiscard]] int find(int src, int dst) const {
    const auto& v = out_[static_cast<std::size_t>(src)];
    const auto it = std::lower_bound(v.begin(), v.end(), std::pair<int, int>(dst, -1));
    return it != v.end() && it->first == dst ? it->second : -1;
  }
  [[nodiscard]] const std::vector<std::pair<int, int>>& out(int src) const {
    return out_[static_cast<std::size_t>(src)];
  }

 private:
  std::vector<std::vector<std::pair<int, int>>> out_;
};

int diameter(const net::Topology& topo, const LinkIndex& index) {
  const int n = topo.num_nodes();
  int best = 0;
  std::vector<int> dist(static_cast<std::size_t>(n));
  std::vector<int> queue(static_cast<std::size_t>(n));
  for (int s = 0; s < n; ++s) {
    std::fill(dist.begin(), dist.end(), -1);
    dist[static_cast<std::size_t>(s)] = 0;
    std::size_t head = 0, tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      const int u = queue[head++];
      for (const auto& [v, link] : index.out(u)) {
        if (dist[static_cast<std::size_t>(v)] < 0) {
          dist[static_cast<std::size_t>(v)] = dist[static_cast<std::size_t>(u)] + 1;
          best = std::max(best, dist[static_cast<std::size_t>(v)]);
          queue[tail++] = v;
        }
      }
    }
  }
  return best;
}

}  // namespace

std::span<const IndicatorInfo> indicator_catalog() noexcept { return kCatalog; }

const IndicatorInfo& indicator_info(Indicator id) noexcept { return kCatalog[static_cast<std::size_t>(id)]; }

std::string_view to_string(Scope s) noexcept {
  switch (s) {
    case Scope::Link: return "link";
    case Scope::Queue: return "queue";
    case Scope::Path: return "path";
    case Scope::Node: return "node";
  }
  return "?";
}

int hop_diameter(const net::Topology& topo) { return diameter(topo, LinkIndex(topo)); }

IndicatorSet::IndicatorSet() : values_(kNumIndicators) {}

std::span<const double> IndicatorSet::values(Indicator id) const noexcept {
  return values_[static_cast<std::size_t>(id)];
}

std::span<const double> IndicatorSet::values(std::string_view name) const {
  std::string known;
  for (const IndicatorInfo& info : kCatalog) {
    if (info.name == name) return values(info.id);
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  throw Error("unknown indicator '" + std::string(name) + "' (known: " + known + ")");
}

std::string IndicatorSet::size_label() const {
  if (sizes_.empty()) return "no samples";
  const int lo = sizes_.begin()->first, hi = sizes_.rbegin()->first;
  return lo == hi ? std::to_string(lo) + " nodes" : std::to_string(lo) + "-" + std::to_string(hi) + " nodes";
}

void IndicatorSet::merge(const IndicatorSet& other) {
  for (std::size_t i = 0; i < values_.size(); ++i) {
    values_[i].insert(values_[i].end(), other.values_[i].begin(), other.values_[i].end());
  }
  samples_ += other.samples_;
  samples_without_results_ += other.samples_without_results_;
  undelivered_paths_ += other.undelivered_paths_;
  for (const auto& [n, c] : other.sizes_) sizes_[n] += c;
}

void IndicatorSet::add(const net::Sample& sample) {
  const std::string who = sample_name(sample);
  const net::Topology& topo = sample.topology;
  const int n = topo.num_nodes();
  const std::size_t nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  const LinkIndex index(topo);
  const net::Results* res = sample.results ? &*sample.results : nullptr;

  // Shape checks first, so that nothing is appended for a broken sample.
  if (!sample.traffic.pairs.empty() && sample.traffic.pairs.size() != nn) {
    throw Error(who + ": traffic has " + std::to_string(sample.traffic.pairs.size()) + " pair entries, expected " +
                std::to_string(nn) + " (N*N)");
  }
  if (!sample.routing.paths.empty() && sample.routing.paths.size() != nn) {
    throw Error(who + ": routing has " + std::to_string(sample.routing.paths.size()) + " paths, expected " +
                std::to_string(nn) + " (N*N)");
  }
  if (res != nullptr) {
    if (res->pairs.size() != nn) {
      throw Error(who + ": results have " + std::to_string(res->pairs.size()) + " pair records, expected " +
                  std::to_string(nn) + " (N*N)");
    }
    if (res->ports.size() != topo.links.size()) {
      throw Error(who + ": results have " + std::to_string(res->ports.size()) + " port records, expected " +
                  std::to_string(topo.links.size()) + " (one per link)");
    }
  }

  std::vector<std::vector<double>> fresh(kNumIndicators);
  const auto put = [&](Indicator id, double value, const std::string& where) {
    if (!std::isfinite(value)) {
      throw Error(who + ": " + std::string(indicator_info(id).name) + " of " + where + " is not finite");
    }
    fresh[static_cast<std::size_t>(id)].push_back(value);
  };

  // Per node: degree relative to the mean degree.
  if (n > 0 && !topo.links.empty()) {
    const double mean_degree = static_cast<double>(topo.links.size()) / n;
    for (int i = 0; i < n; ++i) {
      put(Indicator::NodeDegree, static_cast<double>(index.out(i).size()) / mean_degree,
          "node " + std::to_string(i));
    }
  }

  // Per link and per queue, from the port records.
  if (res != nullptr) {
    for (std::size_t i = 0; i < topo.links.size(); ++i) {
      const net::Link& l = topo.links[i];
      const net::PortStats& p = res->ports[i];
      const std::string where = "link " + std::to_string(l.src) + "->" + std::to_string(l.dst);
      put(Indicator::LinkUtilization, p.utilization, where);
      put(Indicator::LinkLoss, p.loss, where);
      const net::Node& node = topo.nodes[static_cast<std::size_t>(l.src)];
      if (p.queues.size() != node.buffer_bits.size()) {
        throw Error(who + ": " + where + " has " + std::to_string(p.queues.size()) + " queue records, but node " +
                    std::to_string(l.src) + " has " + std::to_string(node.buffer_bits.size()) + " queues");
      }
      for (std::size_t q = 0; q < p.queues.size(); ++q) {
        if (p.queues[q].utilization <= 0.0) continue;  // idle queue: no occupancy to speak of
        const double buffer = node.buffer_bits[q];
        if (!(buffer > 0.0)) {
          throw Error(who + ": node " + std::to_string(l.src) + " queue " + std::to_string(q) +
                      " has buffer size " + std::to_string(buffer) + ", expected > 0");
        }
        put(Indicator::QueueOccupancy, p.queues[q].avg_occupancy / buffer, where + " queue " + std::to_string(q));
      }
    }
  }

  // Per path.
  const int diam = diameter(topo, index);
  std::size_t undelivered = 0;
  std::vector<std::pair<double, std::string>> offered_per_path;  // path_bandwidth, normalised below
  for (int s = 0; s < n; ++s) {
    for (int d = 0; d < n; ++d) {
      if (s == d) continue;
      const std::size_t k = static_cast<std::size_t>(s) * static_cast<std::size_t>(n) + static_cast<std::size_t>(d);
      const std::vector<net::Flow>* flows = sample.traffic.pairs.empty() ? nullptr : &sample.traffic.pairs[k];
      const net::PathStats* st = res != nullptr ? &res->pairs[k] : nullptr;
      const bool has_flows = flows != nullptr && !flows->empty();
      const bool generated = st != nullptr && st->pkts_gen > 0.0;
      if (!has_flows && !generated) continue;  // not a path: no traffic
      const std::string where = "path " + std::to_string(s) + "->" + std::to_string(d);
      const std::vector<int>* path = sample.routing.paths.empty() ? nullptr : &sample.routing.paths[k];
      if (path == nullptr || path->size() < 2 || path->front() != s || path->back() != d) {
        throw Error(who + ": " + where + " carries traffic but its routing path is missing or does not run from " +
                    std::to_string(s) + " to " + std::to_string(d));
      }
      const std::size_t hops = path->size() - 1;
      double inv_capacity_sum = 0.0;  // sum over hops of 1/capacity, s/bit
      for (std::size_t h = 0; h < hops; ++h) {
        const int u = (*path)[h], v = (*path)[h + 1];
        const int link = (u >= 0 && u < n && v >= 0 && v < n) ? index.find(u, v) : -1;
        if (link < 0) {
          throw Error(who + ": " + where + " uses hop " + std::to_string(u) + "->" + std::to_string(v) +
                      ", which is not a link");
        }
        const double bw = topo.links[static_cast<std::size_t>(link)].bandwidth_bps;
        if (!(bw > 0.0)) throw Error(who + ": link " + std::to_string(u) + "->" + std::to_string(v) + " has capacity <= 0");
        inv_capacity_sum += 1.0 / bw;
      }

      // Topology/traffic indicators.
      if (diam > 0) put(Indicator::PathLength, static_cast<double>(hops) / diam, where);
      double offered = 0.0;
      double pkt_rate = 0.0;  // packets/s of the pair's flows, for the mean packet size
      if (has_flows) {
        for (const net::Flow& f : *flows) {
          offered += f.eq_lambda_bps;
          if (f.avg_pkt_size_bits > 0.0) pkt_rate += f.eq_lambda_bps / f.avg_pkt_size_bits;
        }
      } else {
        offered = st->avg_bw_bps;
      }
      offered_per_path.emplace_back(offered, where);

      // Result indicators.
      if (st == nullptr) continue;
      if (!generated) {
        ++undelivered;  // flows but nothing generated: no loss ratio, no delay
        continue;
      }
      put(Indicator::PathLoss, st->pkts_drop / st->pkts_gen, where);
      const bool delivered = st->pkts_drop < st->pkts_gen && st->avg_delay > 0.0;
      if (!delivered) {
        ++undelivered;
        continue;
      }
      put(Indicator::PathDelay, st->avg_delay, where);
      // Mean packet size: measured (generated bit/s / generated packets/s), else from the traffic.
      double mean_size = st->avg_bw_bps > 0.0 ? st->avg_bw_bps / st->pkts_gen : 0.0;
      if (!(mean_size > 0.0) && pkt_rate > 0.0) mean_size = offered / pkt_rate;
      if (mean_size > 0.0) put(Indicator::PathDelayNorm, st->avg_delay / (mean_size * inv_capacity_sum), where);
      if (st->jitter >= 0.0) put(Indicator::PathJitterCv, std::sqrt(st->jitter) / st->avg_delay, where);
    }
  }

  // path_bandwidth: relative to the sample's mean offered traffic per path (scale-free: the absolute
  // share of a link's capacity shrinks as a bigger network routes more paths over each link).
  double offered_sum = 0.0;
  for (const auto& [offered, where] : offered_per_path) offered_sum += offered;
  if (offered_sum > 0.0) {
    const double mean_offered = offered_sum / static_cast<double>(offered_per_path.size());
    for (const auto& [offered, where] : offered_per_path) put(Indicator::PathBandwidth, offered / mean_offered, where);
  }

  for (std::size_t i = 0; i < values_.size(); ++i) {
    values_[i].insert(values_[i].end(), fresh[i].begin(), fresh[i].end());
  }
  ++samples_;
  if (res == nullptr) ++samples_without_results_;
  undelivered_paths_ += undelivered;
  ++sizes_[n];
}

void IndicatorSet::sort_values() {
  for (std::vector<double>& v : values_) {
    if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  }
}

IndicatorSet sample_indicators(const net::Sample& sample) {
  IndicatorSet set;
  set.add(sample);
  return set;
}

IndicatorSet collect_indicators(const std::filesystem::path& dataset, const CollectOptions& options) {
  IndicatorSet set;
  std::size_t total = 0;
  const io::SizeFilter filter{options.min_nodes, options.max_nodes};
  try {
    io::for_each_sample(
        dataset, filter,
        [&](std::size_t, const net::Sample& s) {
          set.add(s);
          if (options.progress) options.progress(set.samples(), total);
          if (options.max_samples > 0 && set.samples() >= options.max_samples) throw StopReading{};
        },
        [&](std::size_t t) {
          total = options.max_samples > 0 ? std::min(t, options.max_samples) : t;
        });
  } catch (const StopReading&) {
    // max_samples reached
  }
  return set;
}

IndicatorSet collect_indicators(std::span<const net::Sample> samples, const CollectOptions& options) {
  IndicatorSet set;
  std::size_t total = 0;
  for (const net::Sample& s : samples) {
    if (s.num_nodes() < options.min_nodes || s.num_nodes() > options.max_nodes) continue;
    ++total;
  }
  if (options.max_samples > 0) total = std::min(total, options.max_samples);
  for (const net::Sample& s : samples) {
    if (options.max_samples > 0 && set.samples() >= options.max_samples) break;
    if (s.num_nodes() < options.min_nodes || s.num_nodes() > options.max_nodes) continue;
    set.add(s);
    if (options.progress) options.progress(set.samples(), total);
  }
  return set;
}

}  // namespace autoopt::gen
