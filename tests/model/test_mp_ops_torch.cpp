// Autograd operators gather_rows / segment_sum: forward against torch's index_select / index_add_,
// central-difference gradient checks in double, backward against torch's autograd of the reference
// ops, and refusal of bad inputs with their messages.
#include "mp_ops_torch.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>

namespace {

using autoopt::kernels::gather_rows;
using autoopt::kernels::segment_sum;

torch::Tensor random_index(std::int64_t n, std::int64_t bound, std::uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, bound, {n}, torch::kLong);
}

torch::Tensor reference_segment_sum(const torch::Tensor& src, const torch::Tensor& seg,
                                    std::int64_t num) {
  std::vector<std::int64_t> shape = src.sizes().vec();
  shape[0] = num;
  return torch::zeros(shape, src.options()).index_add(0, seg, src);
}

// Central differences of the scalar f at x (double), one element at a time.
torch::Tensor numeric_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                               const torch::Tensor& x, double eps = 1e-6) {
  torch::NoGradGuard no_grad;
  torch::Tensor xc = x.detach().clone().contiguous();
  torch::Tensor g = torch::zeros_like(xc);
  auto flat = xc.view({-1});
  auto gflat = g.view({-1});
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    const double v = flat[i].item<double>();
    flat[i] = v + eps;
    const double fp = f(xc).item<double>();
    flat[i] = v - eps;
    const double fm = f(xc).item<double>();
    flat[i] = v;
    gflat[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

torch::Tensor analytic_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                const torch::Tensor& x) {
  torch::Tensor xr = x.detach().clone().requires_grad_(true);
  f(xr).backward();
  return xr.grad();
}

TEST(MpOpsTorch, GatherForwardMatchesIndexSelect) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    torch::manual_seed(seed);
    const std::int64_t rows = 1 + static_cast<std::int64_t>(seed) * 3, n = 2 + 5 * static_cast<std::int64_t>(seed);
    const torch::Tensor src = torch::randn({rows, 7}, torch::kDouble);
    const torch::Tensor idx = random_index(n, rows, seed + 100);
    const torch::Tensor out = gather_rows(src, idx);
    ASSERT_EQ(out.sizes(), torch::IntArrayRef({n, 7}));
    EXPECT_TRUE(torch::equal(out, src.index_select(0, idx))) << "seed " << seed;
  }
  // Extra trailing dimensions are carried along; float32 works too.
  const torch::Tensor src3 = torch::randn({5, 3, 2}, torch::kFloat);
  const torch::Tensor idx = torch::tensor({4, 0, 0, 2}, torch::kLong);
  EXPECT_TRUE(torch::equal(gather_rows(src3, idx), src3.index_select(0, idx)));
}

TEST(MpOpsTorch, SegmentSumForwardMatchesIndexAdd) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    torch::manual_seed(seed);
    const std::int64_t n = 3 + 7 * static_cast<std::int64_t>(seed), segs = 1 + static_cast<std::int64_t>(seed);
    const torch::Tensor src = torch::randn({n, 5}, torch::kDouble);
    const torch::Tensor seg = random_index(n, segs, seed + 200);
    const torch::Tensor out = segment_sum(src, seg, segs + 2);  // trailing segments stay zero
    const torch::Tensor ref = reference_segment_sum(src, seg, segs + 2);
    EXPECT_TRUE(torch::allclose(out, ref, 1e-12, 1e-12)) << "seed " << seed;
    EXPECT_EQ(out.slice(0, segs).abs().sum().item<double>(), 0.0);
  }
  const torch::Tensor src3 = torch::randn({6, 2, 3}, torch::kFloat);
  const torch::Tensor seg = torch::tensor({1, 1, 0, 3, 1, 0}, torch::kLong);
  EXPECT_TRUE(torch::allclose(segment_sum(src3, seg, 4), reference_segment_sum(src3, seg, 4),
                              1e-6, 1e-6));
}

