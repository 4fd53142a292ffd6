#include "net/validate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include "net/error.hpp"

namespace autoopt::net {
namespace {

// ---- message building ----------------------------------------------------------------------------

std::string num(double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.10g", v);
  return std::string(buf.data());
}

template <class T>
void append(std::string& s, const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    s += num(static_cast<double>(v));
  } else if constexpr (std::is_integral_v<T>) {
    s += std::to_string(v);
  } else {
    s += std::string_view(v);
  }
}

template <class... A>
std::string cat(const A&... a) {
  std::string s;
  (append(s, a), ...);
  return s;
}

void add(std::vector<Problem>& out, std::string field, std::string message) {
  out.push_back(Problem{std::move(field), std::move(message)});
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0.0; }
bool finite_nonnegative(double v) { return std::isfinite(v) && v >= 0.0; }

bool valid_policy(Policy p) { return static_cast<std::uint8_t>(p) <= static_cast<std::uint8_t>(Policy::DRR); }

std::string policy_name(Policy p) {
  return valid_policy(p) ? std::string(to_string(p)) : cat("policy code ", static_cast<int>(p));
}

std::string pair_name(std::size_t k, int n) {
  return cat("pair ", static_cast<int>(k / static_cast<std::size_t>(n)), "->",
             static_cast<int>(k % static_cast<std::size_t>(n)));
}

std::size_t pair_count(int n) { return static_cast<std::size_t>(n) * static_cast<std::size_t>(n); }

// Where a flow or a stats record sits; the strings are built only when a problem is reported.
struct FlowAt {
  std::size_t pair = 0;  // index into traffic.pairs
  std::size_t flow = 0;  // index within the pair
  int n = 0;
  bool indexed = false;  // pairs.size() == N*N, so the index names a src-dst pair
  [[nodiscard]] std::string base() const { return cat("traffic.pairs[", pair, "][", flow, "]"); }
  [[nodiscard]] std::string field(std::string_view member) const { return cat(base(), member); }
  [[nodiscard]] std::string who() const {
    return cat("flow ", flow, " of ", indexed ? pair_name(pair, n) : cat("pair index ", pair));
  }
};

struct StatsAt {
  const char* list = "pairs";  // "pairs" or "flows"
  std::size_t index = 0;
  int n = 0;
  bool indexed = false;  // a pair record of an N*N list
  [[nodiscard]] std::string field(std::string_view member) const {
    return cat("results.", list, "[", index, "]", member);
  }
  [[nodiscard]] std::string who() const {
    if (std::string_view(list) == "flows") return cat("flow record ", index);
    return indexed ? pair_name(index, n) : cat("pair index ", index);
  }
};

// ---- topology ------------------------------------------------------------------------------------

void check_tos_mapping(const Node& node, const std::string& base, const std::string& who, int levels_tos,
                       std::vector<Problem>& out) {
  // (tos, queue) for every in-range entry, to find ToS values mapped twice or not at all.
  std::vector<std::pair<int, int>> mapped;
  for (std::size_t q = 0; q < node.queue_tos.size(); ++q) {
    for (const int tos : node.queue_tos[q]) {
      if (tos < 0 || tos >= levels_tos) {
        add(out, cat(base, ".queue_tos[", q, "]"),
            cat(who, ": queue ", q, " lists ToS ", tos, ", expected 0..", levels_tos - 1, " (levels_tos ",
                levels_tos, ")"));
      } else {
        mapped.emplace_back(tos, static_cast<int>(q));
      }
    }
  }
  std::sort(mapped.begin(), mapped.end());
  for (std::size_t i = 1; i < mapped.size(); ++i) {
    const auto [tos, q] = mapped[i];
    const auto [prev_tos, prev_q] = mapped[i - 1];
    if (tos != prev_tos) continue;
    if (q == prev_q) {
      add(out, cat(base, ".queue_tos[", q, "]"), cat(who, ": queue ", q, " lists ToS ", tos, " twice"));
    } else {
      add(out, cat(base, ".queue_tos"),
          cat(who, ": ToS ", tos, " is mapped to queues ", prev_q, " and ", q, ", expected exactly one queue"));
    }
  }
  // ToS values in 0..levels_tos-1 that no queue lists (found from the gaps, so a huge levels_tos is cheap).
  std::vector<int> missing;
  std::int64_t missing_count = 0;
  std::int64_t next = 0;  // the smallest ToS not yet accounted for
  auto note_gap = [&](std::int64_t from, std::int64_t to) {  // [from, to) unmapped
    missing_count += to - from;
    for (std::int64_t t = from; t < to && missing.size() < 5; ++t) missing.push_back(static_cast<int>(t));
  };
  for (const auto& [tos, q] : mapped) {
    if (tos > next) note_gap(next, tos);
    next = std::max<std::int64_t>(next, std::int64_t{tos} + 1);
  }
  note_gap(next, levels_tos);
  if (missing_count > 0) {
    std::string list;
    for (std::size_t i = 0; i < missing.size(); ++i) list += cat(i == 0 ? "" : ", ", missing[i]);
    if (missing_count > static_cast<std::int64_t>(missing.size())) {
      list += cat(" and ", missing_count - static_cast<std::int64_t>(missing.size()), " more");
    }
    add(out, cat(base, ".queue_tos"),
        cat(who, ": ToS ", list, (missing_count == 1 ? " is" : " are"),
            " not mapped to any queue, expected every ToS 0..", levels_tos - 1, " in exactly one queue"));
  }
}

void check_node(const Node& node, int id, int levels_tos, std::vector<Problem>& out) {
  const std::string base = cat("topology.nodes[", id, "]");
  const std::string who = cat("node ", id, " (", policy_name(node.policy), ")");
  if (!valid_policy(node.policy)) {
    add(out, cat(base, ".policy"),
        cat(who, ": unknown scheduling policy code ", static_cast<int>(node.policy),
            ", expected FIFO, SP, WFQ or DRR"));
  }
  const int nq = node.num_queues();
  if (nq < 1) {
    add(out, cat(base, ".buffer_bits"), cat(who, ": no queues (buffer_bits is empty), expected at least 1"));
  } else if (node.policy == Policy::FIFO && nq != 1) {
    add(out, cat(base, ".buffer_bits"), cat(who, ": FIFO node has ", nq, " queues, expected exactly 1"));
  }
  for (std::size_t q = 0; q < node.buffer_bits.size(); ++q) {
    if (!finite_positive(node.buffer_bits[q])) {
      add(out, cat(base, ".buffer_bits[", q, "]"),
          cat(who, ": buffer of queue ", q, " is ", node.buffer_bits[q], " bits, expected > 0 and finite"));
    }
  }
  if (node.queue_tos.size() != node.buffer_bits.size()) {
    add(out, cat(base, ".queue_tos"),
        cat(who, ": queue_tos has ", node.queue_tos.size(), " entries for ", nq,
            " queues, expected one entry per queue"));
  }
  if (levels_tos >= 1) check_tos_mapping(node, base, who, levels_tos, out);

  const bool weighted = node.policy == Policy::WFQ || node.policy == Policy::DRR;
  if (!weighted) {
    if (!node.weights.empty()) {
      add(out, cat(base, ".weights"),
          cat(who, ": has ", node.weights.size(), " weights, expected none (\"-\") for ", policy_name(node.policy)));
    }
    return;
  }
  if (node.weights.size() != node.buffer_bits.size()) {
    add(out, cat(base, ".weights"),
        cat(who, ": has ", node.weights.size(), " weights for ", nq, " queues, expected one weight per queue"));
  }
  bool all_ok = !node.weights.empty();
  double sum = 0.0;
  for (std::size_t q = 0; q < node.weights.size(); ++q) {
    const double w = node.weights[q];
    if (!finite_positive(w)) {
      all_ok = false;
      add(out, cat(base, ".weights[", q, "]"), cat(who, ": weight of queue ", q, " is ", w, ", expected > 0"));
    }
    sum += w;
  }
  if (all_ok && std::abs(sum - 100.0) > 0.01) {
    add(out, cat(base, ".weights"), cat(who, ": weights sum to ", sum, ", expected 100 (within 0.01)"));
  }
}

void check_links(const Topology& topology, std::vector<Problem>& out) {
  const int n = topology.num_nodes();
  const auto& links = topology.links;
  auto in_range = [n](int v) { return v >= 0 && v < n; };
  auto who = [&](std::size_t i) { return cat("link ", i, " (", links[i].src, "->", links[i].dst, ")"); };

  for (std::size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i];
    const std::string base = cat("topology.links[", i, "]");
    if (!in_range(l.src)) {
      add(out, cat(base, ".src"),
          cat(who(i), ": source node ", l.src, " does not exist, expected 0..", n - 1));
    }
    if (!in_range(l.dst)) {
      add(out, cat(base, ".dst"),
          cat(who(i), ": destination node ", l.dst, " does not exist, expected 0..", n - 1));
    }
    if (l.src == l.dst) add(out, base, cat(who(i), ": self-loop, expected src != dst"));
    if (l.bandwidth_bps == 0.0) {
      add(out, cat(base, ".bandwidth_bps"), cat(who(i), ": zero capacity (0 bit/s), expected > 0 and finite"));
    } else if (!finite_positive(l.bandwidth_bps)) {
      add(out, cat(base, ".bandwidth_bps"),
          cat(who(i), ": capacity is ", l.bandwidth_bps, " bit/s, expected > 0 and finite"));
    }
  }

