// Indicators of a hand-made sample, computed by hand (see indicator_fixtures.hpp), plus the
// handling of undelivered paths, samples without results, bad samples and the dataset reader.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "gen/indicators.hpp"
#include "indicator_fixtures.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::gen {
namespace {

using autoopt::testing::indicator_sample;

void expect_values(std::span<const double> got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << what << " value " << i;
}

TEST(Indicators, HandMadeSampleMatchesHandComputation) {
  const IndicatorSet set = sample_indicators(indicator_sample());
  EXPECT_EQ(set.samples(), 1u);
  EXPECT_EQ(set.samples_without_results(), 0u);
  EXPECT_EQ(set.undelivered_paths(), 1u);  // 2->0 lost every packet
  EXPECT_EQ(set.size_label(), "3 nodes");

  // Links in order 0->1, 1->0, 1->2, 2->1.
  expect_values(set.values(Indicator::LinkUtilization), {0.35, 0.15, 0.075, 0.08}, "link_utilization");
  expect_values(set.values(Indicator::LinkLoss), {0.05, 0.0, 0.0, 0.2}, "link_loss");
  // Busy queues only: 1600/32000, 2400/16000, 800/16000, 4000/8000.
  expect_values(set.values(Indicator::QueueOccupancy), {0.05, 0.15, 0.05, 0.5}, "queue_occupancy");

  // Paths in row-major pair order: 0->1, 0->2, 1->0, 2->0, 2->1 (1->2 carries nothing).
  expect_values(set.values(Indicator::PathLoss), {0.05, 0.0, 0.0, 1.0, 0.25}, "path_loss");
  // Offered traffic 2000, 1500, 900, 600, 1000 bit/s: mean 1200.
  expect_values(set.values(Indicator::PathBandwidth),
                {2000.0 / 1200, 1500.0 / 1200, 900.0 / 1200, 600.0 / 1200, 1000.0 / 1200}, "path_bandwidth");
  // Diameter 2 hops.
  expect_values(set.values(Indicator::PathLength), {0.5, 1.0, 0.5, 1.0, 0.5}, "path_length");
  // Delivered paths only (2->0 has none).
  expect_values(set.values(Indicator::PathDelay), {0.25, 0.3, 0.2, 0.05}, "path_delay");
  // delay / (mean size x sum 1/capacity): 0.25/(1000/1e4), 0.3/(750/1e4 + 750/2e4),
  // 0.2/(1000/1e4), 0.05/(500/2e4).
  expect_values(set.values(Indicator::PathDelayNorm), {2.5, 0.3 / 0.1125, 2.0, 2.0}, "path_delay_norm");
  // sqrt(jitter) / delay.
  expect_values(set.values(Indicator::PathJitterCv), {0.4, 0.5, 0.0, 0.4}, "path_jitter_cv");
  // Out-degrees 1, 2, 1; mean 4/3.
  expect_values(set.values(Indicator::NodeDegree), {0.75, 1.5, 0.75}, "node_degree");
}

TEST(Indicators, ValuesByNameAndUnknownName) {
  const IndicatorSet set = sample_indicators(indicator_sample());
  EXPECT_EQ(set.values("path_delay_norm").size(), 4u);
  try {
    (void)set.values("path_dealy");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown indicator 'path_dealy'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("path_delay_norm"), std::string::npos) << e.what();
  }
}

TEST(Indicators, CatalogueIsCompleteAndOrdered) {
  const auto cat = indicator_catalog();
  ASSERT_EQ(cat.size(), static_cast<std::size_t>(kNumIndicators));
  for (int i = 0; i < kNumIndicators; ++i) {
    EXPECT_EQ(static_cast<int>(cat[static_cast<std::size_t>(i)].id), i);
    EXPECT_FALSE(cat[static_cast<std::size_t>(i)].name.empty());
    EXPECT_FALSE(cat[static_cast<std::size_t>(i)].description.empty());
  }
  EXPECT_FALSE(indicator_info(Indicator::PathDelay).scale_free);
  EXPECT_TRUE(indicator_info(Indicator::PathDelayNorm).scale_free);
}

