// Expert rules (opt/rules.hpp): each rule on a hand-built simulated sample, the batch balance rule,
// the rules file (configs/expert_rules.conf) and its errors, the rules on a real GNNet sample, and on
// link-path samples (measured delays, offered load; queue rules skipped), hand-built and GNNet 2023.
#include "opt/rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>
#include <limits>
#include <string>

#include "io/gnnet.hpp"
#include "io/gnnet2023.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::opt {
namespace {

// A 4-node line 0-1-2-3 (both directions), paths along the line, all ports and queues used.
net::Sample line_sample() {
  net::Sample s;
  s.id = 7;
  const int n = 4;
  for (int i = 0; i < n; ++i) {
    net::Node node;
    node.policy = net::Policy::FIFO;
    node.buffer_bits = {32000};
    node.queue_tos = {{0, 1, 2}};
    s.topology.nodes.push_back(node);
  }
  for (int i = 0; i + 1 < n; ++i) {
    s.topology.links.push_back({i, i + 1, 0, 10000.0});
    s.topology.links.push_back({i + 1, i, i == 0 ? 0 : 1, 10000.0});
  }
  s.routing.paths.resize(n * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      auto& p = s.routing.paths[a * n + b];
      for (int v = a; v != b; v += (b > a ? 1 : -1)) p.push_back(v);
      p.push_back(b);
    }
  net::Results r;
  r.pairs.resize(n * n);
  for (int k = 0; k < n * n; ++k) {
    if (k / n == k % n) continue;  // no traffic: the empty record (-1 delays)
    r.pairs[k].pkts_gen = 10.0;
    r.pairs[k].avg_delay = 0.01 * (1 + k % 3);
  }
  for (std::size_t l = 0; l < s.topology.links.size(); ++l) {
    net::PortStats p;
    p.utilization = 0.5;
    p.queues.push_back({0.5, 0.0, 4000.0, 16000.0, 8000.0});
    r.ports.push_back(p);
  }
  s.results = r;
  return s;
}

ExpertRules all_rules() {
  ExpertRules r;
  r.path_delay = Range{0.0, 1.0};
  r.queue_utilization = Range{0.0, 1.0};
  r.link_utilization = Range{0.0, 1.2};
  r.port_occupancy = Range{0.0, 100000.0};
  r.long_paths = LongPathRule{3, 1};
  return r;
}

TEST(OptRules, PassingSampleHasNoFailures) {
  const auto fails = check_rules(line_sample(), all_rules());
  EXPECT_TRUE(fails.empty()) << join_failures(fails);
}

TEST(OptRules, LinkUtilizationMessageNamesTheLink) {
  auto s = line_sample();
  s.results->ports[3].utilization = 1.37;  // link index 3: 2 -> 1
  const auto fails = check_rules(s, all_rules());
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(fails[0].rule, "link_utilization");
  EXPECT_DOUBLE_EQ(fails[0].value, 1.37);
  EXPECT_EQ(fails[0].expected, "[0, 1.2]");
  EXPECT_EQ(fails[0].message, "link_utilization: max 1.37 outside [0, 1.2] (link 2->1)");
}

TEST(OptRules, EachRangeRuleFails) {
  {
    auto s = line_sample();
    s.results->pairs[1 * 4 + 3].avg_delay = 2.5;
    const auto f = check_rules(s, all_rules());
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].message, "path_delay: max 2.5 outside [0, 1] (path 1->3)");
  }
  {
    auto s = line_sample();
    s.results->ports[0].queues[0].utilization = 1.5;
    const auto f = check_rules(s, all_rules());
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].message, "queue_utilization: max 1.5 outside [0, 1] (link 0->1 queue 0)");
  }
  {
    auto s = line_sample();
    s.results->ports[5].queues[0].avg_occupancy = 260018;
    const auto f = check_rules(s, all_rules());
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].message, "port_occupancy: max 260018 outside [0, 100000] (link 3->2 queue 0)");
  }
  {
    // A lower bound: link utilisation at least 0.6 fails on the smallest value.
    auto rules = all_rules();
    rules.link_utilization = Range{0.6, 1.0};
    auto s = line_sample();
    s.results->ports[2].utilization = 0.1;
    const auto f = check_rules(s, rules);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].message, "link_utilization: min 0.1 outside [0.6, 1] (link 1->2)");
  }
}

