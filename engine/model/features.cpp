// RouteNet-Fermi features: one pass over the paths into plain vectors, then one tensor per matrix.
#include "model/features.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "net/error.hpp"

namespace autoopt::model {
namespace {

constexpr std::array<ColumnInfo, path_col::count> kPathColumns{{
    {"traffic", true},
    {"packets", true},
    {"pkt_size", true},
    {"eq_lambda", true},
    {"td_poisson", false},
    {"td_cbr", false},
    {"td_onoff", false},
    {"td_other", false},
    {"exp_max_factor", true},
    {"pkts_lambda_on", true},
    {"avg_t_off", true},
    {"avg_t_on", true},
    {"length", true},
}};
constexpr std::array<ColumnInfo, link_col::count> kLinkColumns{{
    {"capacity", true},
    {"load", false},
    {"policy_fifo", false},
    {"policy_sp", false},
    {"policy_wfq", false},
    {"policy_drr", false},
}};
constexpr std::array<ColumnInfo, queue_col::count> kQueueColumns{{
    {"buffer", true},
    {"priority_0", false},
    {"priority_1", false},
    {"priority_2", false},
    {"weight", false},
}};
constexpr std::array<ColumnInfo, label_col::count> kLabelColumns{{
    {"delay", false},
    {"jitter", false},
    {"loss", false},
    {"pkt_size", false},
}};

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string pair_name(std::size_t k, int n) {
  return "pair " + std::to_string(k) + " (" + std::to_string(static_cast<int>(k) / n) + " -> " +
         std::to_string(static_cast<int>(k) % n) + ")";
}

// A row-major matrix being filled, turned into a tensor at the end.
struct Matrix {
  std::int64_t cols;
  std::vector<double> data;
  double* add_row() {
    data.resize(data.size() + static_cast<std::size_t>(cols), 0.0);
    return data.data() + data.size() - static_cast<std::size_t>(cols);
  }
  [[nodiscard]] std::int64_t rows() const {
    return static_cast<std::int64_t>(data.size()) / cols;
  }
  [[nodiscard]] at::Tensor tensor(at::ScalarType dtype) {
    if (data.empty()) return at::zeros({0, cols}, at::TensorOptions().dtype(dtype));
    return at::from_blob(data.data(), {rows(), cols}, at::kDouble).to(dtype, false, true);
  }
};

at::Tensor index_tensor(std::vector<std::int64_t>& v) {
  if (v.empty()) return at::zeros({0}, at::kLong);
  return at::from_blob(v.data(), {static_cast<std::int64_t>(v.size())}, at::kLong).clone();
}

// The labels of every path, in path order: per-flow results when present, else the pair record.
void add_labels(const net::Sample& sample, const std::vector<std::int64_t>& path_pair,
                const std::vector<std::int64_t>& path_flow, Matrix& labels) {
  const net::Results& res = *sample.results;
  const int n = sample.num_nodes();
  const std::size_t pairs = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  const bool per_flow = !res.flows.empty();
  std::vector<std::size_t> first_flow;  // index in res.flows of each pair's first flow
  if (per_flow) {
    first_flow.resize(pairs + 1, 0);
    for (std::size_t k = 0; k < pairs; ++k)
      first_flow[k + 1] = first_flow[k] + sample.traffic.pairs[k].size();
    if (res.flows.size() != first_flow[pairs]) {
      throw Error("featurize: results.flows has " + std::to_string(res.flows.size()) +
                  " records but traffic has " + std::to_string(first_flow[pairs]) + " flows");
    }
  } else if (res.pairs.size() != pairs) {
    throw Error("featurize: results.pairs has " + std::to_string(res.pairs.size()) +
                " records, expected N*N = " + std::to_string(pairs));
  }
  for (std::size_t p = 0; p < path_pair.size(); ++p) {
    const auto k = static_cast<std::size_t>(path_pair[p]);
    const net::PathStats* st = nullptr;
    if (per_flow) {
      st = &res.flows[first_flow[k] + static_cast<std::size_t>(path_flow[p])];
    } else {
      if (sample.traffic.pairs[k].size() != 1) {
        throw Error("featurize: " + pair_name(k, n) + " has " +
                    std::to_string(sample.traffic.pairs[k].size()) +
                    " flows but the results have no per-flow records (flowSimulationResults)");
      }
      st = &res.pairs[k];
    }
    double* row = labels.add_row();
    row[label_col::delay] = st->avg_delay;
    row[label_col::jitter] = st->jitter;
    row[label_col::loss] = st->loss_ratio();
    row[label_col::pkt_size] = st->pkts_gen > 0 ? st->avg_bw_bps / st->pkts_gen : 0.0;
  }
}

double size_mean(const net::Flow& f) {
  if (f.size_dist == net::SizeDist::Generic && !f.candidates.empty()) {
    double m = 0.0;
    for (const auto& c : f.candidates) m += c.size_bits * c.prob;
    return m;
  }
  return f.avg_pkt_size_bits;
}

}  // namespace

std::span<const ColumnInfo> path_columns() noexcept { return kPathColumns; }
std::span<const ColumnInfo> link_columns() noexcept { return kLinkColumns; }
std::span<const ColumnInfo> queue_columns() noexcept { return kQueueColumns; }
std::span<const ColumnInfo> label_columns() noexcept { return kLabelColumns; }

SampleTensors featurize(const net::Sample& sample, const FeatureOptions& options) {
  if (is_link_path_sample(sample)) return featurize_link_paths(sample, options);
  const net::Topology& topo = sample.topology;
  const int n = topo.num_nodes();
  const std::size_t pairs = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  if (sample.traffic.pairs.size() != pairs) {
    throw Error("featurize: traffic has " + std::to_string(sample.traffic.pairs.size()) +
                " pair entries, expected N*N = " + std::to_string(pairs));
  }
  if (sample.routing.paths.size() != pairs) {
    throw Error("featurize: routing has " + std::to_string(sample.routing.paths.size()) +
                " paths, expected N*N = " + std::to_string(pairs));
  }

  // Links and their queues.
  const auto num_links = static_cast<std::int64_t>(topo.links.size());
  std::vector<std::int32_t> link_of(pairs, -1);  // (src, dst) -> link
  Matrix link_x{link_col::count, {}};
  Matrix queue_x{queue_col::count, {}};
  std::vector<std::int64_t> queue_to_link, queue_position, link_queue_offsets{0};
  std::vector<double> capacity(topo.links.size());
  for (std::size_t l = 0; l < topo.links.size(); ++l) {
    const net::Link& link = topo.links[l];
    const std::string who = "link " + std::to_string(l) + " (" + std::to_string(link.src) + " -> " +
                            std::to_string(link.dst) + ")";
    if (link.src < 0 || link.src >= n || link.dst < 0 || link.dst >= n) {
      throw Error("featurize: " + who + " has an endpoint outside [0, " + std::to_string(n) + ")");
    }
    if (!(link.bandwidth_bps > 0)) {
      throw Error("featurize: " + who + " has bandwidth " + num(link.bandwidth_bps) +
                  ", expected > 0");
    }
    link_of[static_cast<std::size_t>(link.src) * static_cast<std::size_t>(n) +
            static_cast<std::size_t>(link.dst)] = static_cast<std::int32_t>(l);
    capacity[l] = link.bandwidth_bps;
    const net::Node& node = topo.nodes[static_cast<std::size_t>(link.src)];
    double* lrow = link_x.add_row();
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
      double* qrow = queue_x.add_row();
      qrow[queue_col::buffer] = node.buffer_bits[static_cast<std::size_t>(q)];
      qrow[queue_col::priority_0 + q] = 1.0;
      qrow[queue_col::weight] = weighted ? node.weights[static_cast<std::size_t>(q)] / weight_sum : 0.0;
      queue_to_link.push_back(static_cast<std::int64_t>(l));
      queue_position.push_back(q);
    }
    link_queue_offsets.push_back(static_cast<std::int64_t>(queue_to_link.size()));
  }

