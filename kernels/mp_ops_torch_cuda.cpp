// CUDA glue of the autograd operators (mp_ops_torch.hpp): runs gather_rows_cuda / segment_sum_cuda
// on the tensors' device pointers, on the current CUDA stream of the tensors' device. Compiled only
// when the linked libtorch has CUDA and AUTOOPT_CUDA is on (AUTOOPT_TORCH_CUDA).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <span>
#include <stdexcept>
#include <string>

#include "mp_ops.hpp"
#include "mp_ops_cuda.hpp"
#include "mp_ops_torch.hpp"

namespace autoopt::kernels::detail {
namespace {

void require_float_cuda(const at::Tensor& t, const char* op) {
  if (!t.is_cuda() || t.scalar_type() != at::kFloat || !t.is_contiguous()) {
    throw std::invalid_argument(std::string(op) +
                                ": the CUDA path needs contiguous float32 CUDA tensors");
  }
}

void* current_stream(const at::Tensor& t) {
  return static_cast<void*>(c10::cuda::getCurrentCUDAStream(t.device().index()).stream());
}

}  // namespace

void gather_rows_forward_cuda(const at::Tensor& src, const at::Tensor& index, at::Tensor& out) {
  require_float_cuda(src, "gather_rows");
  require_float_cuda(out, "gather_rows");
  const c10::cuda::CUDAGuard guard(src.device());
  const std::int64_t dim = src.numel() / src.size(0);
  gather_rows_cuda(src.data_ptr<float>(), index.data_ptr<std::int64_t>(), index.size(0), dim,
                   out.data_ptr<float>(), current_stream(src));
}

void segment_sum_forward_cuda(const at::Tensor& src, const at::Tensor& segment, at::Tensor& out) {
  require_float_cuda(src, "segment_sum");
  require_float_cuda(out, "segment_sum");
  const c10::cuda::CUDAGuard guard(src.device());
  const std::int64_t dim = src.numel() / src.size(0);
  segment_sum_cuda(src.data_ptr<float>(), segment.data_ptr<std::int64_t>(), segment.size(0), dim,
                   out.data_ptr<float>(), current_stream(src));
}

void check_indices_cuda(const at::Tensor& index, std::int64_t bound, const char* what) {
  if (index.numel() == 0) return;
  const c10::cuda::CUDAGuard guard(index.device());
  const auto [lo, hi] = at::aminmax(index);
  if (lo.item<std::int64_t>() >= 0 && hi.item<std::int64_t>() < bound) return;
  // Only on failure: find the first bad position on the host for the message.
  const at::Tensor host = index.to(at::kCPU).contiguous();
  check_indices(std::span<const std::int64_t>(host.data_ptr<std::int64_t>(),
                                              static_cast<std::size_t>(host.numel())),
                bound, what);
  throw std::logic_error(std::string(what) + ": device range check and host check disagree");
}

}  // namespace autoopt::kernels::detail
