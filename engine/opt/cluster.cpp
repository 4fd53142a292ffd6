// k-means and kNN on FAISS, and their brute-force references (see cluster.hpp).
#include "opt/cluster.hpp"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissException.h>
#include <omp.h>  // FAISS's threads (libgomp comes with the faiss target)

#if defined(AUTOOPT_FAISS_GPU) && __has_include(<faiss/gpu/GpuIndexFlat.h>)
#include <faiss/gpu/GpuIndexFlat.h>
#include <faiss/gpu/StandardGpuResources.h>
#include <cuda_runtime_api.h>
#define AUTOOPT_OPT_HAVE_GPU 1
#else
#define AUTOOPT_OPT_HAVE_GPU 0
#endif

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "net/error.hpp"

namespace autoopt::opt {

namespace {

// faiss::Index::idx_t in FAISS 1.7.3, faiss::idx_t in later releases: ntotal has it in both.
using FaissIdx = decltype(faiss::Index::ntotal);

// Rows of a validated matrix.
std::size_t check_matrix(std::string_view fn, std::string_view what, std::span<const float> x,
                         std::size_t dim) {
  if (dim == 0) throw Error(std::string(fn) + ": dim must be at least 1, got 0");
  if (x.empty()) throw Error(std::string(fn) + ": " + std::string(what) + " is empty (expected at least one row)");
  if (x.size() % dim != 0)
    throw Error(std::string(fn) + ": " + std::string(what) + " has " + std::to_string(x.size()) +
                " values, not a multiple of dim " + std::to_string(dim));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]))
      throw Error(std::string(fn) + ": " + std::string(what) + " row " + std::to_string(i / dim) +
                  " column " + std::to_string(i % dim) + " is " + (std::isnan(x[i]) ? "NaN" : "infinite") +
                  " (expected finite values)");
  }
  if (x.size() / dim > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      dim > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error(std::string(fn) + ": " + std::string(what) + " is too large for FAISS (int sizes)");
  return x.size() / dim;
}

void check_k(std::string_view fn, std::size_t k, std::size_t n, std::string_view rows) {
  if (k == 0) throw Error(std::string(fn) + ": k must be at least 1, got 0");
  if (k > n)
    throw Error(std::string(fn) + ": k = " + std::to_string(k) + " exceeds the number of " +
                std::string(rows) + " (" + std::to_string(n) + ")");
}

void check_options(std::string_view fn, const KMeansOptions& o, std::size_t k, std::size_t dim) {
  if (o.iterations < 1)
    throw Error(std::string(fn) + ": iterations must be at least 1, got " + std::to_string(o.iterations));
  if (o.threads < 0)
    throw Error(std::string(fn) + ": threads must be 0 (automatic) or more, got " + std::to_string(o.threads));
  if (o.restarts < 1)
    throw Error(std::string(fn) + ": restarts must be at least 1, got " + std::to_string(o.restarts));
  if (!o.initial_centroids.empty()) {
    if (o.initial_centroids.size() != k * dim)
      throw Error(std::string(fn) + ": initial_centroids has " + std::to_string(o.initial_centroids.size()) +
                  " values, expected k*dim = " + std::to_string(k * dim));
    if (o.restarts != 1)
      throw Error(std::string(fn) + ": restarts must be 1 with initial_centroids, got " +
                  std::to_string(o.restarts));
    check_matrix(fn, "initial_centroids", o.initial_centroids, dim);
  }
}

// FAISS parallelises with OpenMP. On small problems a thread team costs far more than it saves (on a
// loaded 2-core machine, seconds instead of milliseconds), so below this many multiply-adds per call
// FAISS runs on the calling thread. Results do not depend on it (each point/query is computed whole).
constexpr double kSmallWork = 1 << 24;

// Sets the calling thread's OpenMP team size for the scope (0: leave it), restoring it afterwards.
// omp_set_num_threads changes only the calling thread's setting, not other threads'.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()), set_(n > 0) {
    if (set_) omp_set_num_threads(n);
  }
  ~OmpThreads() {
    if (set_) omp_set_num_threads(saved_);
  }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
  bool set_;
};

