// Expert rules on simulated and link-path samples (see rules.hpp).
#include "opt/rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>

#include "net/error.hpp"

namespace autoopt::opt {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<Range> read_range(const gen::ConfigFile& cfg, const std::string& rule, double lo_limit,
                                double hi_limit) {
  const std::string kmin = rule + ".min";
  const std::string kmax = rule + ".max";
  const double lo = cfg.get_double(kmin, lo_limit, lo_limit, hi_limit);
  const double hi = cfg.get_double(kmax, hi_limit, lo_limit, hi_limit);
  if (!cfg.has(kmin) && !cfg.has(kmax)) return std::nullopt;
  if (lo > hi)
    throw Error(cfg.where(kmax) + ": max " + num(hi) + " is below " + kmin + " " + num(lo) +
                " (expected min <= max)");
  return Range{lo, hi};
}

// Tracks the smallest and largest value seen and where each was.
struct Extremes {
  double lo = kInf, hi = -kInf;
  std::string lo_at, hi_at;
  bool any = false;
  void add(double v, const std::string& at) {
    any = true;
    if (v < lo) {
      lo = v;
      lo_at = at;
    }
    if (v > hi) {
      hi = v;
      hi_at = at;
    }
  }
};

void check_range(std::string_view rule, const std::optional<Range>& range, const Extremes& ex,
                 std::vector<RuleFailure>& out) {
  if (!range || !ex.any) return;
  const auto fail = [&](std::string_view which, double v, const std::string& at) {
    RuleFailure f;
    f.rule = std::string(rule);
    f.value = v;
    f.expected = range->to_string();
    f.message = f.rule + ": " + std::string(which) + " " + num(v) + " outside " + f.expected + " (" + at + ")";
    out.push_back(std::move(f));
  };
  if (ex.hi > range->max) fail("max", ex.hi, ex.hi_at);  // above the range
  if (ex.lo < range->min) fail("min", ex.lo, ex.lo_at);  // below it
}

std::string link_name(const net::Topology& t, std::size_t l) {
  if (l >= t.links.size()) return "port " + std::to_string(l);
  return "link " + std::to_string(t.links[l].src) + "->" + std::to_string(t.links[l].dst);
}

void check_long_paths(const LongPathRule& lp, const std::vector<std::size_t>& hops_per_path,
                      std::vector<RuleFailure>& out) {
  int count = 0;
  std::size_t longest = 0;
  for (const std::size_t hops : hops_per_path) {
    longest = std::max(longest, hops);
    if (hops >= static_cast<std::size_t>(lp.min_hops)) ++count;
  }
  if (count < lp.min_count) {
    RuleFailure f;
    f.rule = "long_paths";
    f.value = count;
    f.expected = ">= " + std::to_string(lp.min_count) + " path" + (lp.min_count == 1 ? "" : "s") + " of >= " +
                 std::to_string(lp.min_hops) + " hops";
    f.message = "long_paths: " + std::to_string(count) + " paths of >= " + std::to_string(lp.min_hops) +
                " hops (longest " + std::to_string(longest) + "), expected " + f.expected;
    out.push_back(std::move(f));
  }
}

// Link-path samples (measured data): path_delay on the measured flow delays, link_utilization on the
// offered load (sum of the traffic of the flows over a link / its capacity), long_paths on the flows'
// link sequences; queue_utilization and port_occupancy are not measured and are skipped.
std::vector<RuleFailure> check_link_path_rules(const net::Sample& sample, const ExpertRules& rules) {
  std::vector<RuleFailure> out;
  const auto& flows = sample.link_paths.flows;
  const auto& links = sample.topology.links;
  if (rules.path_delay) {
    Extremes delay;
    for (const auto& f : flows) {
      if (f.avg_delay >= 0.0) delay.add(f.avg_delay, "flow " + f.name);
    }
    if (!delay.any) {
      out.push_back({"results", 0.0, "measured delays",
                     "results: sample " + std::to_string(sample.id) + " has no measured flow delay"});
    }
    check_range("path_delay", rules.path_delay, delay, out);
  }
  if (rules.link_utilization) {
    std::vector<double> load(links.size(), 0.0);
    for (const auto& f : flows) {
      for (const int l : f.links) {
        if (l >= 0 && static_cast<std::size_t>(l) < load.size()) load[static_cast<std::size_t>(l)] += f.traffic_bps;
      }
    }
    Extremes lutil;
    for (std::size_t l = 0; l < links.size(); ++l) {
      if (links[l].bandwidth_bps > 0.0) lutil.add(load[l] / links[l].bandwidth_bps,
                  "link " + std::to_string(l) + " (" + std::to_string(links[l].src) + "->" +
                      std::to_string(links[l].dst) + ")");
    }
    check_range("link_utilization", rules.link_utilization, lutil, out);
  }
  if (rules.long_paths) {
    std::vector<std::size_t> hops;
    hops.reserve(flows.size());
    for (const auto& f : flows) hops.push_back(f.links.size());
    check_long_paths(*rules.long_paths, hops, out);
  }
  return out;
}

}  // namespace

std::string Range::to_string() const {
  std::string s = "[";  // appended piecewise: "[" + std::string trips GCC 12's -Wrestrict false positive
  s += num(min);
  s += ", ";
  s += num(max);
  s += ']';
  return s;
}