TEST(MpOpsTorch, NonContiguousAndEmptyInputs) {
  const torch::Tensor base = torch::randn({4, 6}, torch::kDouble);
  const torch::Tensor src = base.t();  // [6, 4], not contiguous
  ASSERT_FALSE(src.is_contiguous());
  const torch::Tensor idx = torch::tensor({5, 1, 5}, torch::kLong);
  EXPECT_TRUE(torch::equal(gather_rows(src, idx), src.index_select(0, idx)));
  const torch::Tensor seg = torch::tensor({0, 1, 0, 1, 2, 2}, torch::kLong);
  EXPECT_TRUE(torch::allclose(segment_sum(src, seg, 3), reference_segment_sum(src, seg, 3)));

  const torch::Tensor none = torch::zeros({0}, torch::kLong);
  EXPECT_EQ(gather_rows(src, none).sizes(), torch::IntArrayRef({0, 4}));
  const torch::Tensor z = segment_sum(torch::zeros({0, 4}, torch::kDouble), none, 3);
  EXPECT_EQ(z.sizes(), torch::IntArrayRef({3, 4}));
  EXPECT_EQ(z.abs().sum().item<double>(), 0.0);
}

TEST(MpOpsTorch, GatherGradientMatchesCentralDifferences) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({6, 3}, torch::kDouble);
  const torch::Tensor idx = torch::tensor({0, 5, 5, 2, 0, 0, 4}, torch::kLong);  // row 1, 3 unused
  const torch::Tensor w = torch::randn({7, 3}, torch::kDouble);
  // A non-linear scalar so that the gradient depends on x.
  auto f = [&](const torch::Tensor& v) { return (torch::tanh(gather_rows(v, idx)) * w).sum(); };
  const torch::Tensor num = numeric_gradient(f, x);
  const torch::Tensor ana = analytic_gradient(f, x);
  EXPECT_TRUE(torch::allclose(ana, num, 1e-7, 1e-8)) << (ana - num).abs().max().item<double>();
  EXPECT_EQ(ana[1].abs().sum().item<double>(), 0.0);
}

TEST(MpOpsTorch, SegmentSumGradientMatchesCentralDifferences) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({8, 2}, torch::kDouble);
  const torch::Tensor seg = torch::tensor({3, 0, 3, 1, 1, 3, 0, 2}, torch::kLong);
  const torch::Tensor w = torch::randn({4, 2}, torch::kDouble);
  auto f = [&](const torch::Tensor& v) { return (segment_sum(v, seg, 4).pow(3) * w).sum(); };
  const torch::Tensor num = numeric_gradient(f, x);
  const torch::Tensor ana = analytic_gradient(f, x);
  EXPECT_TRUE(torch::allclose(ana, num, 1e-6, 1e-7)) << (ana - num).abs().max().item<double>();
}

TEST(MpOpsTorch, BackwardMatchesTorchAutogradOfReferenceOps) {
  for (const auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(3);
    const double tol = dtype == torch::kDouble ? 1e-12 : 1e-5;
    const torch::Tensor x = torch::randn({30, 16}, dtype);
    const torch::Tensor idx = random_index(100, 30, 4);
    const torch::Tensor seg = random_index(100, 12, 5);
    const torch::Tensor w = torch::randn({12, 16}, dtype);
    // A gather followed by a segment_sum, as in one message-passing step.
    auto ours = [&](const torch::Tensor& v) {
      return (segment_sum(torch::relu(gather_rows(v, idx)) * 1.5, seg, 12) * w).sum();
    };
    auto ref = [&](const torch::Tensor& v) {
      return (reference_segment_sum(torch::relu(v.index_select(0, idx)) * 1.5, seg, 12) * w).sum();
    };
    const torch::Tensor a = analytic_gradient(ours, x);
    const torch::Tensor b = analytic_gradient(ref, x);
    EXPECT_TRUE(torch::allclose(a, b, tol, tol)) << torch::toString(dtype);
    EXPECT_NEAR(ours(x).item<double>(), ref(x).item<double>(), 1e3 * tol);
  }
}