int threads_for(double work, int requested) {
  if (requested > 0) return requested;
  return work < kSmallWork ? 1 : 0;
}

// Sorts each row of a kNN result by (distance, id): FAISS's order among equal distances is not fixed.
void sort_rows(KnnResult& r) {
  std::vector<std::pair<float, std::int64_t>> row(r.k);
  for (std::size_t q = 0; q < r.num_queries; ++q) {
    for (std::size_t j = 0; j < r.k; ++j) row[j] = {r.sq_distances[q * r.k + j], r.ids[q * r.k + j]};
    std::sort(row.begin(), row.end());
    for (std::size_t j = 0; j < r.k; ++j) {
      r.sq_distances[q * r.k + j] = row[j].first;
      r.ids[q * r.k + j] = row[j].second;
    }
  }
}

// An exact L2 index on the chosen backend (owning its GPU resources when on the GPU).
class FlatIndex {
 public:
  FlatIndex(Backend b, std::size_t dim) {
#if AUTOOPT_OPT_HAVE_GPU
    if (b == Backend::Gpu) {
      resources_ = std::make_unique<faiss::gpu::StandardGpuResources>();
      index_ = std::make_unique<faiss::gpu::GpuIndexFlatL2>(resources_.get(), static_cast<int>(dim));
      return;
    }
#else
    (void)b;
#endif
    index_ = std::make_unique<faiss::IndexFlatL2>(static_cast<FaissIdx>(dim));
  }
  faiss::Index& get() { return *index_; }
  [[nodiscard]] const faiss::Index& get() const { return *index_; }

 private:
#if AUTOOPT_OPT_HAVE_GPU
  std::unique_ptr<faiss::gpu::StandardGpuResources> resources_;  // destroyed after index_
#endif
  std::unique_ptr<faiss::Index> index_;
};

std::string faiss_message(const faiss::FaissException& e) {
  return e.msg.empty() ? std::string(e.what()) : e.msg;
}

}  // namespace

const char* to_string(Backend b) noexcept {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Cpu: return "cpu";
    case Backend::Gpu: return "gpu";
  }
  return "?";
}

bool faiss_gpu_compiled() noexcept { return AUTOOPT_OPT_HAVE_GPU != 0; }