  // Paths: one per flow, with their hops.
  Matrix path_x{path_col::count, {}};
  std::vector<std::int64_t> path_offsets{0}, hop_path, hop_position, path_to_link, path_to_queue;
  std::vector<std::int64_t> path_pair, path_flow;
  std::vector<double> link_traffic(topo.links.size(), 0.0);
  std::int64_t max_len = 0;
  for (std::size_t k = 0; k < pairs; ++k) {
    const auto& flows = sample.traffic.pairs[k];
    if (flows.empty()) continue;
    const auto& route = sample.routing.paths[k];
    const int src = static_cast<int>(k) / n;
    const int dst = static_cast<int>(k) % n;
    if (route.size() < 2 || route.front() != src || route.back() != dst) {
      throw Error("featurize: " + pair_name(k, n) + " has " + std::to_string(flows.size()) +
                  " flow(s) but no route from " + std::to_string(src) + " to " +
                  std::to_string(dst) + " in the routing");
    }
    const auto hops = static_cast<std::int64_t>(route.size()) - 1;
    max_len = std::max(max_len, hops);
    for (std::size_t f = 0; f < flows.size(); ++f) {
      const net::Flow& flow = flows[f];
      const auto p = static_cast<std::int64_t>(path_pair.size());
      if (!(flow.avg_pkt_size_bits > 0)) {
        throw Error("featurize: " + pair_name(k, n) + " flow " + std::to_string(f) +
                    " has AvgPktSize " + num(flow.avg_pkt_size_bits) + ", expected > 0");
      }
      double* row = path_x.add_row();
      const auto& tp = flow.time_params;
      auto param = [&](std::size_t i) { return i < tp.size() ? tp[i] : 0.0; };
      // The rate is set on the truncated AvgPktSize; sizes are drawn from the distribution.
      double packets = flow.eq_lambda_bps / flow.avg_pkt_size_bits;
      if (flow.time_dist == net::TimeDist::OnOff && param(1) + param(2) > 0) {
        packets += 1.0 / (param(1) + param(2));  // the extra packet per ON-OFF period
      }
      const double mean_size = size_mean(flow);
      row[path_col::traffic] = packets * mean_size;
      row[path_col::packets] = packets;
      row[path_col::pkt_size] = mean_size;
      row[path_col::eq_lambda] = flow.eq_lambda_bps;
      switch (flow.time_dist) {
        case net::TimeDist::Poisson:
          row[path_col::td_poisson] = 1.0;
          row[path_col::exp_max_factor] = param(1);
          break;
        case net::TimeDist::CBR:
          row[path_col::td_cbr] = 1.0;
          break;
        case net::TimeDist::OnOff:
          row[path_col::td_onoff] = 1.0;
          row[path_col::pkts_lambda_on] = param(0);
          row[path_col::avg_t_off] = param(1);
          row[path_col::avg_t_on] = param(2);
          row[path_col::exp_max_factor] = param(3);
          break;
        default:
          row[path_col::td_other] = 1.0;
          break;
      }
      row[path_col::length] = static_cast<double>(hops);

      for (std::int64_t j = 0; j < hops; ++j) {
        const int a = route[static_cast<std::size_t>(j)];
        const int b = route[static_cast<std::size_t>(j) + 1];
        const bool in_range = a >= 0 && a < n && b >= 0 && b < n;
        const int l = in_range ? link_of[static_cast<std::size_t>(a) * static_cast<std::size_t>(n) +
                                         static_cast<std::size_t>(b)]
                               : -1;
        if (l < 0) {
          throw Error("featurize: the route of " + pair_name(k, n) + " uses " + std::to_string(a) +
                      " -> " + std::to_string(b) + ", which is not a link of the topology");
        }
        const int q = topo.nodes[static_cast<std::size_t>(a)].queue_of_tos(flow.tos);
        if (q < 0) {
          throw Error("featurize: node " + std::to_string(a) + " has no queue for ToS " +
                      std::to_string(flow.tos) + " (tosToQoSqueue), used by " + pair_name(k, n));
        }
        hop_path.push_back(p);
        hop_position.push_back(j);
        path_to_link.push_back(l);
        path_to_queue.push_back(link_queue_offsets[static_cast<std::size_t>(l)] + q);
        link_traffic[static_cast<std::size_t>(l)] += row[path_col::traffic];
      }
      path_offsets.push_back(static_cast<std::int64_t>(hop_path.size()));
      path_pair.push_back(static_cast<std::int64_t>(k));
      path_flow.push_back(static_cast<std::int64_t>(f));
    }
  }
  for (std::size_t l = 0; l < topo.links.size(); ++l) {
    link_x.data[l * static_cast<std::size_t>(link_col::count) + link_col::load] =
        link_traffic[l] / capacity[l];
  }