TEST(Indicators, DiameterOfLineAndRing) {
  net::Topology line = indicator_sample().topology;
  EXPECT_EQ(hop_diameter(line), 2);
  line.links.push_back({0, 2, 1, 1000});
  line.links.push_back({2, 0, 1, 1000});
  EXPECT_EQ(hop_diameter(line), 1);
  EXPECT_EQ(hop_diameter(net::Topology{}), 0);
}

TEST(Indicators, SampleWithoutResultsGivesTopologyAndTrafficOnly) {
  net::Sample s = indicator_sample();
  s.results.reset();
  const IndicatorSet set = sample_indicators(s);
  EXPECT_EQ(set.samples_without_results(), 1u);
  EXPECT_EQ(set.values(Indicator::NodeDegree).size(), 3u);
  EXPECT_EQ(set.values(Indicator::PathLength).size(), 5u);
  EXPECT_EQ(set.values(Indicator::PathBandwidth).size(), 5u);
  for (const Indicator id : {Indicator::LinkUtilization, Indicator::LinkLoss, Indicator::QueueOccupancy,
                             Indicator::PathDelay, Indicator::PathDelayNorm, Indicator::PathJitterCv,
                             Indicator::PathLoss}) {
    EXPECT_TRUE(set.values(id).empty()) << indicator_info(id).name;
  }
}

TEST(Indicators, FlowThatGeneratedNothingIsUndeliveredWithoutLoss) {
  net::Sample s = indicator_sample();
  s.results->pairs[1 * 3 + 0] = net::PathStats{};  // 1->0 has a flow but no generated packet
  const IndicatorSet set = sample_indicators(s);
  EXPECT_EQ(set.undelivered_paths(), 2u);
  EXPECT_EQ(set.values(Indicator::PathLoss).size(), 4u);
  EXPECT_EQ(set.values(Indicator::PathDelay).size(), 3u);
  EXPECT_EQ(set.values(Indicator::PathBandwidth).size(), 5u);  // the offered traffic is still known
}

TEST(Indicators, MergeAndSizes) {
  IndicatorSet a = sample_indicators(indicator_sample());
  const IndicatorSet b = sample_indicators(indicator_sample());
  a.merge(b);
  EXPECT_EQ(a.samples(), 2u);
  EXPECT_EQ(a.undelivered_paths(), 2u);
  EXPECT_EQ(a.values(Indicator::PathDelay).size(), 8u);
  EXPECT_EQ(a.sizes().at(3), 2u);
  EXPECT_EQ(IndicatorSet{}.size_label(), "no samples");
}

TEST(Indicators, BrokenSamplesAreErrorsAndAddNothing) {
  const auto expect_error = [](const net::Sample& s, const std::string& text) {
    IndicatorSet set;
    try {
      set.add(s);
      ADD_FAILURE() << "expected an error containing '" << text << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("sample 7"), std::string::npos) << e.what();
    }
    EXPECT_EQ(set.samples(), 0u);
    for (const IndicatorInfo& info : indicator_catalog()) EXPECT_TRUE(set.values(info.id).empty());
  };
  net::Sample bad_hop = indicator_sample();
  bad_hop.routing.paths[0 * 3 + 2] = {0, 2};
  expect_error(bad_hop, "uses hop 0->2, which is not a link");

  net::Sample no_path = indicator_sample();
  no_path.routing.paths[2 * 3 + 1].clear();
  expect_error(no_path, "path 2->1 carries traffic but its routing path is missing");

  net::Sample short_results = indicator_sample();
  short_results.results->pairs.pop_back();
  expect_error(short_results, "results have 8 pair records, expected 9");

  net::Sample short_ports = indicator_sample();
  short_ports.results->ports.pop_back();
  expect_error(short_ports, "results have 3 port records, expected 4");

  net::Sample queues = indicator_sample();
  queues.results->ports[1].queues.pop_back();
  expect_error(queues, "link 1->0 has 2 queue records, but node 1 has 3 queues");

  net::Sample nan_util = indicator_sample();
  nan_util.results->ports[2].utilization = std::nan("");
  expect_error(nan_util, "link_utilization of link 1->2 is not finite");
}