  // Duplicate directions: sort link indices by (src, dst), stable so the first in file order is kept.
  std::vector<std::size_t> order(links.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(links[a].src, links[a].dst) < std::pair(links[b].src, links[b].dst);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const Link& a = links[order[k - 1]];
    const Link& b = links[order[k]];
    if (a.src == b.src && a.dst == b.dst) {
      // Report against the first link of the run of duplicates.
      std::size_t first = k - 1;
      while (first > 0 && links[order[first - 1]].src == a.src && links[order[first - 1]].dst == a.dst) --first;
      add(out, cat("topology.links[", order[k], "]"),
          cat(who(order[k]), ": duplicate of topology.links[", order[first],
              "], expected at most one link per direction"));
    }
  }

  // Ports: the links leaving node s use exactly the ports 0..outdeg(s)-1, each once.
  if (n <= 0) return;
  std::vector<int> outdeg(static_cast<std::size_t>(n), 0);
  for (const Link& l : links) {
    if (in_range(l.src)) ++outdeg[static_cast<std::size_t>(l.src)];
  }
  std::vector<std::vector<std::int64_t>> port_user(static_cast<std::size_t>(n));
  for (std::size_t s = 0; s < port_user.size(); ++s) port_user[s].assign(static_cast<std::size_t>(outdeg[s]), -1);
  for (std::size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i];
    if (!in_range(l.src)) continue;
    const int deg = outdeg[static_cast<std::size_t>(l.src)];
    const std::string field = cat("topology.links[", i, "].port");
    if (l.port < 0 || l.port >= deg) {
      add(out, field,
          cat(who(i), ": port ", l.port, " out of range, expected 0..", deg - 1, " (node ", l.src, " has ", deg,
              " output link", deg == 1 ? "" : "s", ")"));
      continue;
    }
    auto& user = port_user[static_cast<std::size_t>(l.src)][static_cast<std::size_t>(l.port)];
    if (user >= 0) {
      add(out, field,
          cat(who(i), ": port ", l.port, " of node ", l.src, " is also used by topology.links[", user,
              "], expected each port 0..", deg - 1, " exactly once"));
    } else {
      user = static_cast<std::int64_t>(i);
    }
  }
}