ExpertRules ExpertRules::from_config(const gen::ConfigFile& cfg) {
  ExpertRules r;
  r.path_delay = read_range(cfg, "path_delay", 0.0, kInf);
  r.queue_utilization = read_range(cfg, "queue_utilization", 0.0, kInf);
  r.link_utilization = read_range(cfg, "link_utilization", 0.0, kInf);
  r.port_occupancy = read_range(cfg, "port_occupancy", 0.0, kInf);

  const auto hops = cfg.get_int("long_paths.min_hops", 0, 1, 1000);
  const auto count = cfg.get_int("long_paths.min_count", 1, 1, 1000000);
  if (cfg.has("long_paths.min_hops")) {
    r.long_paths = LongPathRule{static_cast<int>(hops), static_cast<int>(count)};
  } else if (cfg.has("long_paths.min_count")) {
    throw Error(cfg.where("long_paths.min_count") + ": needs long_paths.min_hops (the length of a long path)");
  }

  const double hard = cfg.get_double("balance.hard_score", 0.0);
  const auto share = read_range(cfg, "balance.hard_share", 0.0, 1.0);
  if (cfg.has("balance.hard_score")) {
    if (!std::isfinite(hard)) throw Error(cfg.where("balance.hard_score") + ": expected a finite number");
    if (!share)
      throw Error(cfg.where("balance.hard_score") +
                  ": needs balance.hard_share.min and/or balance.hard_share.max (the allowed share)");
    r.balance = BalanceRule{hard, *share};
  } else if (share) {
    throw Error(cfg.where(cfg.has("balance.hard_share.min") ? "balance.hard_share.min" : "balance.hard_share.max") +
                ": needs balance.hard_score (the score from which a sample counts as hard)");
  }
  cfg.reject_unknown();
  return r;
}

ExpertRules ExpertRules::load(const std::filesystem::path& file) {
  return from_config(gen::ConfigFile::load(file));
}

std::vector<RuleFailure> check_rules(const net::Sample& sample, const ExpertRules& rules) {
  std::vector<RuleFailure> out;
  if (!sample.link_paths.empty()) return check_link_path_rules(sample, rules);
  const bool needs_results = rules.path_delay || rules.queue_utilization || rules.link_utilization ||
                             rules.port_occupancy;
  if (needs_results && !sample.results) {
    out.push_back({"results", 0.0, "a simulated sample",
                   "results: sample " + std::to_string(sample.id) + " has no results (not simulated)"});
  }
  if (needs_results && sample.results) {
    const net::Results& res = *sample.results;
    const int n = sample.num_nodes();
    Extremes delay, qutil, lutil, occ;
    for (std::size_t k = 0; k < res.pairs.size(); ++k) {
      const net::PathStats& p = res.pairs[k];
      if (p.pkts_gen <= 0.0 || p.avg_delay < 0.0) continue;  // no traffic: the format's empty record
      const auto s = n > 0 ? static_cast<int>(k) / n : 0;
      const auto d = n > 0 ? static_cast<int>(k) % n : 0;
      delay.add(p.avg_delay, "path " + std::to_string(s) + "->" + std::to_string(d));
    }
    for (std::size_t l = 0; l < res.ports.size(); ++l) {
      const net::PortStats& port = res.ports[l];
      const std::string at = link_name(sample.topology, l);
      lutil.add(port.utilization, at);
      for (std::size_t q = 0; q < port.queues.size(); ++q) {
        const net::QueueStats& qs = port.queues[q];
        if (qs.utilization <= 0.0) continue;  // unused queue
        const std::string qat = at + " queue " + std::to_string(q);
        qutil.add(qs.utilization, qat);
        occ.add(qs.avg_occupancy, qat);
      }
    }
    check_range("path_delay", rules.path_delay, delay, out);
    check_range("queue_utilization", rules.queue_utilization, qutil, out);
    check_range("link_utilization", rules.link_utilization, lutil, out);
    check_range("port_occupancy", rules.port_occupancy, occ, out);
  }
  if (rules.long_paths) {
    std::vector<std::size_t> hops;
    for (const auto& path : sample.routing.paths) {
      if (path.size() >= 2) hops.push_back(path.size() - 1);
    }
    check_long_paths(*rules.long_paths, hops, out);
  }
  return out;
}

std::optional<RuleFailure> check_balance(std::span<const double> scores, const ExpertRules& rules) {
  if (!rules.balance) return std::nullopt;
  if (scores.empty()) throw Error("check_balance: no scores (expected one per sample)");
  std::size_t hard = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]))
      throw Error("check_balance: score " + std::to_string(i) + " is " + num(scores[i]) + " (expected finite)");
    if (scores[i] >= rules.balance->hard_score) ++hard;
  }
  const double share = static_cast<double>(hard) / static_cast<double>(scores.size());
  if (rules.balance->hard_share.contains(share)) return std::nullopt;
  RuleFailure f;
  f.rule = "balance";
  f.value = share;
  f.expected = rules.balance->hard_share.to_string();
  f.message = "balance: hard share " + num(share) + " (" + std::to_string(hard) + " of " +
              std::to_string(scores.size()) + " with score >= " + num(rules.balance->hard_score) + ") outside " +
              f.expected;
  return f;
}

std::string join_failures(const std::vector<RuleFailure>& failures) {
  std::string s;
  for (const auto& f : failures) {
    if (!s.empty()) s += "; ";
    s += f.message;
  }
  return s;
}

}  // namespace autoopt::opt