TEST(Indicators, CollectFromSamplesHonoursLimitAndSizeFilter) {
  std::vector<net::Sample> samples(3, indicator_sample());
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  CollectOptions opt;
  opt.max_samples = 2;
  opt.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  const IndicatorSet set = collect_indicators(samples, opt);
  EXPECT_EQ(set.samples(), 2u);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls.back(), (std::pair<std::size_t, std::size_t>{2, 2}));

  CollectOptions big;
  big.min_nodes = 4;
  EXPECT_EQ(collect_indicators(samples, big).samples(), 0u);
}

TEST(Indicators, CollectFromMissingPathIsAnError) {
  try {
    (void)collect_indicators(std::filesystem::path("/nonexistent/autoopt-dataset"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/autoopt-dataset"), std::string::npos) << e.what();
  }
}

// Real data: every indicator of the 50-node validation samples is finite and in its range.
TEST(IndicatorsShared, ValidationSamplesAreFiniteAndInRange) {
  const auto dir = autoopt::testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(dir);
  CollectOptions opt;
  opt.max_samples = 3;
  const IndicatorSet set = collect_indicators(dir, opt);
  ASSERT_EQ(set.samples(), 3u);
  EXPECT_EQ(set.sizes().at(50), 3u);
  EXPECT_EQ(set.samples_without_results(), 0u);
  for (const IndicatorInfo& info : indicator_catalog()) {
    EXPECT_FALSE(set.values(info.id).empty()) << info.name;
    for (const double v : set.values(info.id)) ASSERT_TRUE(std::isfinite(v)) << info.name;
  }
  const auto in_range = [&](Indicator id, double lo, double hi) {
    for (const double v : set.values(id)) {
      ASSERT_GE(v, lo) << indicator_info(id).name;
      ASSERT_LE(v, hi) << indicator_info(id).name;
    }
  };
  in_range(Indicator::LinkUtilization, 0.0, 1.0 + 1e-6);
  in_range(Indicator::LinkLoss, 0.0, 1.0);
  in_range(Indicator::QueueOccupancy, 1e-9, 1e3);
  in_range(Indicator::PathDelay, 1e-9, 1e4);
  // Delay >= transmission-time sum (spec 8.5, identity 4): ratio >= 1 up to 6-digit rounding.
  in_range(Indicator::PathDelayNorm, 0.99, 1e4);
  in_range(Indicator::PathJitterCv, 0.0, 100.0);
  in_range(Indicator::PathLoss, 0.0, 1.0);
  in_range(Indicator::PathBandwidth, 1e-9, 50.0);
  {  // Relative to the sample's mean: each sample's values average to 1.
    const auto bw = set.values(Indicator::PathBandwidth);
    double sum = 0.0;
    for (const double v : bw) sum += v;
    EXPECT_NEAR(sum / static_cast<double>(bw.size()), 1.0, 1e-9);
  }
  in_range(Indicator::PathLength, 1e-9, 1.0);  // minimum-hop routing: at most the diameter
  in_range(Indicator::NodeDegree, 1e-9, 50.0);
  // Every off-diagonal pair carries one flow: 50*49 paths per sample; 50 degrees per sample.
  EXPECT_EQ(set.values(Indicator::PathLength).size(), 3u * 50 * 49);
  EXPECT_EQ(set.values(Indicator::NodeDegree).size(), 3u * 50);
  double mean_degree = 0;
  for (const double v : set.values(Indicator::NodeDegree)) mean_degree += v;
  EXPECT_NEAR(mean_degree / 150.0, 1.0, 1e-12);
}

}  // namespace
}  // namespace autoopt::gen
