// libtorch autograd operators over the message-passing primitives of mp_ops.hpp.
//
//   gather_rows(src, index)                 out[i, ...] = src[index[i], ...]
//   segment_sum(src, segment, num_segments) out[segment[i], ...] += src[i, ...]   (out starts at 0)
//
// Each is a torch::autograd::Function: the forward calls our primitive (CPU: the raw-buffer
// functions; CUDA: gather_rows_cuda / segment_sum_cuda on the current stream when the build has the
// CUDA glue, else libtorch's own index_select / index_add_), and the backward is the other operator (gather's backward is a segment_sum of the
// output gradient by `index`, segment_sum's backward is a gather by `segment`), so higher-order
// gradients work too.
//
// Accepted inputs: src of float32 or float64 with at least one dimension (rows = size(0), the
// remaining dimensions are carried along), indices int64 of one dimension, on the same device as src.
// Non-contiguous inputs are made contiguous. Bad inputs throw std::invalid_argument (dtype, shape,
// device) or std::out_of_range (an index outside its bound, naming the first bad position).
// CUDA tensors: float32 only (the CUDA kernels are single precision; the same rule holds when they
// fall back to libtorch's operators, so results do not depend on how the build was made).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace autoopt::kernels {

[[nodiscard]] at::Tensor gather_rows(const at::Tensor& src, const at::Tensor& index);

[[nodiscard]] at::Tensor segment_sum(const at::Tensor& src, const at::Tensor& segment,
                                     std::int64_t num_segments);

// True when this build can run the operators on CUDA tensors (the libtorch linked has CUDA and the
// CUDA glue mp_ops_torch_cuda.cpp was compiled in).
[[nodiscard]] bool torch_cuda_glue_built() noexcept;

namespace detail {
// Forward kernels of CUDA tensors without autograd, on already validated contiguous tensors (out is
// preallocated: gather overwrites it, segment_sum accumulates into it). Our CUDA kernels in
// mp_ops_torch_cuda.cpp when the glue is built; libtorch's index_select / index_add_ otherwise
// (mp_ops_torch.cpp).
void gather_rows_forward_cuda(const at::Tensor& src, const at::Tensor& index, at::Tensor& out);
void segment_sum_forward_cuda(const at::Tensor& src, const at::Tensor& segment, at::Tensor& out);
// Index range check of a CUDA index tensor (reduction on the device; the first bad position is
// looked up on the host only when there is one).
void check_indices_cuda(const at::Tensor& index, std::int64_t bound, const char* what);
}  // namespace detail

}  // namespace autoopt::kernels
