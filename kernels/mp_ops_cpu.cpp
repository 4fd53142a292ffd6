#include "mp_ops.hpp"

#include <stdexcept>
#include <string>

namespace autoopt::kernels {

void check_indices(std::span<const std::int64_t> index, std::int64_t bound, const char* what) {
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index[i] < 0 || index[i] >= bound) {
      throw std::out_of_range(std::string(what) + "[" + std::to_string(i) + "] = " +
                              std::to_string(index[i]) + " is outside [0, " +
                              std::to_string(bound) + ")");
    }
  }
}

namespace {

template <typename T>
void gather_rows_impl(std::span<const T> src, std::span<const std::int64_t> index, std::int64_t dim,
                      std::span<T> out) {
  if (dim <= 0 || out.size() != index.size() * static_cast<std::size_t>(dim) ||
      src.size() % static_cast<std::size_t>(dim) != 0) {
    throw std::invalid_argument("gather_rows_cpu: buffer sizes do not match dim");
  }
  const auto d = static_cast<std::size_t>(dim);
  for (std::size_t i = 0; i < index.size(); ++i) {
    const auto* row = src.data() + static_cast<std::size_t>(index[i]) * d;
    auto* dst = out.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) dst[j] = row[j];
  }
}

template <typename T>
void segment_sum_impl(std::span<const T> src, std::span<const std::int64_t> segment,
                      std::int64_t dim, std::span<T> out) {
  if (dim <= 0 || src.size() != segment.size() * static_cast<std::size_t>(dim) ||
      out.size() % static_cast<std::size_t>(dim) != 0) {
    throw std::invalid_argument("segment_sum_cpu: buffer sizes do not match dim");
  }
  const auto d = static_cast<std::size_t>(dim);
  for (std::size_t i = 0; i < segment.size(); ++i) {
    auto* dst = out.data() + static_cast<std::size_t>(segment[i]) * d;
    const auto* row = src.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) dst[j] += row[j];
  }
}

}  // namespace

void gather_rows_cpu(std::span<const float> src, std::span<const std::int64_t> index,
                     std::int64_t dim, std::span<float> out) {
  gather_rows_impl(src, index, dim, out);
}

void gather_rows_cpu(std::span<const double> src, std::span<const std::int64_t> index,
                     std::int64_t dim, std::span<double> out) {
  gather_rows_impl(src, index, dim, out);
}

void segment_sum_cpu(std::span<const float> src, std::span<const std::int64_t> segment,
                     std::int64_t dim, std::span<float> out) {
  segment_sum_impl(src, segment, dim, out);
}

void segment_sum_cpu(std::span<const double> src, std::span<const std::int64_t> segment,
                     std::int64_t dim, std::span<double> out) {
  segment_sum_impl(src, segment, dim, out);
}

bool cuda_built() noexcept {
#if defined(AUTOOPT_WITH_CUDA)
  return true;
#else
  return false;
#endif
}

}  // namespace autoopt::kernels