  SampleTensors t;
  if (sample.results) {
    Matrix labels{label_col::count, {}};
    add_labels(sample, path_pair, path_flow, labels);
    t.labels = labels.tensor(options.dtype);
  }
  const auto num_paths = static_cast<std::int64_t>(path_pair.size());
  const auto num_queues = static_cast<std::int64_t>(queue_to_link.size());
  t.path_x = path_x.tensor(options.dtype);
  t.link_x = link_x.tensor(options.dtype);
  t.queue_x = queue_x.tensor(options.dtype);
  t.path_offsets = index_tensor(path_offsets);
  t.hop_path = index_tensor(hop_path);
  t.hop_position = index_tensor(hop_position);
  t.path_to_link = index_tensor(path_to_link);
  t.path_to_queue = index_tensor(path_to_queue);
  t.queue_to_link = index_tensor(queue_to_link);
  t.queue_position = index_tensor(queue_position);
  t.link_queue_offsets = index_tensor(link_queue_offsets);
  t.path_pair = index_tensor(path_pair);
  t.path_flow = index_tensor(path_flow);
  t.path_sample = at::zeros({num_paths}, at::kLong);
  t.link_sample = at::zeros({num_links}, at::kLong);
  t.queue_sample = at::zeros({num_queues}, at::kLong);
  t.num_samples = 1;
  t.max_path_length = max_len;
  return t;
}

