// Autograd operators gather_rows / segment_sum over the CPU primitives (and the CUDA glue when built).
#include "mp_ops_torch.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <span>
#include <stdexcept>
#include <string>

#include "mp_ops.hpp"

namespace autoopt::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::string type_name(const at::Tensor& t) { return std::string(c10::toString(t.scalar_type())); }

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Checks the value tensor `src` and the index tensor `index` of operator `op`; `what` names the
// index argument in messages.
void validate(const char* op, const at::Tensor& src, const at::Tensor& index, const char* what) {
  const std::string o(op);
  require(src.defined(), o + ": src is an undefined tensor");
  require(index.defined(), o + ": " + what + " is an undefined tensor");
  require(src.scalar_type() == at::kFloat || src.scalar_type() == at::kDouble,
          o + ": src must be float32 or float64, got " + type_name(src));
  require(index.scalar_type() == at::kLong,
          o + ": " + what + " must be int64, got " + type_name(index));
  require(src.dim() >= 1, o + ": src must have at least 1 dimension (rows first), got a scalar");
  require(index.dim() == 1, o + ": " + what + " must have 1 dimension, got shape " + shape_of(index));
  require(src.device() == index.device(), o + ": src is on " + src.device().str() + " but " + what +
                                              " is on " + index.device().str());
  require(src.is_cpu() || src.is_cuda(),
          o + ": unsupported device " + src.device().str() + " (CPU or CUDA only)");
  require(!(src.is_cuda() && src.scalar_type() == at::kDouble),
          o + ": float64 CUDA tensors are not supported (the CUDA kernels are float32 only)");
}

void check_index_range(const at::Tensor& index, std::int64_t bound, const std::string& what) {
  if (index.is_cuda()) {
    detail::check_indices_cuda(index, bound, what.c_str());
    return;
  }
  const at::Tensor idx = index.contiguous();
  check_indices(std::span<const std::int64_t>(idx.data_ptr<std::int64_t>(),
                                               static_cast<std::size_t>(idx.numel())),
                bound, what.c_str());
}

template <typename T>
std::span<const T> cspan(const at::Tensor& t) {
  return {t.data_ptr<T>(), static_cast<std::size_t>(t.numel())};
}
template <typename T>
std::span<T> mspan(at::Tensor& t) {
  return {t.data_ptr<T>(), static_cast<std::size_t>(t.numel())};
}

// Rows of `src` picked by `index` (both validated; any layout).
at::Tensor gather_forward(const at::Tensor& src_in, const at::Tensor& index_in) {
  std::vector<std::int64_t> shape = src_in.sizes().vec();
  shape[0] = index_in.size(0);
  at::Tensor out = at::empty(shape, src_in.options());
  if (out.numel() == 0) return out;
  const at::Tensor src = src_in.contiguous();
  const at::Tensor index = index_in.contiguous();
  if (src.is_cuda()) {
    detail::gather_rows_forward_cuda(src, index, out);
    return out;
  }
  const std::int64_t dim = src.numel() / src.size(0);
  if (src.scalar_type() == at::kDouble) {
    gather_rows_cpu(cspan<double>(src), cspan<std::int64_t>(index), dim, mspan<double>(out));
  } else {
    gather_rows_cpu(cspan<float>(src), cspan<std::int64_t>(index), dim, mspan<float>(out));
  }
  return out;
}

// Sums of the rows of `src` per segment id (both validated; any layout).
at::Tensor segment_sum_forward(const at::Tensor& src_in, const at::Tensor& segment_in,
                               std::int64_t num_segments) {
  std::vector<std::int64_t> shape = src_in.sizes().vec();
  shape[0] = num_segments;
  at::Tensor out = at::zeros(shape, src_in.options());
  if (out.numel() == 0 || src_in.numel() == 0) return out;
  const at::Tensor src = src_in.contiguous();
  const at::Tensor segment = segment_in.contiguous();
  if (src.is_cuda()) {
    detail::segment_sum_forward_cuda(src, segment, out);
    return out;
  }
  const std::int64_t dim = src.numel() / src.size(0);
  if (src.scalar_type() == at::kDouble) {
    segment_sum_cpu(cspan<double>(src), cspan<std::int64_t>(segment), dim, mspan<double>(out));
  } else {
    segment_sum_cpu(cspan<float>(src), cspan<std::int64_t>(segment), dim, mspan<float>(out));
  }
  return out;
}