int faiss_gpu_devices() noexcept {
#if AUTOOPT_OPT_HAVE_GPU
  // The CUDA runtime directly (FAISS's headers include it): faiss::gpu::getNumDevices() aborts on
  // errors such as a missing driver, where we want "no device" and the CPU.
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky error state
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

Backend resolve_backend(Backend requested) {
  switch (requested) {
    case Backend::Cpu: return Backend::Cpu;
    case Backend::Auto: return faiss_gpu_devices() > 0 ? Backend::Gpu : Backend::Cpu;
    case Backend::Gpu:
      if (!faiss_gpu_compiled())
        throw Error("backend gpu requested, but the linked FAISS has no GPU support (use auto or cpu)");
      if (faiss_gpu_devices() <= 0)
        throw Error("backend gpu requested, but FAISS sees no CUDA device (use auto or cpu)");
      return Backend::Gpu;
  }
  throw Error("unknown backend");
}

double squared_l2(std::span<const float> a, std::span<const float> b) noexcept {
  double s = 0.0;
  const std::size_t d = std::min(a.size(), b.size());
  for (std::size_t j = 0; j < d; ++j) {
    const double t = static_cast<double>(a[j]) - static_cast<double>(b[j]);
    s += t * t;
  }
  return s;
}

// ---- FAISS ------------------------------------------------------------------------------------------

struct KnnIndex::Impl {
  Impl(Backend b, std::size_t d, std::size_t rows) : backend(b), dim(d), n(rows), index(b, d) {}
  Backend backend;
  std::size_t dim;
  std::size_t n;
  FlatIndex index;
};

KnnIndex::KnnIndex(std::span<const float> data, std::size_t dim, Backend backend) {
  const std::size_t n = check_matrix("knn", "data", data, dim);
  try {
    impl_ = std::make_unique<Impl>(resolve_backend(backend), dim, n);
    impl_->index.get().add(static_cast<FaissIdx>(n), data.data());
  } catch (const faiss::FaissException& e) {
    throw Error("knn: FAISS failed: " + faiss_message(e));
  }
}
KnnIndex::~KnnIndex() = default;
KnnIndex::KnnIndex(KnnIndex&&) noexcept = default;
KnnIndex& KnnIndex::operator=(KnnIndex&&) noexcept = default;
std::size_t KnnIndex::size() const noexcept { return impl_ ? impl_->n : 0; }
std::size_t KnnIndex::dim() const noexcept { return impl_ ? impl_->dim : 0; }
Backend KnnIndex::backend() const noexcept { return impl_ ? impl_->backend : Backend::Cpu; }

KnnResult KnnIndex::search(std::span<const float> queries, std::size_t k) const {
  if (!impl_) throw Error("knn: search on a moved-from KnnIndex");
  const std::size_t m = check_matrix("knn", "queries", queries, impl_->dim);
  check_k("knn", k, impl_->n, "data rows");
  KnnResult r;
  r.num_queries = m;
  r.k = k;
  r.backend = impl_->backend;
  r.ids.assign(m * k, -1);
  r.sq_distances.assign(m * k, 0.0f);
  try {
    const OmpThreads threads(threads_for(double(m) * double(impl_->n) * double(impl_->dim), 0));
    impl_->index.get().search(static_cast<FaissIdx>(m), queries.data(), static_cast<FaissIdx>(k),
                              r.sq_distances.data(), r.ids.data());
  } catch (const faiss::FaissException& e) {
    throw Error("knn: FAISS failed: " + faiss_message(e));
  }
  sort_rows(r);
  return r;
}

KnnResult knn(std::span<const float> data, std::span<const float> queries, std::size_t dim, std::size_t k,
              Backend backend) {
  const std::size_t n = check_matrix("knn", "data", data, dim);
  check_matrix("knn", "queries", queries, dim);
  check_k("knn", k, n, "data rows");
  return KnnIndex(data, dim, backend).search(queries, k);
}

KMeansResult kmeans(std::span<const float> x, std::size_t dim, std::size_t k, const KMeansOptions& options) {
  const std::size_t n = check_matrix("kmeans", "points", x, dim);
  check_k("kmeans", k, n, "points");
  check_options("kmeans", options, k, dim);

  KMeansResult r;
  r.dim = dim;
  r.k = k;
  r.backend = resolve_backend(options.backend);

  faiss::ClusteringParameters cp;
  cp.niter = options.iterations;
  cp.nredo = options.restarts;
  cp.verbose = false;
  cp.seed = static_cast<int>(options.seed % static_cast<std::uint64_t>(std::numeric_limits<int>::max()));
  cp.min_points_per_centroid = 1;                          // no "too few points" warning
  cp.max_points_per_centroid = std::numeric_limits<int>::max() / static_cast<int>(k);  // no subsampling
  try {
    const OmpThreads threads(threads_for(double(n) * double(k) * double(dim), options.threads));
    faiss::Clustering clus(static_cast<int>(dim), static_cast<int>(k), cp);
    clus.centroids = options.initial_centroids;  // empty: FAISS draws them with cp.seed
    {
      FlatIndex index(r.backend, dim);
      clus.train(static_cast<FaissIdx>(n), x.data(), index.get());
    }
    r.centroids = std::move(clus.centroids);
    // Final assignment against the final centroids (FAISS's own is from before the last update).
    FlatIndex index(r.backend, dim);
    index.get().add(static_cast<FaissIdx>(k), r.centroids.data());
    std::vector<float> dist(n);
    r.assignment.assign(n, -1);
    index.get().search(static_cast<FaissIdx>(n), x.data(), 1, dist.data(), r.assignment.data());
  } catch (const faiss::FaissException& e) {
    throw Error("kmeans: FAISS failed: " + faiss_message(e));
  }
  r.objective = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(r.assignment[i]);
    r.objective += squared_l2(x.subspan(i * dim, dim), std::span<const float>(r.centroids).subspan(c * dim, dim));
  }
  return r;
}

