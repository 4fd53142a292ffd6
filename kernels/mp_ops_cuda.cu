// CUDA implementations of the message-passing primitives over raw device buffers.
#include "mp_ops_cuda.hpp"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace autoopt::kernels {
namespace {

__global__ void gather_rows_kernel(const float* __restrict__ src, const std::int64_t* __restrict__ index,
                                   std::int64_t n_out, std::int64_t dim, float* __restrict__ out) {
  const std::int64_t total = n_out * dim;
  for (std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = t / dim;
    const std::int64_t j = t - i * dim;
    out[t] = src[index[i] * dim + j];
  }
}

__global__ void segment_sum_kernel(const float* __restrict__ src, const std::int64_t* __restrict__ segment,
                                   std::int64_t n_in, std::int64_t dim, float* __restrict__ out) {
  const std::int64_t total = n_in * dim;
  for (std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = t / dim;
    const std::int64_t j = t - i * dim;
    atomicAdd(out + segment[i] * dim + j, src[t]);
  }
}

unsigned grid_for(std::int64_t total, unsigned block) {
  const std::int64_t blocks = (total + block - 1) / block;
  return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
}

}  // namespace

void gather_rows_cuda(const float* src, const std::int64_t* index, std::int64_t n_out,
                      std::int64_t dim, float* out, void* stream) {
  constexpr unsigned block = 256;
  gather_rows_kernel<<<grid_for(n_out * dim, block), block, 0, static_cast<cudaStream_t>(stream)>>>(
      src, index, n_out, dim, out);
  check(cudaGetLastError(), "gather_rows_cuda");
}

void segment_sum_cuda(const float* src, const std::int64_t* segment, std::int64_t n_in,
                      std::int64_t dim, float* out, void* stream) {
  constexpr unsigned block = 256;
  segment_sum_kernel<<<grid_for(n_in * dim, block), block, 0, static_cast<cudaStream_t>(stream)>>>(
      src, segment, n_in, dim, out);
  check(cudaGetLastError(), "segment_sum_cuda");
}

}  // namespace autoopt::kernels