struct SegmentSumFn;

struct GatherRowsFn : torch::autograd::Function<GatherRowsFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& src, const at::Tensor& index) {
    ctx->save_for_backward({index});
    ctx->saved_data["rows"] = src.size(0);
    return gather_forward(src, index);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

struct SegmentSumFn : torch::autograd::Function<SegmentSumFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& src, const at::Tensor& segment,
                            std::int64_t num_segments) {
    ctx->save_for_backward({segment});
    return segment_sum_forward(src, segment, num_segments);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor segment = ctx->get_saved_variables()[0];
    // d out[segment[i]] / d src[i] = 1: the gradient of row i is the output gradient's row segment[i].
    return {GatherRowsFn::apply(grads[0], segment), at::Tensor(), at::Tensor()};
  }
};

variable_list GatherRowsFn::backward(AutogradContext* ctx, variable_list grads) {
  const at::Tensor index = ctx->get_saved_variables()[0];
  const std::int64_t rows = ctx->saved_data["rows"].toInt();
  // A row of src picked k times receives the sum of the k output-gradient rows.
  return {SegmentSumFn::apply(grads[0], index, rows), at::Tensor()};
}

}  // namespace

at::Tensor gather_rows(const at::Tensor& src, const at::Tensor& index) {
  validate("gather_rows", src, index, "index");
  check_index_range(index, src.size(0), "gather_rows: index");
  return GatherRowsFn::apply(src, index);
}

at::Tensor segment_sum(const at::Tensor& src, const at::Tensor& segment, std::int64_t num_segments) {
  validate("segment_sum", src, segment, "segment");
  require(num_segments >= 0,
          "segment_sum: num_segments must be >= 0, got " + std::to_string(num_segments));
  require(segment.size(0) == src.size(0),
          "segment_sum: segment has " + std::to_string(segment.size(0)) +
              " entries but src has " + std::to_string(src.size(0)) + " rows (shape " +
              shape_of(src) + ")");
  check_index_range(segment, num_segments, "segment_sum: segment");
  return SegmentSumFn::apply(src, segment, num_segments);
}

#if defined(AUTOOPT_TORCH_CUDA)
bool torch_cuda_glue_built() noexcept { return true; }
#else
bool torch_cuda_glue_built() noexcept { return false; }

// Without the glue, CUDA tensors go through libtorch's own operators (same results; the summation
// order of index_add_ on the GPU is not deterministic either).
namespace detail {
void gather_rows_forward_cuda(const at::Tensor& src, const at::Tensor& index, at::Tensor& out) {
  at::index_select_out(out, src, 0, index);
}
void segment_sum_forward_cuda(const at::Tensor& src, const at::Tensor& segment, at::Tensor& out) {
  out.index_add_(0, segment, src);
}
void check_indices_cuda(const at::Tensor& index, std::int64_t bound, const char* what) {
  if (index.numel() == 0) return;
  const auto [lo, hi] = at::aminmax(index);
  if (lo.item<std::int64_t>() >= 0 && hi.item<std::int64_t>() < bound) return;
  const at::Tensor host = index.to(at::kCPU).contiguous();
  check_indices(std::span<const std::int64_t>(host.data_ptr<std::int64_t>(),
                                              static_cast<std::size_t>(host.numel())),
                bound, what);
  throw std::logic_error(std::string(what) + ": device range check and host check disagree");
}
}  // namespace detail
#endif

}  // namespace autoopt::kernels