// Sorted (src, dst) of the links between existing nodes, for fast hop look-ups.
class LinkSet {
 public:
  explicit LinkSet(const Topology& t) {
    const int n = t.num_nodes();
    for (const Link& l : t.links) {
      if (l.src >= 0 && l.src < n && l.dst >= 0 && l.dst < n) edges_.emplace_back(l.src, l.dst);
    }
    std::sort(edges_.begin(), edges_.end());
  }
  [[nodiscard]] bool contains(int src, int dst) const {
    return std::binary_search(edges_.begin(), edges_.end(), std::pair(src, dst));
  }

 private:
  std::vector<std::pair<int, int>> edges_;
};

// ---- traffic -------------------------------------------------------------------------------------

enum class Sign : std::uint8_t { Positive, NonNegative };

struct ParamSpec {
  const char* name;
  Sign sign;
};

struct DistSpec {
  const char* name = nullptr;  // nullptr: unknown code
  std::span<const ParamSpec> params;
  int min_index = -1;  // params[min_index] <= params[max_index] when both >= 0
  int max_index = -1;
};

// The parameter list after EqLambda, per time distribution (sample.hpp, spec §4.2).
DistSpec time_spec(TimeDist td) {
  using enum Sign;
  static constexpr std::array<ParamSpec, 2> poisson{{{"AvgPktsLambda", Positive}, {"ExpMaxFactor", Positive}}};
  static constexpr std::array<ParamSpec, 1> cbr{{{"AvgPktsLambda", Positive}}};
  static constexpr std::array<ParamSpec, 2> uniform{{{"MinPktLambda", Positive}, {"MaxPktLambda", Positive}}};
  static constexpr std::array<ParamSpec, 2> normal{{{"AvgPktsLambda", Positive}, {"StdDev", NonNegative}}};
  static constexpr std::array<ParamSpec, 4> onoff{
      {{"PktsLambdaOn", Positive}, {"AvgTOff", Positive}, {"AvgTOn", Positive}, {"ExpMaxFactor", Positive}}};
  static constexpr std::array<ParamSpec, 6> ppbp{{{"BurstGenLambda", Positive},
                                                  {"Bitrate", Positive},
                                                  {"ParetoMinSize", Positive},
                                                  {"ParetoMaxSize", Positive},
                                                  {"ParetoAlfa", Positive},
                                                  {"ExpMaxFactor", Positive}}};
  switch (td) {
    case TimeDist::Poisson: return {"Poisson", poisson};
    case TimeDist::CBR: return {"CBR", cbr};
    case TimeDist::Uniform: return {"Uniform", uniform, 0, 1};
    case TimeDist::Normal: return {"Normal", normal};
    case TimeDist::OnOff: return {"OnOff", onoff};
    case TimeDist::PPBP: return {"PPBP", ppbp, 2, 3};
    case TimeDist::Trace: return {"Trace", {}};
  }
  return {};
}

