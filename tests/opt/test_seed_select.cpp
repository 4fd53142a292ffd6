// Seed selection (opt/seed_select.hpp, AutoOPT Algorithm 1) on planted clusters: every cluster is
// served, the nearest-centre sample and its nearest neighbours are picked, a rule violation is replaced
// by its nearest unused neighbour, determinism, and the errors.
#include "opt/seed_select.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace autoopt::opt {
namespace {

constexpr std::size_t kDim = 8;

// `k` blobs of `per` points (noise sd 1) around centres 30 apart; point i belongs to blob i % k.
std::vector<float> planted(std::size_t k, std::size_t per, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x;
  for (std::size_t p = 0; p < per; ++p)
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t j = 0; j < kDim; ++j) x.push_back((j == c ? 30.0f : 0.0f) + nd(rng));
  return x;
}

std::span<const float> row(const std::vector<float>& x, std::size_t i) {
  return std::span<const float>(x).subspan(i * kDim, kDim);
}

// Brute force: the samples not in `exclude`, nearest to q first (ties by index).
std::vector<std::size_t> ranked(const std::vector<float>& x, std::span<const float> q,
                                const std::set<std::size_t>& exclude) {
  std::vector<std::pair<double, std::size_t>> d;
  for (std::size_t i = 0; i < x.size() / kDim; ++i)
    if (!exclude.count(i)) d.push_back({squared_l2(q, row(x, i)), i});
  std::sort(d.begin(), d.end());
  std::vector<std::size_t> out;
  for (const auto& [dist, i] : d) out.push_back(i);
  return out;
}

TEST(OptSeedSelect, EveryClusterServedWithNearestCentreAndNeighbours) {
  const std::size_t k = 4, per = 30;
  const auto x = planted(k, per, 1);
  const auto sel = select_seeds(x, kDim, k, 3, {});
  ASSERT_EQ(sel.indices.size(), k * 3);
  ASSERT_EQ(sel.cluster.size(), k * 3);
  ASSERT_EQ(sel.centre.size(), k);
  EXPECT_TRUE(sel.replacements.empty());
  EXPECT_EQ(sel.backend, resolve_backend(Backend::Auto));
  // No duplicates; each planted blob gives exactly 3 seeds, all from one k-means cluster.
  EXPECT_EQ(std::set<std::size_t>(sel.indices.begin(), sel.indices.end()).size(), sel.indices.size());
  std::map<std::size_t, int> per_blob;
  for (std::size_t s = 0; s < sel.indices.size(); ++s) {
    ++per_blob[sel.indices[s] % k];
    EXPECT_EQ(static_cast<std::size_t>(sel.clustering.assignment[sel.indices[s]]), sel.cluster[s]);
  }
  for (std::size_t b = 0; b < k; ++b) EXPECT_EQ(per_blob[b], 3) << "blob " << b;
  // Per cluster: the first pick is the sample nearest the centroid (brute force over the pool), and
  // the next two are that sample's two nearest neighbours.
  std::set<std::size_t> taken;
  for (std::size_t c = 0; c < k; ++c) {
    const auto centroid = std::span<const float>(sel.clustering.centroids).subspan(c * kDim, kDim);
    const auto by_centroid = ranked(x, centroid, taken);
    EXPECT_EQ(sel.centre[c], by_centroid[0]);
    EXPECT_EQ(sel.indices[c * 3], by_centroid[0]);
    taken.insert(by_centroid[0]);
    const auto nb = ranked(x, row(x, by_centroid[0]), taken);
    EXPECT_EQ(sel.indices[c * 3 + 1], nb[0]);
    EXPECT_EQ(sel.indices[c * 3 + 2], nb[1]);
    taken.insert(nb[0]);
    taken.insert(nb[1]);
  }
}

