// GPU check of the autograd operators (kernels/mp_ops_torch.hpp): CPU vs CUDA forward and backward of
// gather_rows and segment_sum on random float32 inputs (relative tolerance 1e-5), bad CUDA inputs
// refused, and a few timings. A plain program (no GoogleTest, so a GPU machine needs only CUDA and
// libtorch); exits non-zero on any failure. Run by tests/device/run_gpu_checks.sh.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "mp_ops_torch.hpp"

namespace {

using autoopt::kernels::gather_rows;
using autoopt::kernels::segment_sum;

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "[ OK ]" : "[FAIL]", what.c_str());
  if (!ok) ++failures;
}

// Norm-wise relative error max|a - b| / max|b| (max|b| floored at 1), on the CPU in double. Sums
// on the GPU use atomics, so their order differs from the CPU's index order: an element-wise
// relative error would be dominated by cancellation in near-zero sums.
double rel_error(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor ac = a.detach().cpu().to(torch::kDouble);
  const torch::Tensor bc = b.detach().cpu().to(torch::kDouble);
  if (ac.sizes() != bc.sizes()) return 1e30;
  if (bc.numel() == 0) return 0.0;
  const double scale = std::max(bc.abs().max().item<double>(), 1.0);
  return (ac - bc).abs().max().item<double>() / scale;
}

struct Case {
  std::int64_t rows, n, dim;
};

void check_case(const Case& c, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto cpu = torch::dtype(torch::kFloat);
  const torch::Tensor x = torch::randn({c.rows, c.dim}, cpu);
  const torch::Tensor idx = torch::randint(0, c.rows, {c.n}, torch::kLong);
  const torch::Tensor seg = torch::randint(0, c.rows, {c.n}, torch::kLong);
  const torch::Tensor g_out = torch::randn({c.n, c.dim}, cpu);
  const torch::Tensor g_seg = torch::randn({c.rows, c.dim}, cpu);
  const std::string tag = "rows=" + std::to_string(c.rows) + " n=" + std::to_string(c.n) +
                          " dim=" + std::to_string(c.dim);

  // gather: forward and backward.
  const torch::Tensor xc = x.clone().requires_grad_(true);
  const torch::Tensor xg = x.to(torch::kCUDA).requires_grad_(true);
  const torch::Tensor yc = gather_rows(xc, idx);
  const torch::Tensor yg = gather_rows(xg, idx.to(torch::kCUDA));
  yc.backward(g_out);
  yg.backward(g_out.to(torch::kCUDA));
  const double e1 = rel_error(yg, yc), e2 = rel_error(xg.grad(), xc.grad());
  expect(e1 <= 1e-5, "gather_rows forward  " + tag + " rel err " + std::to_string(e1));
  expect(e2 <= 1e-5, "gather_rows backward " + tag + " rel err " + std::to_string(e2));

  // segment_sum: forward and backward.
  const torch::Tensor sc_in = torch::randn({c.n, c.dim}, cpu);
  const torch::Tensor sc = sc_in.clone().requires_grad_(true);
  const torch::Tensor sg = sc_in.to(torch::kCUDA).requires_grad_(true);
  const torch::Tensor zc = segment_sum(sc, seg, c.rows);
  const torch::Tensor zg = segment_sum(sg, seg.to(torch::kCUDA), c.rows);
  zc.backward(g_seg);
  zg.backward(g_seg.to(torch::kCUDA));
  const double e3 = rel_error(zg, zc), e4 = rel_error(sg.grad(), sc.grad());
  expect(e3 <= 1e-5, "segment_sum forward  " + tag + " rel err " + std::to_string(e3));
  expect(e4 <= 1e-5, "segment_sum backward " + tag + " rel err " + std::to_string(e4));
}

double time_ms(const std::function<void()>& f, int reps) {
  f();  // warm-up
  torch::cuda::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  torch::cuda::synchronize();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count() / reps;
}

void timings() {
  // A RouteNet-Fermi-sized step: 300 nodes -> ~90k paths x ~4 hops, 32-wide states.
  const std::int64_t rows = 4000, hops = 360000, dim = 32;
  torch::manual_seed(7);
  const auto gpu = torch::dtype(torch::kFloat).device(torch::kCUDA);
  const torch::Tensor x = torch::randn({rows, dim}, gpu);
  const torch::Tensor idx = torch::randint(0, rows, {hops}, torch::dtype(torch::kLong).device(torch::kCUDA));
  const torch::Tensor h = torch::randn({hops, dim}, gpu);
  const double g_ours = time_ms([&] { (void)gather_rows(x, idx); }, 50);
  const double g_ref = time_ms([&] { (void)x.index_select(0, idx); }, 50);
  const double s_ours = time_ms([&] { (void)segment_sum(h, idx, rows); }, 50);
  const double s_ref = time_ms([&] { (void)torch::zeros({rows, dim}, gpu).index_add_(0, idx, h); }, 50);
  const torch::Tensor xr = x.clone().requires_grad_(true);
  const double fb = time_ms(
      [&] {
        xr.mutable_grad() = torch::Tensor();
        segment_sum(gather_rows(xr, idx) * 2, idx, rows).sum().backward();
      },
      20);
  std::printf("timing (%lld rows, %lld hops, dim %lld, float32, ms per call):\n",
              static_cast<long long>(rows), static_cast<long long>(hops), static_cast<long long>(dim));
  std::printf("  gather_rows  ours %.3f   index_select %.3f\n", g_ours, g_ref);
  std::printf("  segment_sum  ours %.3f   index_add_   %.3f\n", s_ours, s_ref);
  std::printf("  gather+segment_sum forward+backward %.3f\n", fb);
  // Same on the CPU for scale (single repetition, includes index validation).
  const torch::Tensor xc = x.cpu(), ic = idx.cpu(), hc = h.cpu();
  const auto t0 = std::chrono::steady_clock::now();
  (void)gather_rows(xc, ic);
  (void)segment_sum(hc, ic, rows);
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("  CPU gather_rows + segment_sum %.3f\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count());
}

}  // namespace

int main() {
  if (!torch::cuda::is_available()) {
    std::printf("[FAIL] no CUDA device visible to libtorch\n");
    return 2;
  }
  expect(autoopt::kernels::torch_cuda_glue_built(), "the CUDA glue is compiled in");
  const Case cases[] = {{1, 1, 1}, {7, 50, 3}, {100, 1000, 32}, {1000, 20000, 32}, {33, 5000, 17}};
  std::uint64_t seed = 1;
  for (const auto& c : cases) check_case(c, seed++);

  // Bad CUDA inputs are refused before any kernel runs.
  const torch::Tensor x = torch::randn({4, 2}, torch::dtype(torch::kFloat).device(torch::kCUDA));
  auto refused = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
  };
  expect(refused([&] { (void)gather_rows(x, torch::tensor({0, 4}, torch::kLong).to(torch::kCUDA)); },
                 "gather_rows: index[1] = 4 is outside [0, 4)"),
         "out-of-range CUDA index refused with its position");
  expect(refused([&] { (void)gather_rows(x, torch::tensor({0}, torch::kLong)); }, "is on"),
         "CPU index with CUDA src refused");
  expect(refused([&] { (void)gather_rows(x.to(torch::kDouble), torch::tensor({0}, torch::kLong).to(torch::kCUDA)); },
                 "float64 CUDA tensors are not supported"),
         "float64 CUDA src refused");

  timings();
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