TEST(OptRules, UnusedQueuesAndEmptyPairsAreSkipped) {
  auto s = line_sample();
  // An unused queue (all zeros) and a pair without traffic (-1 delay) break no lower bound.
  s.results->ports[0].queues.push_back({});
  s.results->pairs[1].pkts_gen = 0;
  s.results->pairs[1].avg_delay = -1;
  auto rules = all_rules();
  rules.port_occupancy = Range{1000.0, 100000.0};
  rules.path_delay = Range{0.005, 1.0};
  const auto f = check_rules(s, rules);
  EXPECT_TRUE(f.empty()) << join_failures(f);
}

TEST(OptRules, LongPathsAndMissingResults) {
  auto rules = all_rules();
  rules.long_paths = LongPathRule{4, 1};
  auto s = line_sample();
  auto f = check_rules(s, rules);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "long_paths");
  EXPECT_EQ(f[0].value, 0.0);
  EXPECT_EQ(f[0].message, "long_paths: 0 paths of >= 4 hops (longest 3), expected >= 1 path of >= 4 hops");
  rules.long_paths = LongPathRule{3, 2};  // 0->3 and 3->0: exactly two
  EXPECT_TRUE(check_rules(s, rules).empty());
  rules.long_paths = LongPathRule{3, 3};
  EXPECT_EQ(check_rules(s, rules).at(0).value, 2.0);

  s.results.reset();
  f = check_rules(s, all_rules());
  ASSERT_EQ(f.size(), 1u);  // long_paths still passes on the routing alone
  EXPECT_EQ(f[0].rule, "results");
  EXPECT_NE(f[0].message.find("sample 7 has no results"), std::string::npos);
  EXPECT_TRUE(check_rules(s, ExpertRules{}).empty());  // no rules: nothing to fail
}

TEST(OptRules, BalanceRule) {
  ExpertRules rules;
  EXPECT_FALSE(check_balance(std::vector<double>{1.0}, rules));  // not configured
  rules.balance = BalanceRule{0.1, Range{0.2, 0.6}};
  EXPECT_FALSE(check_balance(std::vector<double>{0.01, 0.2, 0.02, 0.5}, rules));  // 2 of 4 hard
  // 1 of 5 (score 0.1 counts as hard: >=) = 0.2, on the inclusive lower bound.
  EXPECT_FALSE(check_balance(std::vector<double>{0.01, 0.02, 0.03, 0.04, 0.1}, rules));
  const auto f = check_balance(std::vector<double>{0.01, 0.02, 0.03, 0.04, 0.09}, rules);  // 0 of 5
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, "balance");
  EXPECT_DOUBLE_EQ(f->value, 0.0);
  EXPECT_EQ(f->expected, "[0.2, 0.6]");
}

TEST(OptRules, BalanceRuleBoundsAndErrors) {
  ExpertRules rules;
  rules.balance = BalanceRule{0.1, Range{0.25, 0.6}};
  const auto f = check_balance(std::vector<double>{0.01, 0.02, 0.03, 0.5}, rules);  // 1 of 4 = 0.25
  EXPECT_FALSE(f);
  const auto g = check_balance(std::vector<double>{0.5, 0.6, 0.7, 0.01}, rules);  // 3 of 4
  ASSERT_TRUE(g);
  EXPECT_EQ(g->message, "balance: hard share 0.75 (3 of 4 with score >= 0.1) outside [0.25, 0.6]");
  EXPECT_THROW((void)check_balance(std::vector<double>{}, rules), Error);
  try {
    (void)check_balance(std::vector<double>{0.1, std::numeric_limits<double>::quiet_NaN()}, rules);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("score 1 is nan"), std::string::npos) << e.what();
  }
}