SampleTensors batch(std::span<const SampleTensors> parts) {
  if (parts.empty()) throw Error("batch: no samples given");
  const at::ScalarType dtype = parts[0].path_x.scalar_type();
  const bool labelled = parts[0].has_labels();
  std::vector<at::Tensor> path_x, link_x, queue_x, labels, path_offsets, hop_path, hop_position,
      path_to_link, path_to_queue, queue_to_link, queue_position, link_queue_offsets, path_sample,
      link_sample, queue_sample, path_pair, path_flow;
  std::int64_t paths = 0, links = 0, queues = 0, hops = 0, samples = 0, max_len = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const SampleTensors& s = parts[i];
    if (s.path_x.scalar_type() != dtype) {
      throw Error("batch: part " + std::to_string(i) + " has dtype " +
                  std::string(c10::toString(s.path_x.scalar_type())) + ", part 0 has " +
                  std::string(c10::toString(dtype)));
    }
    if (s.has_labels() != labelled) {
      throw Error("batch: part " + std::to_string(i) + (s.has_labels() ? " has" : " has no") +
                  " labels but part 0" + (labelled ? " has" : " has none"));
    }
    path_x.push_back(s.path_x);
    link_x.push_back(s.link_x);
    queue_x.push_back(s.queue_x);
    if (labelled) labels.push_back(s.labels);
    // Offsets: drop each part's trailing total, then append the batch total at the end.
    path_offsets.push_back(s.path_offsets.slice(0, 0, s.num_paths()) + hops);
    link_queue_offsets.push_back(s.link_queue_offsets.slice(0, 0, s.num_links()) + queues);
    hop_path.push_back(s.hop_path + paths);
    hop_position.push_back(s.hop_position);
    path_to_link.push_back(s.path_to_link + links);
    path_to_queue.push_back(s.path_to_queue + queues);
    queue_to_link.push_back(s.queue_to_link + links);
    queue_position.push_back(s.queue_position);
    path_sample.push_back(s.path_sample + samples);
    link_sample.push_back(s.link_sample + samples);
    queue_sample.push_back(s.queue_sample + samples);
    path_pair.push_back(s.path_pair);
    path_flow.push_back(s.path_flow);
    paths += s.num_paths();
    links += s.num_links();
    queues += s.num_queues();
    hops += s.num_hops();
    samples += s.num_samples;
    max_len = std::max(max_len, s.max_path_length);
  }
  path_offsets.push_back(at::full({1}, hops, at::kLong));
  link_queue_offsets.push_back(at::full({1}, queues, at::kLong));

  SampleTensors b;
  b.path_x = at::cat(path_x);
  b.link_x = at::cat(link_x);
  b.queue_x = at::cat(queue_x);
  if (labelled) b.labels = at::cat(labels);
  b.path_offsets = at::cat(path_offsets);
  b.hop_path = at::cat(hop_path);
  b.hop_position = at::cat(hop_position);
  b.path_to_link = at::cat(path_to_link);
  b.path_to_queue = at::cat(path_to_queue);
  b.queue_to_link = at::cat(queue_to_link);
  b.queue_position = at::cat(queue_position);
  b.link_queue_offsets = at::cat(link_queue_offsets);
  b.path_sample = at::cat(path_sample);
  b.link_sample = at::cat(link_sample);
  b.queue_sample = at::cat(queue_sample);
  b.path_pair = at::cat(path_pair);
  b.path_flow = at::cat(path_flow);
  b.num_samples = samples;
  b.max_path_length = max_len;
  return b;
}