// The size parameters per size distribution (sample.hpp, spec §4.3).
DistSpec size_spec(SizeDist sd) {
  using enum Sign;
  static constexpr std::array<ParamSpec, 2> uniform{{{"MinSize", Positive}, {"MaxSize", Positive}}};
  static constexpr std::array<ParamSpec, 2> binomial{{{"PktSize1", Positive}, {"PktSize2", Positive}}};
  switch (sd) {
    case SizeDist::Deterministic: return {"Deterministic", {}};
    case SizeDist::Uniform: return {"Uniform", uniform, 0, 1};
    case SizeDist::Binomial: return {"Binomial", binomial};
    case SizeDist::Generic: return {"Generic", {}};
    case SizeDist::Trace: return {"Trace", {}};
  }
  return {};
}

std::string param_list(std::span<const ParamSpec> params) {
  std::string s;
  for (std::size_t i = 0; i < params.size(); ++i) s += cat(i == 0 ? "" : ", ", params[i].name);
  return s;
}

void check_params(std::span<const double> values, const DistSpec& spec, const FlowAt& at, std::string_view member,
                  std::vector<Problem>& out) {
  const auto params = spec.params;
  const char* dist_name = spec.name;
  const int min_index = spec.min_index;
  const int max_index = spec.max_index;
  if (values.size() != params.size()) {
    add(out, at.field(member),
        cat(at.who(), ": ", dist_name, " takes ", params.size(), " parameter", params.size() == 1 ? "" : "s",
            params.empty() ? "" : cat(" (", param_list(params), ")"), ", got ", values.size()));
    return;
  }
  bool ok = true;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    const bool good = params[i].sign == Sign::Positive ? finite_positive(v) : finite_nonnegative(v);
    if (!good) {
      ok = false;
      add(out, cat(at.field(member), "[", i, "]"),
          cat(at.who(), ": ", dist_name, " ", params[i].name, " is ", v, ", expected ",
              params[i].sign == Sign::Positive ? "> 0" : ">= 0", " and finite"));
    }
  }
  if (ok && min_index >= 0 && max_index >= 0) {
    const double lo = values[static_cast<std::size_t>(min_index)];
    const double hi = values[static_cast<std::size_t>(max_index)];
    if (lo > hi) {
      add(out, at.field(member),
          cat(at.who(), ": ", dist_name, " ", params[static_cast<std::size_t>(min_index)].name, " ", lo, " > ",
              params[static_cast<std::size_t>(max_index)].name, " ", hi, ", expected min <= max"));
    }
  }
}

