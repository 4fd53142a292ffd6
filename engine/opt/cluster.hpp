// k-means and exact k-nearest-neighbour search over plain row-major float matrices, on FAISS
// (faiss::Clustering, IndexFlatL2), with brute-force CPU references used to check them.
//
// A matrix is a std::span<const float> of n*dim values, row i = x[i*dim, (i+1)*dim). Distances are
// squared Euclidean (L2²), as FAISS reports them. The backend is chosen at run time: the GPU when the
// linked FAISS has its GPU API (CMake check AUTOOPT_FAISS_GPU) and a CUDA device is present, else the
// CPU; each result says which one ran. Same input + same seed → same result (for a fixed OpenMP thread
// count; FAISS's BLAS distance sums may round differently with another count, which only matters at
// exact ties; small problems run FAISS on one thread, see KMeansOptions::threads). Bad input (empty
// data, dim 0, a size that is not a multiple of dim, k out of range, NaN/inf) throws autoopt::Error
// naming the function, the argument and what was expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace autoopt::opt {

enum class Backend : std::uint8_t { Auto, Cpu, Gpu };

// "auto", "cpu", "gpu".
[[nodiscard]] const char* to_string(Backend b) noexcept;
// True when this build linked a FAISS with its GPU API.
[[nodiscard]] bool faiss_gpu_compiled() noexcept;
// CUDA devices FAISS sees; 0 when faiss_gpu_compiled() is false.
[[nodiscard]] int faiss_gpu_devices() noexcept;
// The backend a request resolves to: Auto → Gpu when compiled and a device exists, else Cpu.
// Gpu when unavailable throws autoopt::Error saying why.
[[nodiscard]] Backend resolve_backend(Backend requested);

struct KMeansOptions {
  int iterations = 25;          // Lloyd iterations per restart (>= 1)
  std::uint64_t seed = 1234;    // initial centroids are drawn from the points with this seed
  int restarts = 1;             // runs from different initialisations; the lowest objective is kept
  Backend backend = Backend::Auto;
  // OpenMP threads for FAISS on the CPU: 0 = automatic (one thread for small problems, below ~16M
  // multiply-adds per iteration, else the OpenMP default). Results do not depend on it.
  int threads = 0;
  // Optional k*dim initial centroids (then restarts must be 1): both kmeans and kmeans_reference start
  // from them, so their results can be compared step for step.
  std::vector<float> initial_centroids;
};

struct KMeansResult {
  std::size_t dim = 0;
  std::size_t k = 0;
  std::vector<float> centroids;              // k*dim, row-major
  std::vector<std::int64_t> assignment;      // per point: the index of its nearest final centroid
  double objective = 0.0;                    // sum over points of L2² to their assigned centroid
  Backend backend = Backend::Cpu;            // which backend ran (Cpu or Gpu)
};

// k-means of n = x.size()/dim points into k clusters (1 <= k <= n). The returned assignment and
// objective are recomputed against the final centroids, so they are always consistent with them.
[[nodiscard]] KMeansResult kmeans(std::span<const float> x, std::size_t dim, std::size_t k,
                                  const KMeansOptions& options = {});
// Brute-force Lloyd's algorithm (double accumulation); initial centroids: options.initial_centroids or
// k distinct points drawn with options.seed; an emptied cluster keeps its previous centroid. Ignores
// options.backend (always Cpu).
[[nodiscard]] KMeansResult kmeans_reference(std::span<const float> x, std::size_t dim, std::size_t k,
                                            const KMeansOptions& options = {});

struct KnnResult {
  std::size_t num_queries = 0;
  std::size_t k = 0;
  std::vector<std::int64_t> ids;     // num_queries*k row-major: row q = the k nearest data rows
  std::vector<float> sq_distances;   // L2², same layout, ascending per row (ties: lower id first)
  Backend backend = Backend::Cpu;
};

// An exact L2 index over a fixed matrix (FAISS IndexFlatL2, or GpuIndexFlatL2 on the GPU), built once
// and searched many times (knn() builds one per call). Copies the data. Move-only.
class KnnIndex {
 public:
  KnnIndex(std::span<const float> data, std::size_t dim, Backend backend = Backend::Auto);
  ~KnnIndex();
  KnnIndex(KnnIndex&&) noexcept;
  KnnIndex& operator=(KnnIndex&&) noexcept;
  KnnIndex(const KnnIndex&) = delete;
  KnnIndex& operator=(const KnnIndex&) = delete;

  // The k nearest indexed rows for each row of `queries` (m*dim); 1 <= k <= size().
  [[nodiscard]] KnnResult search(std::span<const float> queries, std::size_t k) const;
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t dim() const noexcept;
  [[nodiscard]] Backend backend() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The k nearest rows of `data` (n*dim) for each row of `queries` (m*dim); 1 <= k <= n.
[[nodiscard]] KnnResult knn(std::span<const float> data, std::span<const float> queries, std::size_t dim,
                            std::size_t k, Backend backend = Backend::Auto);
// Brute force, exact (double accumulation); ties by lower id.
[[nodiscard]] KnnResult knn_reference(std::span<const float> data, std::span<const float> queries,
                                      std::size_t dim, std::size_t k);

// L2² between two rows of length dim (double accumulation).
[[nodiscard]] double squared_l2(std::span<const float> a, std::span<const float> b) noexcept;

}  // namespace autoopt::opt
