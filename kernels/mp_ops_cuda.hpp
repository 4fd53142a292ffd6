// CUDA versions of the message-passing primitives (see mp_ops.hpp), over device pointers.
// Kept free of C++20 headers so that nvcc compiles it in C++17 mode.
#pragma once

#include <cstdint>

namespace autoopt::kernels {

// `stream` is a cudaStream_t (nullptr = the default stream). Indices must be valid (check_indices).
void gather_rows_cuda(const float* src, const std::int64_t* index, std::int64_t n_out,
                      std::int64_t dim, float* out, void* stream);
// Accumulates into out with atomics (summation order is not deterministic on the GPU).
void segment_sum_cuda(const float* src, const std::int64_t* segment, std::int64_t n_in,
                      std::int64_t dim, float* out, void* stream);

}  // namespace autoopt::kernels