void check_generic(const Flow& f, const FlowAt& at, std::vector<Problem>& out) {
  if (f.candidates.empty()) {
    add(out, at.field(".candidates"),
        cat(at.who(), ": Generic size distribution has no candidates, expected at least one (size, probability) pair"));
    return;
  }
  bool ok = true;
  double prob_sum = 0.0;
  double mean = 0.0;
  for (std::size_t c = 0; c < f.candidates.size(); ++c) {
    const SizeProb& sp = f.candidates[c];
    if (!finite_positive(sp.size_bits)) {
      ok = false;
      add(out, cat(at.base(), ".candidates[", c, "].size_bits"),
          cat(at.who(), ": candidate ", c, " has size ", sp.size_bits, " bits, expected > 0 and finite"));
    }
    if (!(std::isfinite(sp.prob) && sp.prob >= 0.0 && sp.prob <= 1.0)) {
      ok = false;
      add(out, cat(at.base(), ".candidates[", c, "].prob"),
          cat(at.who(), ": candidate ", c, " has probability ", sp.prob, ", expected within [0, 1]"));
    }
    prob_sum += sp.prob;
    mean += sp.size_bits * sp.prob;
  }
  if (!ok) return;
  if (std::abs(prob_sum - 1.0) > 1e-6) {
    add(out, at.field(".candidates"),
        cat(at.who(), ": probabilities don't sum to 1 (sum ", prob_sum, ", expected 1 within 1e-6)"));
    return;
  }
  // AvgPktSize is the integer part of the mean; accept anything within 1 of the mean (truncated or not).
  if (std::isfinite(f.avg_pkt_size_bits) && !(std::abs(f.avg_pkt_size_bits - mean) < 1.0 + 1e-6)) {
    add(out, at.field(".avg_pkt_size_bits"),
        cat(at.who(), ": avg_pkt_size_bits is ", f.avg_pkt_size_bits, ", expected floor(sum size*prob) = ",
            std::floor(mean), " (mean ", mean, ")"));
  }
}

void check_flow(const Flow& f, const FlowAt& at, int levels_tos, std::vector<Problem>& out) {
  if (!finite_positive(f.eq_lambda_bps)) {
    add(out, at.field(".eq_lambda_bps"),
        cat(at.who(), ": rate is ", f.eq_lambda_bps, " bit/s, expected > 0 and finite"));
  }
  if (levels_tos >= 1 && (f.tos < 0 || f.tos >= levels_tos)) {
    add(out, at.field(".tos"),
        cat(at.who(), ": ToS ", f.tos, ", expected 0..", levels_tos - 1, " (levels_tos ", levels_tos, ")"));
  }

  const DistSpec ts = time_spec(f.time_dist);
  if (ts.name == nullptr) {
    add(out, at.field(".time_dist"),
        cat(at.who(), ": unknown time distribution code ", static_cast<int>(f.time_dist), ", expected 0..6"));
  } else {
    check_params(f.time_params, ts, at, ".time_params", out);
  }

  if (!finite_positive(f.avg_pkt_size_bits)) {
    add(out, at.field(".avg_pkt_size_bits"),
        cat(at.who(), ": avg_pkt_size_bits is ", f.avg_pkt_size_bits, ", expected > 0 and finite"));
  }
  const DistSpec ss = size_spec(f.size_dist);
  if (ss.name == nullptr) {
    add(out, at.field(".size_dist"),
        cat(at.who(), ": unknown size distribution code ", static_cast<int>(f.size_dist), ", expected 0..4"));
    return;
  }
  check_params(f.size_params, ss, at, ".size_params", out);
  if (f.size_dist == SizeDist::Generic) {
    check_generic(f, at, out);
  } else if (!f.candidates.empty()) {
    add(out, at.field(".candidates"),
        cat(at.who(), ": ", ss.name, " size distribution has ", f.candidates.size(),
            " candidates, expected none (candidates are for Generic only)"));
  }
}

// ---- results -------------------------------------------------------------------------------------

