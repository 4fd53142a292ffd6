// FAISS k-means and kNN (opt/cluster.hpp) against the brute-force references; determinism; bad input.
#include "opt/cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace autoopt::opt {
namespace {

std::vector<float> random_matrix(std::size_t n, std::size_t dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n * dim);
  for (auto& v : x) v = nd(rng);
  return x;
}

// n points around `k` well-separated centres (spacing 20, noise sd 1).
std::vector<float> blobs(std::size_t k, std::size_t per, std::size_t dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x;
  for (std::size_t p = 0; p < per; ++p)
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t j = 0; j < dim; ++j) x.push_back((j == c % dim ? 20.0f * float(c + 1) : 0.0f) + nd(rng));
  return x;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OptCluster, BackendDetectionIsConsistent) {
  const Backend b = resolve_backend(Backend::Auto);
  if (faiss_gpu_devices() > 0) {
    EXPECT_TRUE(faiss_gpu_compiled());
    EXPECT_EQ(b, Backend::Gpu);
  } else {
    EXPECT_EQ(b, Backend::Cpu);
    EXPECT_NE(error_of([] { (void)resolve_backend(Backend::Gpu); }).find("backend gpu requested"),
              std::string::npos);
  }
  EXPECT_EQ(resolve_backend(Backend::Cpu), Backend::Cpu);
  EXPECT_STREQ(to_string(Backend::Gpu), "gpu");
}

TEST(OptCluster, KnnMatchesReference) {
  const std::size_t dim = 7;
  const auto data = random_matrix(300, dim, 11);
  const auto queries = random_matrix(25, dim, 12);
  const auto got = knn(data, queries, dim, 10, Backend::Cpu);
  const auto ref = knn_reference(data, queries, dim, 10);
  EXPECT_EQ(got.backend, Backend::Cpu);
  ASSERT_EQ(got.ids.size(), 25u * 10u);
  EXPECT_EQ(got.ids, ref.ids);  // continuous random data: no ties
  for (std::size_t i = 0; i < got.sq_distances.size(); ++i)
    EXPECT_NEAR(got.sq_distances[i], ref.sq_distances[i], 1e-4 * (1.0 + ref.sq_distances[i]));
  // Rows ascending; a data row queried against itself is its own nearest, at distance 0.
  const auto self = knn(data, std::span<const float>(data).subspan(0, 5 * dim), dim, 3, Backend::Auto);
  for (std::size_t q = 0; q < 5; ++q) {
    EXPECT_EQ(self.ids[q * 3], static_cast<std::int64_t>(q));
    EXPECT_NEAR(self.sq_distances[q * 3], 0.0f, 1e-4);
    EXPECT_LE(self.sq_distances[q * 3 + 1], self.sq_distances[q * 3 + 2]);
  }
}

TEST(OptCluster, KnnIndexBuiltOnceSearchesLikeKnn) {
  const std::size_t dim = 5;
  const auto data = random_matrix(120, dim, 31);
  KnnIndex index(data, dim, Backend::Cpu);
  EXPECT_EQ(index.size(), 120u);
  EXPECT_EQ(index.dim(), dim);
  EXPECT_EQ(index.backend(), Backend::Cpu);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto q = random_matrix(4, dim, 40 + s);
    const auto a = index.search(q, 6);
    EXPECT_EQ(a.ids, knn_reference(data, q, dim, 6).ids);
  }
  KnnIndex moved = std::move(index);
  EXPECT_EQ(moved.size(), 120u);
  EXPECT_EQ(moved.search(std::span<const float>(data).subspan(0, dim), 1).ids[0], 0);
  EXPECT_NE(error_of([&] { (void)moved.search(std::vector<float>{1, 2}, 1); }).find("not a multiple of dim 5"),
            std::string::npos);
}

TEST(OptCluster, KnnTiesAreOrderedById) {
  // Four points at the same distance from the query: ids ascend.
  const std::vector<float> data{1, 0, 0, 1, -1, 0, 0, -1, 5, 5};
  const std::vector<float> q{0, 0};
  const auto got = knn(data, q, 2, 4, Backend::Cpu);
  EXPECT_EQ(got.ids, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(knn_reference(data, q, 2, 4).ids, got.ids);
}

TEST(OptCluster, KMeansFromSameInitMatchesReference) {
  const std::size_t dim = 5, k = 4;
  const auto x = blobs(k, 50, dim, 3);
  KMeansOptions o;
  o.iterations = 10;
  // Start from the first point of each blob's round-robin block, plus a shift: deliberately not final.
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < dim; ++j) o.initial_centroids.push_back(x[c * dim + j] + 0.5f);
  const auto got = kmeans(x, dim, k, o);
  const auto ref = kmeans_reference(x, dim, k, o);
  EXPECT_EQ(got.backend, Backend::Cpu);
  EXPECT_NEAR(got.objective, ref.objective, 1e-4 * ref.objective);
  EXPECT_EQ(got.assignment, ref.assignment);
  for (std::size_t i = 0; i < got.centroids.size(); ++i) EXPECT_NEAR(got.centroids[i], ref.centroids[i], 1e-3);
}

