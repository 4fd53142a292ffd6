// CPU message-passing primitives against a double-precision reference, and their adjointness
// (gather's backward is segment_sum): <gather(x), g> == <x, segment_sum(g)>.
#include "mp_ops.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using autoopt::kernels::gather_rows_cpu;
using autoopt::kernels::segment_sum_cpu;

struct Case {
  std::int64_t rows, n, dim;
  std::vector<float> src;
  std::vector<std::int64_t> index;
};

Case random_case(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> r(1, 40), d(1, 33);
  Case c{r(rng), r(rng) * 3, d(rng), {}, {}};
  std::normal_distribution<float> x(0.f, 1.f);
  c.src.resize(static_cast<std::size_t>(c.rows * c.dim));
  for (auto& v : c.src) v = x(rng);
  std::uniform_int_distribution<std::int64_t> idx(0, c.rows - 1);
  c.index.resize(static_cast<std::size_t>(c.n));
  for (auto& v : c.index) v = idx(rng);
  return c;
}

TEST(MpOps, GatherMatchesReference) {
  for (std::uint32_t seed = 0; seed < 20; ++seed) {
    const Case c = random_case(seed);
    std::vector<float> out(static_cast<std::size_t>(c.n * c.dim), -7.f);
    gather_rows_cpu(c.src, c.index, c.dim, out);
    for (std::int64_t i = 0; i < c.n; ++i)
      for (std::int64_t j = 0; j < c.dim; ++j)
        ASSERT_EQ(out[i * c.dim + j], c.src[c.index[i] * c.dim + j]) << "seed " << seed;
  }
}

TEST(MpOps, SegmentSumMatchesDoubleReference) {
  for (std::uint32_t seed = 0; seed < 20; ++seed) {
    const Case c = random_case(seed);
    std::vector<float> grad(static_cast<std::size_t>(c.n * c.dim));
    std::mt19937 rng(seed + 100);
    std::normal_distribution<float> x(0.f, 1.f);
    for (auto& v : grad) v = x(rng);
    std::vector<float> out(static_cast<std::size_t>(c.rows * c.dim), 0.f);
    segment_sum_cpu(grad, c.index, c.dim, out);
    std::vector<double> ref(out.size(), 0.0);
    for (std::int64_t i = 0; i < c.n; ++i)
      for (std::int64_t j = 0; j < c.dim; ++j) ref[c.index[i] * c.dim + j] += grad[i * c.dim + j];
    for (std::size_t k = 0; k < out.size(); ++k) ASSERT_NEAR(out[k], ref[k], 1e-5) << "seed " << seed;
  }
}

TEST(MpOps, GatherAndSegmentSumAreAdjoint) {
  const Case c = random_case(7);
  std::vector<float> g(static_cast<std::size_t>(c.n * c.dim));
  std::mt19937 rng(3);
  std::normal_distribution<float> x(0.f, 1.f);
  for (auto& v : g) v = x(rng);
  std::vector<float> gx(g.size());
  gather_rows_cpu(c.src, c.index, c.dim, gx);
  std::vector<float> sg(c.src.size(), 0.f);
  segment_sum_cpu(g, c.index, c.dim, sg);
  double lhs = 0, rhs = 0;
  for (std::size_t k = 0; k < g.size(); ++k) lhs += double(gx[k]) * g[k];
  for (std::size_t k = 0; k < sg.size(); ++k) rhs += double(c.src[k]) * sg[k];
  EXPECT_NEAR(lhs, rhs, 1e-3 * (1 + std::abs(lhs)));
}

TEST(MpOps, BadIndicesAndSizesAreRefused) {
  const std::vector<std::int64_t> idx{0, 3, 5};
  try {
    autoopt::kernels::check_indices(idx, 5, "path_to_link");
    FAIL() << "expected out_of_range";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "path_to_link[2] = 5 is outside [0, 5)");
  }
  std::vector<float> src(10), out(5);
  EXPECT_THROW(gather_rows_cpu(src, std::vector<std::int64_t>{0, 1}, 2, out), std::invalid_argument);
  EXPECT_THROW(segment_sum_cpu(src, std::vector<std::int64_t>{0}, 2, out), std::invalid_argument);
}

}  // namespace