// ---- Normalizer --------------------------------------------------------------------------------

namespace {

std::vector<Normalizer::Stat> identity_stats(std::span<const ColumnInfo> cols) {
  std::vector<Normalizer::Stat> out;
  out.reserve(cols.size());
  for (const auto& c : cols) out.push_back({std::string(c.name), 0.0, 1.0});
  return out;
}

// Mean and population std per scaled column of the stacked matrices, in double.
std::vector<Normalizer::Stat> fit_stats(std::span<const ColumnInfo> cols,
                                        const std::vector<at::Tensor>& mats, const char* entity) {
  std::vector<Normalizer::Stat> out = identity_stats(cols);
  const at::Tensor x = at::cat(mats).to(at::kDouble).contiguous();
  if (x.size(0) == 0) throw Error(std::string("Normalizer::fit: no ") + entity + " rows to fit on");
  const at::Tensor mean = x.mean(0);
  const at::Tensor var = (x - mean).pow(2).mean(0);
  const double* m = mean.data_ptr<double>();
  const double* v = var.data_ptr<double>();
  for (std::size_t c = 0; c < cols.size(); ++c) {
    if (!cols[c].scaled) continue;
    const double sd = std::sqrt(v[c]);
    out[c].mean = m[c];
    out[c].std = sd > 1e-12 * std::max(1.0, std::abs(m[c])) ? sd : 1.0;
  }
  return out;
}

at::Tensor scale(const at::Tensor& x, const std::vector<Normalizer::Stat>& stats) {
  std::vector<double> mean, inv;
  for (const auto& s : stats) {
    mean.push_back(s.mean);
    inv.push_back(1.0 / s.std);
  }
  const auto c = static_cast<std::int64_t>(stats.size());
  const at::Tensor m = at::from_blob(mean.data(), {c}, at::kDouble).to(x.scalar_type());
  const at::Tensor i = at::from_blob(inv.data(), {c}, at::kDouble).to(x.scalar_type());
  return (x - m) * i;
}

std::string fmt(double v) {
  std::array<char, 64> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

}  // namespace

Normalizer::Normalizer()
    : path_(identity_stats(kPathColumns)),
      link_(identity_stats(kLinkColumns)),
      queue_(identity_stats(kQueueColumns)) {}

Normalizer Normalizer::fit(std::span<const SampleTensors> parts) {
  std::vector<at::Tensor> p, l, q;
  for (const auto& s : parts) {
    p.push_back(s.path_x);
    l.push_back(s.link_x);
    q.push_back(s.queue_x);
  }
  if (parts.empty()) throw Error("Normalizer::fit: no samples given");
  Normalizer n;
  n.path_ = fit_stats(kPathColumns, p, "path");
  n.link_ = fit_stats(kLinkColumns, l, "link");
  n.queue_ = fit_stats(kQueueColumns, q, "queue");
  return n;
}

SampleTensors Normalizer::apply(const SampleTensors& t) const {
  SampleTensors out = t;
  out.path_x = scale(t.path_x, path_);
  out.link_x = scale(t.link_x, link_);
  out.queue_x = scale(t.queue_x, queue_);
  return out;
}

std::string Normalizer::to_text() const {
  std::string s = "autoopt-normalizer 1\n";
  auto group = [&](const char* entity, const std::vector<Stat>& stats) {
    for (const auto& st : stats) {
      s += std::string(entity) + " " + st.name + " " + fmt(st.mean) + " " + fmt(st.std) + "\n";
    }
  };
  group("path", path_);
  group("link", link_);
  group("queue", queue_);
  return s;
}

Normalizer Normalizer::from_text(std::string_view text) {
  std::vector<std::string> lines;
  {
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = std::min(text.find('\n', pos), text.size());
      std::string line(text.substr(pos, end - pos));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      pos = end + 1;
    }
  }
  auto fail = [](std::size_t line, const std::string& expected, const std::string& got) {
    throw Error("normalizer text line " + std::to_string(line + 1) + ": expected " + expected +
                ", got '" + got + "'");
  };
  if (lines.empty() || lines[0] != "autoopt-normalizer 1") {
    fail(0, "'autoopt-normalizer 1'", lines.empty() ? std::string() : lines[0]);
  }
  Normalizer n;
  std::size_t li = 1;
  auto group = [&](const char* entity, std::vector<Stat>& stats) {
    for (auto& st : stats) {
      std::string expected(1, '\'');  // appended step by step (GCC 12 -Wrestrict false positive)
      expected.append(entity).append(" ").append(st.name).append(" <mean> <std>'");
      if (li >= lines.size()) fail(li, expected, "end of text");
      const std::string& line = lines[li];
      std::istringstream in(line);
      std::string e, name, ms, ss, extra;
      in >> e >> name >> ms >> ss;
      if (e != entity || name != st.name || ss.empty() || (in >> extra)) fail(li, expected, line);
      double mean = 0.0, sd = 0.0;
      const auto rm = std::from_chars(ms.data(), ms.data() + ms.size(), mean);
      const auto rs = std::from_chars(ss.data(), ss.data() + ss.size(), sd);
      if (rm.ec != std::errc() || rm.ptr != ms.data() + ms.size() || !std::isfinite(mean)) {
        fail(li, "a finite mean for " + std::string(entity) + " " + st.name, ms);
      }
      if (rs.ec != std::errc() || rs.ptr != ss.data() + ss.size() || !(sd > 0) || !std::isfinite(sd)) {
        fail(li, "a positive finite std for " + std::string(entity) + " " + st.name, ss);
      }
      st.mean = mean;
      st.std = sd;
      ++li;
    }
  };
  group("path", n.path_);
  group("link", n.link_);
  group("queue", n.queue_);
  while (li < lines.size() && lines[li].empty()) ++li;
  if (li < lines.size()) fail(li, "end of text", lines[li]);
  return n;
}

}  // namespace autoopt::model