TEST(OptCluster, KMeansRandomInitIsConsistentAndNearReference) {
  const std::size_t dim = 6, k = 5;
  const auto x = random_matrix(400, dim, 21);  // no planted structure: a harder case
  KMeansOptions o;
  o.iterations = 20;
  o.seed = 77;
  const auto got = kmeans(x, dim, k, o);
  ASSERT_EQ(got.centroids.size(), k * dim);
  ASSERT_EQ(got.assignment.size(), 400u);
  // Every assignment is the nearest centroid, and the objective is their sum.
  double obj = 0.0;
  for (std::size_t i = 0; i < 400; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c)
      best = std::min(best, squared_l2(std::span<const float>(x).subspan(i * dim, dim),
                                       std::span<const float>(got.centroids).subspan(c * dim, dim)));
    const auto a = static_cast<std::size_t>(got.assignment[i]);
    const double mine = squared_l2(std::span<const float>(x).subspan(i * dim, dim),
                                   std::span<const float>(got.centroids).subspan(a * dim, dim));
    EXPECT_NEAR(mine, best, 1e-4 * (1.0 + best));
    obj += mine;
  }
  EXPECT_NEAR(got.objective, obj, 1e-6 * obj);
  KMeansOptions r = o;
  r.restarts = 5;
  const auto ref = kmeans_reference(x, dim, k, r);
  EXPECT_LT(got.objective, 1.05 * ref.objective);
  EXPECT_GT(got.objective, 0.8 * ref.objective);
}

TEST(OptCluster, KMeansDeterministicForSeed) {
  const std::size_t dim = 4;
  const auto x = random_matrix(200, dim, 5);
  KMeansOptions o;
  o.seed = 9;
  const auto a = kmeans(x, dim, 6, o);
  const auto b = kmeans(x, dim, 6, o);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(a.objective, b.objective);
  const auto ra = kmeans_reference(x, dim, 6, o);
  const auto rb = kmeans_reference(x, dim, 6, o);
  EXPECT_EQ(ra.centroids, rb.centroids);
}

TEST(OptCluster, KMeansFindsPlantedBlobs) {
  const std::size_t dim = 8, k = 4, per = 40;
  const auto x = blobs(k, per, dim, 8);
  KMeansOptions o;
  o.restarts = 3;
  const auto got = kmeans(x, dim, k, o);
  // Points i and i+k*p come from the same blob: they share a cluster, and blobs get distinct ones.
  for (std::size_t i = 0; i < x.size() / dim; ++i) EXPECT_EQ(got.assignment[i], got.assignment[i % k]);
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = a + 1; b < k; ++b) EXPECT_NE(got.assignment[a], got.assignment[b]);
  // Every point within a few noise sd of its centroid: objective ~ n*dim.
  EXPECT_LT(got.objective, 2.0 * double(k * per * dim));
}

TEST(OptCluster, BadInputErrors) {
  const std::vector<float> x{0, 1, 2, 3, 4, 5};  // 3 points in 2-d
  EXPECT_NE(error_of([&] { (void)kmeans(x, 2, 4); }).find("k = 4 exceeds the number of points (3)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)kmeans(x, 0, 1); }).find("dim must be at least 1"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)kmeans(x, 4, 1); }).find("not a multiple of dim 4"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)kmeans(x, 2, 0); }).find("k must be at least 1"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)kmeans(std::span<const float>{}, 2, 1); }).find("points is empty"),
            std::string::npos);
  std::vector<float> bad = x;
  bad[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { (void)kmeans(bad, 2, 1); }).find("points row 1 column 1 is NaN"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)knn(x, bad, 2, 1); }).find("queries row 1 column 1 is NaN"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)knn(x, x, 2, 5); }).find("k = 5 exceeds the number of data rows (3)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)kmeans_reference(x, 2, 4); }).find("exceeds the number of points"),
            std::string::npos);
  KMeansOptions o;
  o.initial_centroids = {1, 2, 3};
  EXPECT_NE(error_of([&] { (void)kmeans(x, 2, 2, o); }).find("initial_centroids has 3 values, expected k*dim = 4"),
            std::string::npos);
  o = {};
  o.iterations = 0;
  EXPECT_NE(error_of([&] { (void)kmeans(x, 2, 2, o); }).find("iterations must be at least 1"), std::string::npos);
}

TEST(OptCluster, KEqualsNCopiesPoints) {
  const std::vector<float> x{0, 0, 3, 4, 10, 10};
  const auto got = kmeans(x, 2, 3);
  EXPECT_NEAR(got.objective, 0.0, 1e-9);
  std::vector<std::int64_t> sorted = got.assignment;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::int64_t>{0, 1, 2}));
}

}  // namespace
}  // namespace autoopt::opt