TEST(OptSeedSelect, RuleViolationReplacedByNearestNeighbour) {
  const std::size_t k = 3;
  const auto x = planted(k, 20, 2);
  const auto clean = select_seeds(x, kDim, k, 2, {});
  // Fail the second pick of cluster 1 (a neighbour) and the centre of cluster 2.
  const std::size_t bad_nb = clean.indices[1 * 2 + 1];
  const std::size_t bad_centre = clean.centre[2];
  std::vector<std::size_t> verified;
  const VerifyFn verify = [&](std::size_t i) -> std::optional<std::string> {
    verified.push_back(i);
    if (i == bad_nb) return "link_utilization: max 1.37 outside [0, 1.2] (link 0->1)";
    if (i == bad_centre) return "long_paths: 0 paths of >= 5 hops";
    return std::nullopt;
  };
  const auto sel = select_seeds(x, kDim, k, 2, verify);
  ASSERT_EQ(sel.replacements.size(), 2u);
  EXPECT_EQ(sel.replacements[0].original, bad_nb);
  EXPECT_EQ(sel.replacements[0].reason, "link_utilization: max 1.37 outside [0, 1.2] (link 0->1)");
  EXPECT_EQ(sel.replacements[1].original, bad_centre);
  EXPECT_EQ(sel.replacements[1].reason, "long_paths: 0 paths of >= 5 hops");
  // The replacement is the failing sample's nearest neighbour among the samples not yet taken
  // (clusters 0 and 1 before it, the slot's own cluster mates and the failed sample itself).
  {
    std::set<std::size_t> taken(clean.indices.begin(), clean.indices.begin() + 4);
    const auto nb = ranked(x, row(x, bad_nb), taken);
    EXPECT_EQ(sel.replacements[0].replacement, nb[0]);
    EXPECT_EQ(sel.indices[3], nb[0]);
  }
  {
    std::set<std::size_t> taken(sel.indices.begin(), sel.indices.begin() + 4);
    taken.insert(bad_nb);
    taken.insert(clean.indices[4]);
    taken.insert(clean.indices[5]);
    const auto nb = ranked(x, row(x, bad_centre), taken);
    EXPECT_EQ(sel.replacements[1].replacement, nb[0]);
    EXPECT_EQ(sel.indices[4], nb[0]);
    EXPECT_EQ(sel.centre[2], bad_centre);  // the centre is recorded as found, before VERIFY
  }
  // Untouched slots are as without rules; the replacement stays in the failing sample's blob.
  for (const std::size_t s : {0u, 1u, 2u, 5u}) EXPECT_EQ(sel.indices[s], clean.indices[s]);
  EXPECT_EQ(sel.indices[3] % k, bad_nb % k);
  EXPECT_EQ(sel.indices[4] % k, bad_centre % k);
  EXPECT_EQ(std::set<std::size_t>(sel.indices.begin(), sel.indices.end()).size(), sel.indices.size());
  // Every sample verified exactly once, and the failures are not selected.
  EXPECT_EQ(std::set<std::size_t>(verified.begin(), verified.end()).size(), verified.size());
  EXPECT_EQ(verified.size(), 6u + 2u);
  EXPECT_EQ(std::count(sel.indices.begin(), sel.indices.end(), bad_nb), 0);
}

TEST(OptSeedSelect, ChainedFailuresAndExhaustion) {
  const std::size_t k = 2;
  const auto x = planted(k, 10, 3);  // 20 samples
  // Only samples 1, 3 and 5 pass, and 4 picks are needed: replacements walk outward until the pool
  // runs out.
  const VerifyFn most_fail = [&](std::size_t i) -> std::optional<std::string> {
    if (i == 1 || i == 3 || i == 5) return std::nullopt;
    return "rule " + std::to_string(i);
  };
  try {
    (void)select_seeds(x, kDim, k, 2, most_fail);
    FAIL() << "expected the pool to run out";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("failed VERIFY"), std::string::npos) << m;
    EXPECT_NE(m.find("no unused sample is left in the pool"), std::string::npos) << m;
  }
  // One blob-0 failure per slot at most: chains stay short and every pick passes.
  const VerifyFn few_fail = [&](std::size_t i) -> std::optional<std::string> {
    if (i == 0 || i == 2 || i == 4) return "rule";
    return std::nullopt;
  };
  const auto sel = select_seeds(x, kDim, k, 3, few_fail);
  for (const auto i : sel.indices) EXPECT_FALSE(few_fail(i)) << i;
  for (const auto& r : sel.replacements) EXPECT_TRUE(few_fail(r.original));
}

TEST(OptSeedSelect, DeterministicAndScopes) {
  const std::size_t k = 3;
  const auto x = planted(k, 15, 4);
  const VerifyFn v = [](std::size_t i) -> std::optional<std::string> {
    return i % 7 == 3 ? std::optional<std::string>("odd") : std::nullopt;
  };
  SeedOptions o;
  o.kmeans.seed = 42;
  const auto a = select_seeds(x, kDim, k, 4, v, o);
  const auto b = select_seeds(x, kDim, k, 4, v, o);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.replacements, b.replacements);
  EXPECT_EQ(a.clustering.centroids, b.clustering.centroids);
  // Cluster scope: every pick (replacements too) is a member of its slot's cluster.
  o.scope = NeighbourScope::Cluster;
  const auto c = select_seeds(x, kDim, k, 4, v, o);
  for (std::size_t s = 0; s < c.indices.size(); ++s)
    EXPECT_EQ(static_cast<std::size_t>(c.clustering.assignment[c.indices[s]]), c.cluster[s]);
  // On well-separated blobs the two scopes agree.
  EXPECT_EQ(a.indices, c.indices);
}

TEST(OptSeedSelect, Errors) {
  const auto x = planted(2, 5, 5);  // 10 samples
  const auto error_of = [&](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error_of([&] { (void)select_seeds(x, kDim, 4, 3, {}); })
                .find("n_clusters * per_cluster = 4 * 3 exceeds the pool of 10 samples"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)select_seeds(x, kDim, 0, 3, {}); }).find("n_clusters must be at least 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)select_seeds(x, kDim, 2, 0, {}); }).find("per_cluster (k) must be at least 1"),
            std::string::npos);
  SeedOptions o;
  o.scope = NeighbourScope::Cluster;
  EXPECT_NE(error_of([&] { (void)select_seeds(x, kDim, 3, 3, {}, o); }).find("fewer than per_cluster 3"),
            std::string::npos);
  std::vector<float> bad = x;
  bad[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { (void)select_seeds(bad, kDim, 2, 2, {}); }).find("is NaN"), std::string::npos);
}

}  // namespace
}  // namespace autoopt::opt