void check_stats(const PathStats& st, const StatsAt& at, std::vector<Problem>& out) {
  const std::array<std::pair<const char*, double>, 3> counts{
      {{"avg_bw_bps", st.avg_bw_bps}, {"pkts_gen", st.pkts_gen}, {"pkts_drop", st.pkts_drop}}};
  bool counts_ok = true;
  for (const auto& [name, v] : counts) {
    if (!finite_nonnegative(v)) {
      counts_ok = false;
      add(out, at.field(cat(".", name)), cat(at.who(), ": ", name, " is ", v, ", expected >= 0 and finite"));
    }
  }
  if (!counts_ok) return;
  if (st.pkts_drop > st.pkts_gen + 1e-6) {
    add(out, at.field(".pkts_drop"),
        cat(at.who(), ": pkts_drop ", st.pkts_drop, " > pkts_gen ", st.pkts_gen,
            " packets/s, expected drops <= generated"));
  }
  if (!(st.pkts_gen - st.pkts_drop > 0.0)) return;  // nothing delivered: delay fields are -1

  if (!finite_nonnegative(st.avg_delay)) {
    add(out, at.field(".avg_delay"),
        cat(at.who(), ": avg_delay is ", st.avg_delay, " s with packets delivered, expected >= 0 and finite"));
  }
  const std::array<std::pair<const char*, double>, 5> pct{
      {{"p10", st.p10}, {"p20", st.p20}, {"p50", st.p50}, {"p80", st.p80}, {"p90", st.p90}}};
  bool pct_ok = true;
  for (const auto& [name, v] : pct) {
    if (!finite_nonnegative(v)) {
      pct_ok = false;
      add(out, at.field(cat(".", name)),
          cat(at.who(), ": ", name, " is ", v, " s with packets delivered, expected >= 0 and finite"));
    }
  }
  if (pct_ok) {
    for (std::size_t i = 1; i < pct.size(); ++i) {
      if (pct[i - 1].second > pct[i].second) {
        add(out, at.field(cat(".", pct[i].first)),
            cat(at.who(), ": percentiles not monotone: ", pct[i - 1].first, " ", pct[i - 1].second, " > ", pct[i].first,
                " ", pct[i].second, ", expected p10 <= p20 <= p50 <= p80 <= p90"));
      }
    }
  }
  if (!finite_nonnegative(st.jitter)) {
    add(out, at.field(".jitter"),
        cat(at.who(), ": jitter is ", st.jitter, " s^2 with packets delivered, expected >= 0 (a variance)"));
  }
}

void check_ratio_fields(std::span<const std::pair<const char*, double>> fields, const std::string& base,
                        const std::string& who, std::vector<Problem>& out) {
  for (const auto& [name, v] : fields) {
    const std::string_view n(name);
    const bool is_loss = n == "loss";
    if (!finite_nonnegative(v) || (is_loss && v > 1.0 + 1e-6)) {
      add(out, cat(base, ".", name),
          cat(who, ": ", name, " is ", v, is_loss ? ", expected within [0, 1]" : ", expected >= 0 and finite"));
    }
  }
}

}  // namespace

// ---- public API ----------------------------------------------------------------------------------

std::string to_string(const Problem& p) { return cat(p.field, ": ", p.message); }

std::string format_problems(std::span<const Problem> problems, std::size_t max_lines) {
  std::string s;
  const std::size_t shown = std::min(problems.size(), max_lines);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) s += '\n';
    s += "  ";
    s += to_string(problems[i]);
  }
  if (problems.size() > shown) s += cat(shown > 0 ? "\n" : "", "  and ", problems.size() - shown, " more");
  return s;
}

void throw_if_problems(std::span<const Problem> problems, std::string_view subject) {
  if (problems.empty()) return;
  throw Error(cat(subject, ": ", problems.size(), problems.size() == 1 ? " problem:\n" : " problems:\n",
                  format_problems(problems)));
}

std::vector<Problem> validate(const Topology& topology) {
  std::vector<Problem> out;
  if (topology.nodes.empty()) add(out, "topology.nodes", "no nodes, expected at least 1 node");
  if (topology.levels_tos < 1) {
    add(out, "topology.levels_tos", cat("levels_tos is ", topology.levels_tos, ", expected >= 1"));
  }
  for (std::size_t i = 0; i < topology.nodes.size(); ++i) {
    check_node(topology.nodes[i], static_cast<int>(i), topology.levels_tos, out);
  }
  check_links(topology, out);
  return out;
}