// ---- references -------------------------------------------------------------------------------------

KnnResult knn_reference(std::span<const float> data, std::span<const float> queries, std::size_t dim,
                        std::size_t k) {
  const std::size_t n = check_matrix("knn_reference", "data", data, dim);
  const std::size_t m = check_matrix("knn_reference", "queries", queries, dim);
  check_k("knn_reference", k, n, "data rows");
  KnnResult r;
  r.num_queries = m;
  r.k = k;
  r.backend = Backend::Cpu;
  r.ids.resize(m * k);
  r.sq_distances.resize(m * k);
  std::vector<std::pair<double, std::int64_t>> all(n);
  for (std::size_t q = 0; q < m; ++q) {
    for (std::size_t i = 0; i < n; ++i)
      all[i] = {squared_l2(queries.subspan(q * dim, dim), data.subspan(i * dim, dim)), static_cast<std::int64_t>(i)};
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
    for (std::size_t j = 0; j < k; ++j) {
      r.sq_distances[q * k + j] = static_cast<float>(all[j].first);
      r.ids[q * k + j] = all[j].second;
    }
  }
  return r;
}

namespace {

// Nearest centroid of row x (ties: lower index) and its L2².
std::pair<std::size_t, double> nearest(std::span<const float> x, const std::vector<float>& centroids,
                                       std::size_t k, std::size_t dim) {
  std::size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < k; ++c) {
    const double d = squared_l2(x, std::span<const float>(centroids).subspan(c * dim, dim));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return {best, best_d};
}

}  // namespace

KMeansResult kmeans_reference(std::span<const float> x, std::size_t dim, std::size_t k,
                              const KMeansOptions& options) {
  const std::size_t n = check_matrix("kmeans_reference", "points", x, dim);
  check_k("kmeans_reference", k, n, "points");
  check_options("kmeans_reference", options, k, dim);

  std::mt19937_64 rng(options.seed);
  KMeansResult best;
  best.objective = std::numeric_limits<double>::infinity();
  for (int redo = 0; redo < options.restarts; ++redo) {
    std::vector<float> cent;
    if (!options.initial_centroids.empty()) {
      cent = options.initial_centroids;
    } else {
      std::vector<std::size_t> perm(n);
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      for (std::size_t i = 0; i < k; ++i) {  // partial Fisher-Yates: k distinct points
        std::uniform_int_distribution<std::size_t> pick(i, n - 1);
        std::swap(perm[i], perm[pick(rng)]);
      }
      cent.resize(k * dim);
      for (std::size_t c = 0; c < k; ++c)
        std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(perm[c] * dim), dim,
                    cent.begin() + static_cast<std::ptrdiff_t>(c * dim));
    }
    std::vector<std::int64_t> assign(n);
    std::vector<double> sum(k * dim);
    std::vector<std::size_t> count(k);
    for (int it = 0; it < options.iterations; ++it) {
      for (std::size_t i = 0; i < n; ++i) assign[i] = static_cast<std::int64_t>(nearest(x.subspan(i * dim, dim), cent, k, dim).first);
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(count.begin(), count.end(), 0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::size_t>(assign[i]);
        ++count[c];
        for (std::size_t j = 0; j < dim; ++j) sum[c * dim + j] += x[i * dim + j];
      }
      for (std::size_t c = 0; c < k; ++c) {
        if (count[c] == 0) continue;  // an emptied cluster keeps its centroid
        for (std::size_t j = 0; j < dim; ++j)
          cent[c * dim + j] = static_cast<float>(sum[c * dim + j] / static_cast<double>(count[c]));
      }
    }
    KMeansResult r;
    r.dim = dim;
    r.k = k;
    r.backend = Backend::Cpu;
    r.assignment.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto [c, d] = nearest(x.subspan(i * dim, dim), cent, k, dim);
      r.assignment[i] = static_cast<std::int64_t>(c);
      r.objective += d;
    }
    r.centroids = std::move(cent);
    if (r.objective < best.objective) best = std::move(r);
  }
  return best;
}

}  // namespace autoopt::opt
