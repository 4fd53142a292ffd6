// Expert rules for Stage 2 seed selection (VERIFY of Algorithm 1): plausibility ranges over a
// simulated net::Sample and a batch rule on the balance of easy and hard samples.
//
// Per-sample rules (each off unless configured), on Results (spec gnnet-format.md §5–§6):
//   path_delay         mean delay (s) of every src-dst pair with traffic     PathStats::avg_delay
//   queue_utilization  share of link bandwidth carried by each used queue    QueueStats::utilization
//   link_utilization   utilisation of every port                             PortStats::utilization
//   port_occupancy     average port occupancy (bits) of every used queue     QueueStats::avg_occupancy
//   long_paths         at least `min_count` routed paths of >= `min_hops` hops
// A range fails on its smallest or largest value: "link_utilization: max 1.37 outside [0, 1.2]
// (link 3->5)". A "used" queue has utilization > 0 (unused queues are all zeros in linkUsage.txt).
// Link-path samples (net::Sample::link_paths, measured data such as GNNet 2023): path_delay on the
// measured mean delay of every flow (avg_delay >= 0; "flow <name>"), link_utilization on the offered
// load (sum of traffic_bps of the flows over the link / its bandwidth), long_paths on each flow's link
// count; queue_utilization and port_occupancy are not measured there and are skipped (not failed).
// Batch rule: the share of samples whose score (e.g. model loss) is >= `hard_score` lies in [min, max].
//
// Rules file (configs/expert_rules.conf, engine/gen/config.hpp syntax): `<rule>.min`, `<rule>.max` for
// the ranges (either turns the rule on; a missing bound is unbounded), `long_paths.min_hops`,
// `long_paths.min_count`, `balance.hard_score`, `balance.hard_share.min`, `balance.hard_share.max`.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gen/config.hpp"
#include "net/sample.hpp"

namespace autoopt::opt {

// A closed interval; infinite bounds allowed.
struct Range {
  double min = 0.0;
  double max = 0.0;
  [[nodiscard]] bool contains(double v) const noexcept { return v >= min && v <= max; }
  [[nodiscard]] std::string to_string() const;  // "[0, 1.2]"
  friend bool operator==(const Range&, const Range&) = default;
};

struct LongPathRule {
  int min_hops = 0;   // a long path has at least this many hops (links)
  int min_count = 1;  // the sample needs at least this many long paths
  friend bool operator==(const LongPathRule&, const LongPathRule&) = default;
};

struct BalanceRule {
  double hard_score = 0.0;  // a sample is hard when its score >= hard_score
  Range hard_share;         // allowed share of hard samples, within [0, 1]
  friend bool operator==(const BalanceRule&, const BalanceRule&) = default;
};

struct ExpertRules {
  std::optional<Range> path_delay;
  std::optional<Range> queue_utilization;
  std::optional<Range> link_utilization;
  std::optional<Range> port_occupancy;
  std::optional<LongPathRule> long_paths;
  std::optional<BalanceRule> balance;

  // From parsed config keys (see the header comment); unknown keys, min > max or bad numbers throw
  // autoopt::Error naming the file, line and key.
  [[nodiscard]] static ExpertRules from_config(const gen::ConfigFile& cfg);
  [[nodiscard]] static ExpertRules load(const std::filesystem::path& file);
  friend bool operator==(const ExpertRules&, const ExpertRules&) = default;
};

struct RuleFailure {
  std::string rule;      // "link_utilization", "long_paths", "results", "balance"
  double value = 0.0;    // the offending value (max/min found, count of long paths, share)
  std::string expected;  // "[0, 1.2]", ">= 1 path of >= 5 hops"
  std::string message;   // "link_utilization: max 1.37 outside [0, 1.2] (link 3->5)"
};

// Every per-sample rule the sample breaks (empty: all pass). A routed sample without results fails
// rule "results" (the ranges need a simulation); long_paths needs only the routing. A link-path sample
// fails "results" only when path_delay is on and no flow has a measured delay.
[[nodiscard]] std::vector<RuleFailure> check_rules(const net::Sample& sample, const ExpertRules& rules);

// The batch rule over per-sample scores; nullopt when it passes or is not configured. An empty score
// set or a non-finite score throws autoopt::Error.
[[nodiscard]] std::optional<RuleFailure> check_balance(std::span<const double> scores, const ExpertRules& rules);

// The failures joined by "; " (empty string for none), for a verify callback's reason.
[[nodiscard]] std::string join_failures(const std::vector<RuleFailure>& failures);

}  // namespace autoopt::opt