std::vector<Problem> validate(const Routing& routing, const Topology& topology) {
  std::vector<Problem> out;
  const int n = topology.num_nodes();
  const std::size_t np = pair_count(n);
  if (routing.paths.size() != np) {
    add(out, "routing.paths",
        cat("has ", routing.paths.size(), " paths, expected N*N = ", np, " (N = ", n, ", one per src-dst pair)"));
    return out;
  }
  const LinkSet links(topology);
  std::vector<std::size_t> visited_in(static_cast<std::size_t>(n), np);  // the pair that last visited a node
  for (std::size_t k = 0; k < np; ++k) {
    const auto& path = routing.paths[k];
    const int s = static_cast<int>(k / static_cast<std::size_t>(n));
    const int d = static_cast<int>(k % static_cast<std::size_t>(n));
    const auto base = [k] { return cat("routing.paths[", k, "]"); };
    if (s == d) {
      if (!path.empty()) {
        add(out, base(),
            cat(pair_name(k, n), " is on the diagonal but has a path of ", path.size(),
                " nodes, expected an empty path"));
      }
      continue;
    }
    if (path.empty()) continue;  // an unrouted pair; traffic validation reports flows without a path
    const auto bad = std::find_if(path.begin(), path.end(), [n](int v) { return v < 0 || v >= n; });
    if (bad != path.end()) {
      add(out, base(),
          cat(pair_name(k, n), ": path visits node ", *bad, ", which does not exist (expected 0..", n - 1, ")"));
      continue;
    }
    if (path.front() != s) {
      add(out, base(), cat(pair_name(k, n), ": path starts at node ", path.front(), ", expected ", s));
    }
    if (path.back() != d) {
      add(out, base(), cat(pair_name(k, n), ": path ends at node ", path.back(), ", expected ", d));
    }
    bool looped = false;
    for (std::size_t h = 0; h < path.size(); ++h) {
      const auto v = static_cast<std::size_t>(path[h]);
      if (visited_in[v] == k && !looped) {
        looped = true;
        add(out, base(), cat(pair_name(k, n), ": loop: path visits node ", path[h], " twice, expected a loop-free path"));
      }
      visited_in[v] = k;
      if (h + 1 < path.size() && !links.contains(path[h], path[h + 1])) {
        add(out, base(),
            cat(pair_name(k, n), ": path over a missing link ", path[h], "->", path[h + 1], " (hop ", h, ")"));
      }
    }
  }
  return out;
}

std::vector<Problem> validate(const Traffic& traffic, const Topology& topology, const Routing& routing) {
  std::vector<Problem> out;
  const int n = topology.num_nodes();
  const std::size_t np = pair_count(n);
  const bool indexed = traffic.pairs.size() == np;
  if (!indexed) {
    add(out, "traffic.pairs",
        cat("has ", traffic.pairs.size(), " pairs, expected N*N = ", np, " (N = ", n, ", one per src-dst pair)"));
  }
  if (!finite_nonnegative(traffic.max_avg_lambda)) {
    add(out, "traffic.max_avg_lambda",
        cat("max_avg_lambda is ", traffic.max_avg_lambda, " bit/s, expected >= 0 and finite"));
  }
  const bool routed = routing.paths.size() == np;
  for (std::size_t k = 0; k < traffic.pairs.size(); ++k) {
    const auto& flows = traffic.pairs[k];
    if (flows.empty()) continue;
    if (indexed) {
      const char* plural = flows.size() == 1 ? "" : "s";
      if (k / static_cast<std::size_t>(n) == k % static_cast<std::size_t>(n)) {
        add(out, cat("traffic.pairs[", k, "]"),
            cat(pair_name(k, n), " is on the diagonal but has ", flows.size(), " flow", plural, ", expected none"));
      } else if (routed && routing.paths[k].empty()) {
        add(out, cat("traffic.pairs[", k, "]"),
            cat("flow without a path: ", pair_name(k, n), " has ", flows.size(), " flow", plural,
                " but routing.paths[", k, "] is empty"));
      }
    }
    for (std::size_t j = 0; j < flows.size(); ++j) {
      check_flow(flows[j], FlowAt{k, j, n, indexed}, topology.levels_tos, out);
    }
  }
  return out;
}