TEST(OptRules, ConfigParsing) {
  const auto cfg = gen::ConfigFile::parse(
      "link_utilization.max: 1.2\n"
      "path_delay.min: 0.001\n"
      "long_paths.min_hops: 5\n"
      "balance.hard_score: 0.2\n"
      "balance.hard_share.max: 0.5\n",
      "r.conf");
  const auto r = ExpertRules::from_config(cfg);
  ASSERT_TRUE(r.link_utilization);
  EXPECT_EQ(r.link_utilization->min, 0.0);
  EXPECT_EQ(r.link_utilization->max, 1.2);
  ASSERT_TRUE(r.path_delay);
  EXPECT_EQ(r.path_delay->min, 0.001);
  EXPECT_EQ(r.path_delay->max, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(r.queue_utilization);
  EXPECT_FALSE(r.port_occupancy);
  EXPECT_EQ(r.long_paths, (LongPathRule{5, 1}));
  ASSERT_TRUE(r.balance);
  EXPECT_EQ(r.balance->hard_share, (Range{0.0, 0.5}));
}

TEST(OptRules, ConfigErrorsNameFileLineAndKey) {
  const auto error_of = [](const std::string& text) {
    try {
      (void)ExpertRules::from_config(gen::ConfigFile::parse(text, "r.conf"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const auto minmax = error_of("link_utilization.min: 0.5\nlink_utilization.max: 0.2\n");
  EXPECT_NE(minmax.find("r.conf:2"), std::string::npos) << minmax;
  EXPECT_NE(minmax.find("expected min <= max"), std::string::npos) << minmax;
  const auto typo = error_of("link_utilisation.max: 1\n");
  EXPECT_NE(typo.find("r.conf:1"), std::string::npos) << typo;
  EXPECT_NE(typo.find("link_utilisation.max"), std::string::npos) << typo;
  const auto neg = error_of("path_delay.max: -1\n");
  EXPECT_NE(neg.find("path_delay.max"), std::string::npos) << neg;
  const auto share = error_of("balance.hard_score: 0.1\nbalance.hard_share.max: 1.5\n");
  EXPECT_NE(share.find("balance.hard_share.max"), std::string::npos) << share;
  const auto lonely = error_of("balance.hard_score: 0.1\n");
  EXPECT_NE(lonely.find("needs balance.hard_share"), std::string::npos) << lonely;
  const auto count = error_of("long_paths.min_count: 2\n");
  EXPECT_NE(count.find("needs long_paths.min_hops"), std::string::npos) << count;
}

TEST(OptRules, ShippedRulesFileLoads) {
  const auto file = std::filesystem::path(__FILE__).parent_path() / "../../configs/expert_rules.conf";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  const auto r = ExpertRules::load(file);
  EXPECT_TRUE(r.path_delay && r.queue_utilization && r.link_utilization && r.port_occupancy);
  EXPECT_TRUE(r.long_paths && r.balance);
  EXPECT_TRUE(check_rules(line_sample(), r).empty());
}

TEST(OptRules, RealSampleQuantities) {
  const auto dir = testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(dir);
  io::GnnetDataset ds(dir);
  ASSERT_GT(ds.size(), 0u);
  const net::Sample s = ds.load(0);
  ASSERT_TRUE(s.results);
  // Permissive rules pass; then each range is tightened below the observed maximum and must fail on it.
  ExpertRules loose;
  loose.path_delay = Range{0.0, 1e9};
  loose.queue_utilization = Range{0.0, 1e9};
  loose.link_utilization = Range{0.0, 1e9};
  loose.port_occupancy = Range{0.0, 1e12};
  ASSERT_TRUE(check_rules(s, loose).empty()) << join_failures(check_rules(s, loose));
  double max_u = 0.0;
  for (const auto& p : s.results->ports) max_u = std::max(max_u, p.utilization);
  ASSERT_GT(max_u, 0.0);
  EXPECT_LE(max_u, 1.05);  // a port cannot carry more than its bandwidth
  ExpertRules tight = loose;
  tight.link_utilization = Range{0.0, max_u / 2};
  const auto f = check_rules(s, tight);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "link_utilization");
  EXPECT_DOUBLE_EQ(f[0].value, max_u);
  EXPECT_NE(f[0].message.find("(link "), std::string::npos) << f[0].message;
}


// ---- link-path samples -------------------------------------------------------------------------

// Links 0: 0->1 and 1: 1->2 (10 kbit/s); flows f0 over [0, 1] (4 kbit/s, 5 ms), f1 over [1] (5 kbit/s,
// not measured). Offered load: link 0 0.4, link 1 0.9.
net::Sample link_path_sample() {
  net::Sample s;
  s.id = 9;
  s.topology.levels_tos = 1;
  s.topology.nodes.resize(3);
  s.topology.links.push_back({0, 1, 0, 10000.0});
  s.topology.links.push_back({1, 2, 0, 10000.0});
  net::PathFlow f0;
  f0.name = "0_2_0";
  f0.traffic_bps = 4000.0;
  f0.packets_per_s = 4.0;
  f0.avg_pkt_size_bits = 1000.0;
  f0.links = {0, 1};
  f0.avg_delay = 0.005;
  net::PathFlow f1 = f0;
  f1.name = "1_2_0";
  f1.traffic_bps = 5000.0;
  f1.links = {1};
  f1.avg_delay = -1.0;
  s.link_paths.flows = {f0, f1};
  s.link_paths.delay_unit_s = 1e-3;
  return s;
}

// all_rules() with long paths of >= 2 links (the flows here have 1 and 2).
ExpertRules link_rules() {
  ExpertRules r = all_rules();
  r.long_paths = LongPathRule{2, 1};
  return r;
}

TEST(OptRules, LinkPathSampleUsesMeasuredDelaysAndOfferedLoad) {
  const net::Sample s = link_path_sample();
  ASSERT_FALSE(s.results);
  // Every rule on, permissive: passes (the queue rules are skipped, not failed, without results).
  EXPECT_TRUE(check_rules(s, link_rules()).empty()) << join_failures(check_rules(s, link_rules()));
  ExpertRules r = link_rules();
  r.queue_utilization = Range{0.0, 0.0};  // would fail any measured queue: not measured here
  r.port_occupancy = Range{0.0, 0.0};
  EXPECT_TRUE(check_rules(s, r).empty()) << join_failures(check_rules(s, r));

  r = link_rules();
  r.link_utilization = Range{0.0, 0.8};
  auto f = check_rules(s, r);
  ASSERT_EQ(f.size(), 1u) << join_failures(f);
  EXPECT_EQ(f[0].rule, "link_utilization");
  EXPECT_DOUBLE_EQ(f[0].value, 0.9);  // (4000 + 5000) / 10000 on link 1
  EXPECT_EQ(f[0].message, "link_utilization: max 0.9 outside [0, 0.8] (link 1 (1->2))");

  r = link_rules();
  r.path_delay = Range{0.0, 0.001};
  f = check_rules(s, r);
  ASSERT_EQ(f.size(), 1u) << join_failures(f);
  EXPECT_EQ(f[0].rule, "path_delay");
  EXPECT_DOUBLE_EQ(f[0].value, 0.005);  // the unmeasured flow (-1) is not a value
  EXPECT_EQ(f[0].message, "path_delay: max 0.005 outside [0, 0.001] (flow 0_2_0)");

  r = link_rules();
  r.long_paths = LongPathRule{3, 1};  // hops = links of a flow: at most 2 here
  f = check_rules(s, r);
  ASSERT_EQ(f.size(), 1u) << join_failures(f);
  EXPECT_EQ(f[0].message, "long_paths: 0 paths of >= 3 hops (longest 2), expected >= 1 path of >= 3 hops");

  net::Sample none = s;  // no measured delay at all: the delay range cannot be checked
  for (auto& fl : none.link_paths.flows) fl.avg_delay = -1.0;
  f = check_rules(none, link_rules());
  ASSERT_EQ(f.size(), 1u) << join_failures(f);
  EXPECT_EQ(f[0].rule, "results");
  EXPECT_NE(f[0].message.find("no measured flow delay"), std::string::npos) << f[0].message;
}

// GNNet 2023 mb data with the shipped rules for it: every real scenario of the first lines passes, and
// one with its delays x10 fails path_delay (the rules are what rejects such a scenario in Stage 2).
TEST(OptRules, Gnnet2023RulesPassRealScenariosAndRejectTenfoldDelays) {
  const auto file = testing::shared_dir() / "data/gnnet2023-real/mb/fold0.jsonl.gz";
  AUTOOPT_REQUIRE_SHARED(file);
  const auto conf = std::filesystem::path(__FILE__).parent_path() / "../../configs/expert_rules_gnnet2023.conf";
  const ExpertRules rules = ExpertRules::load(conf);
  ASSERT_TRUE(rules.path_delay && rules.link_utilization && rules.long_paths);
  EXPECT_FALSE(rules.queue_utilization || rules.port_occupancy);
  const std::vector<net::Sample> all = io::read_gnnet2023(file);
  ASSERT_GE(all.size(), 40u);
  std::size_t rejected_x10 = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(check_rules(all[i], rules).empty()) << i << ": " << join_failures(check_rules(all[i], rules));
    net::Sample x10 = all[i];
    double max_delay = 0.0;
    for (auto& fl : x10.link_paths.flows) {
      max_delay = std::max(max_delay, fl.avg_delay);
      fl.avg_delay *= 10.0;
    }
    const auto f = check_rules(x10, rules);
    const bool out = max_delay * 10.0 > rules.path_delay->max;
    EXPECT_EQ(!f.empty(), out) << i << ": max delay " << max_delay << " s";
    if (out) {
      ++rejected_x10;
      ASSERT_EQ(f.size(), 1u);
      EXPECT_EQ(f[0].rule, "path_delay");
      EXPECT_NE(f[0].message.find("(flow "), std::string::npos) << f[0].message;
    }
  }
  EXPECT_GE(rejected_x10, 20u);  // most scenarios have delays above 30 ms somewhere
}

}  // namespace
}  // namespace autoopt::opt
