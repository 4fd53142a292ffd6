// Message-passing operators of RouteNet-Fermi over raw row-major buffers.
//
// Two primitives cover the forward and backward passes of the model's message passing:
//   gather_rows:  out[i, :]            = src[index[i], :]      (link/queue states along paths)
//   segment_sum:  out[segment[i], :]  += src[i, :]             (path states into queues and links)
// The backward of gather_rows is a segment_sum of the output gradient by `index`; the backward of
// segment_sum is a gather_rows of the output gradient by `segment`.
//
// Each primitive has a CPU implementation (always built) and a CUDA implementation over device
// pointers (built when AUTOOPT_CUDA is on). Index validation is done once on the host with
// check_indices(); the kernels assume valid indices.
#pragma once

#include <cstdint>
#include <span>

namespace autoopt::kernels {

// Throws std::out_of_range naming `what` and the first bad position if any index is outside
// [0, bound).
void check_indices(std::span<const std::int64_t> index, std::int64_t bound, const char* what);

// out.size() == index.size() * dim; src.size() % dim == 0.
void gather_rows_cpu(std::span<const float> src, std::span<const std::int64_t> index,
                     std::int64_t dim, std::span<float> out);

// Accumulates into out (not zeroed here); out.size() % dim == 0, src.size() == segment.size() * dim.
// Deterministic: rows are added in index order.
void segment_sum_cpu(std::span<const float> src, std::span<const std::int64_t> segment,
                     std::int64_t dim, std::span<float> out);

// Double-precision twins (same contracts), used by the libtorch glue for float64 tensors and by
// gradient checks.
void gather_rows_cpu(std::span<const double> src, std::span<const std::int64_t> index,
                     std::int64_t dim, std::span<double> out);
void segment_sum_cpu(std::span<const double> src, std::span<const std::int64_t> segment,
                     std::int64_t dim, std::span<double> out);

[[nodiscard]] bool cuda_built() noexcept;

}  // namespace autoopt::kernels

// Outside the namespace: the CUDA header opens autoopt::kernels itself.
#if defined(AUTOOPT_WITH_CUDA)
#include "mp_ops_cuda.hpp"
#endif