std::vector<Problem> validate(const Results& results, const Topology& topology, const Traffic& traffic) {
  std::vector<Problem> out;
  const int n = topology.num_nodes();
  const std::size_t np = pair_count(n);
  const bool indexed = results.pairs.size() == np;
  if (!indexed) {
    add(out, "results.pairs",
        cat("has ", results.pairs.size(), " pair records, expected N*N = ", np, " (N = ", n, ")"));
  }
  for (std::size_t k = 0; k < results.pairs.size(); ++k) {
    check_stats(results.pairs[k], StatsAt{"pairs", k, n, indexed}, out);
  }

  const auto& links = topology.links;
  if (results.ports.size() != links.size()) {
    add(out, "results.ports",
        cat("has ", results.ports.size(), " port records, expected one per link (", links.size(), ")"));
  }
  for (std::size_t i = 0; i < results.ports.size(); ++i) {
    const PortStats& p = results.ports[i];
    const std::string base = cat("results.ports[", i, "]");
    const std::string who = i < links.size() ? cat("port of link ", i, " (", links[i].src, "->", links[i].dst, ")")
                                             : cat("port record ", i);
    if (i < links.size() && links[i].src >= 0 && links[i].src < n) {
      const int nq = topology.nodes[static_cast<std::size_t>(links[i].src)].num_queues();
      if (p.queues.size() != static_cast<std::size_t>(nq)) {
        add(out, cat(base, ".queues"),
            cat(who, ": ", p.queues.size(), " queue records, expected ", nq, " (node ", links[i].src, " has ", nq,
                " queue", nq == 1 ? "" : "s", ")"));
      }
    }
    const std::array<std::pair<const char*, double>, 3> port_fields{
        {{"utilization", p.utilization}, {"loss", p.loss}, {"avg_pkt_size", p.avg_pkt_size}}};
    check_ratio_fields(port_fields, base, who, out);
    for (std::size_t q = 0; q < p.queues.size(); ++q) {
      const QueueStats& qs = p.queues[q];
      const std::array<std::pair<const char*, double>, 5> queue_fields{{{"utilization", qs.utilization},
                                                                        {"loss", qs.loss},
                                                                        {"avg_occupancy", qs.avg_occupancy},
                                                                        {"max_occupancy", qs.max_occupancy},
                                                                        {"avg_pkt_size", qs.avg_pkt_size}}};
      check_ratio_fields(queue_fields, cat(base, ".queues[", q, "]"), cat(who, " queue ", q), out);
    }
  }

  std::size_t num_flows = 0;
  for (const auto& flows : traffic.pairs) num_flows += flows.size();
  if (!results.flows.empty() && results.flows.size() != num_flows) {
    add(out, "results.flows",
        cat("has ", results.flows.size(), " flow records, expected none or one per flow (", num_flows, ")"));
  }
  for (std::size_t i = 0; i < results.flows.size(); ++i) {
    check_stats(results.flows[i], StatsAt{"flows", i, n, false}, out);
  }

  const std::array<std::pair<const char*, double>, 4> globals{{{"global_packets", results.global_packets},
                                                               {"global_losses", results.global_losses},
                                                               {"global_delay", results.global_delay},
                                                               {"run.sim_time", results.run.sim_time}}};
  for (const auto& [name, v] : globals) {
    if (!finite_nonnegative(v)) {
      add(out, cat("results.", name), cat(name, " is ", v, ", expected >= 0 and finite"));
    }
  }
  return out;
}

std::vector<Problem> validate(const Sample& sample) {
  std::vector<Problem> out = validate(sample.topology);
  auto append_all = [&out](std::vector<Problem>&& more) {
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  append_all(validate(sample.routing, sample.topology));
  append_all(validate(sample.traffic, sample.topology, sample.routing));
  if (sample.results) append_all(validate(*sample.results, sample.topology, sample.traffic));
  return out;
}

void check(const Sample& sample) {
  const std::vector<Problem> problems = validate(sample);
  throw_if_problems(problems, cat("invalid sample ", sample.id, " (graph \"", sample.graph_name, "\", routing \"",
                                  sample.routing_name, "\")"));
}

Policy parse_policy_or_throw(std::string_view name, std::string_view where) {
  if (const auto p = parse_policy(name)) return *p;
  throw Error(cat(where, ": unknown scheduling policy \"", name, "\", expected one of FIFO, SP, WFQ, DRR"));
}

}  // namespace autoopt::net