TEST(MpOpsTorch, SecondOrderGradientsFlowThroughBackward) {
  // d/dx of (d f/dx . v) where f = sum(gather(x)^2 * w): the backward is built from our operators,
  // so create_graph records it.
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn({5, 2}, torch::kDouble).requires_grad_(true);
  const torch::Tensor idx = torch::tensor({0, 3, 3, 1}, torch::kLong);
  const torch::Tensor w = torch::randn({4, 2}, torch::kDouble);
  const torch::Tensor v = torch::randn({5, 2}, torch::kDouble);
  const auto ours = [&](const torch::Tensor& xx) { return (gather_rows(xx, idx).pow(2) * w).sum(); };
  const auto ref = [&](const torch::Tensor& xx) { return (xx.index_select(0, idx).pow(2) * w).sum(); };
  auto hvp = [&](const std::function<torch::Tensor(const torch::Tensor&)>& f) {
    const auto g = torch::autograd::grad({f(x)}, {x}, {}, true, true)[0];
    return torch::autograd::grad({(g * v).sum()}, {x})[0];
  };
  EXPECT_TRUE(torch::allclose(hvp(ours), hvp(ref), 1e-12, 1e-12));
}

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

TEST(MpOpsTorch, BadInputsAreRefusedWithClearMessages) {
  const torch::Tensor src = torch::randn({5, 2}, torch::kDouble);
  const torch::Tensor idx = torch::tensor({0, 3, 5}, torch::kLong);
  try {
    (void)gather_rows(src, idx);
    FAIL() << "expected out_of_range";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "gather_rows: index[2] = 5 is outside [0, 5)");
  }
  EXPECT_THROW((void)gather_rows(src, torch::tensor({-1}, torch::kLong)), std::out_of_range);
  EXPECT_EQ(message_of([&] { (void)segment_sum(src, torch::tensor({0, 1, 2, 3, 4}, torch::kLong), 4); }),
            "segment_sum: segment[4] = 4 is outside [0, 4)");

  EXPECT_EQ(message_of([&] { (void)gather_rows(src.to(torch::kInt), torch::tensor({0}, torch::kLong)); }),
            "gather_rows: src must be float32 or float64, got Int");
  EXPECT_EQ(message_of([&] { (void)gather_rows(src, torch::tensor({0}, torch::kInt)); }),
            "gather_rows: index must be int64, got Int");
  EXPECT_EQ(message_of([&] { (void)segment_sum(src, torch::zeros({5, 1}, torch::kLong), 2); }),
            "segment_sum: segment must have 1 dimension, got shape [5, 1]");
  EXPECT_EQ(message_of([&] { (void)segment_sum(src, torch::zeros({4}, torch::kLong), 2); }),
            "segment_sum: segment has 4 entries but src has 5 rows (shape [5, 2])");
  EXPECT_EQ(message_of([&] { (void)segment_sum(src, torch::zeros({5}, torch::kLong), -1); }),
            "segment_sum: num_segments must be >= 0, got -1");
  EXPECT_EQ(message_of([&] { (void)gather_rows(torch::tensor(1.0), torch::zeros({1}, torch::kLong)); }),
            "gather_rows: src must have at least 1 dimension (rows first), got a scalar");
  EXPECT_THROW((void)gather_rows(src, torch::Tensor()), std::invalid_argument);
}

TEST(MpOpsTorch, CudaTensorsGiveTheCpuResults) {
  // CUDA tensors run our kernels with the CUDA glue, libtorch's index_select / index_add_ without.
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Tensor src = torch::randn({4, 3}, torch::dtype(torch::kFloat).device(torch::kCUDA));
  const torch::Tensor idx = torch::tensor({1, 2, 1}, torch::kLong).to(torch::kCUDA);
  EXPECT_TRUE(torch::equal(gather_rows(src, idx).cpu(), src.cpu().index_select(0, idx.cpu())));
  const torch::Tensor sum = segment_sum(src.narrow(0, 0, 3), idx, 4).cpu();
  const torch::Tensor ref = torch::zeros({4, 3}).index_add_(0, idx.cpu(), src.cpu().narrow(0, 0, 3));
  EXPECT_TRUE(torch::allclose(sum, ref, 1e-6, 1e-6));
  EXPECT_NE(message_of([&] { (void)gather_rows(src, torch::tensor({0, 4}, torch::kLong).to(torch::kCUDA)); })
                .find("index[1] = 4 is outside [0, 4)"),
            std::string::npos);
}

}  // namespace
