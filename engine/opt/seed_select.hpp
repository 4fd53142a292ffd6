// Stage 2 seed selection (AutoOPT, Algorithm 1) over sample embeddings: k-means the pool into
// n_clusters, take per cluster the sample nearest its centroid plus that sample's k-1 nearest
// neighbours (Euclidean), then VERIFY every pick with a callback (the expert rules); a failing pick is
// replaced by the nearest unused neighbour of the sample it replaces until every pick passes.
//
// Choices (see docs/optimize.md): clusters are served in index order; a sample is picked at most once
// over all clusters; a failed sample is never picked again; the neighbours come from the whole pool
// by default (NeighbourScope::Pool, one FAISS flat index over all embeddings) or only from the
// cluster's members (NeighbourScope::Cluster). Each sample is verified at most once. Deterministic for
// a seed. Errors (autoopt::Error): bad matrix, n_clusters*per_cluster > pool size, a cluster smaller
// than per_cluster under Cluster scope, and a pool exhausted by replacements.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "opt/cluster.hpp"

namespace autoopt::opt {

// Returns nullopt when sample `index` passes, else the reason it fails.
using VerifyFn = std::function<std::optional<std::string>(std::size_t index)>;

enum class NeighbourScope : std::uint8_t { Pool, Cluster };

struct SeedOptions {
  KMeansOptions kmeans;                          // its backend also serves the kNN searches
  NeighbourScope scope = NeighbourScope::Pool;
};

struct Replacement {
  std::size_t original = 0;     // the sample that failed
  std::size_t replacement = 0;  // the sample put in its slot
  std::string reason;           // the verify callback's text for `original`
  friend bool operator==(const Replacement&, const Replacement&) = default;
};

struct SeedSelection {
  std::vector<std::size_t> indices;          // n_clusters*per_cluster picks, cluster by cluster
  std::vector<std::size_t> cluster;          // the cluster whose slot each pick fills
  std::vector<std::size_t> centre;           // per cluster: the sample nearest its centroid (before VERIFY)
  std::vector<Replacement> replacements;     // in the order they were made
  KMeansResult clustering;                   // centroids, assignment, objective, backend
  Backend backend = Backend::Cpu;            // the backend that ran k-means and kNN
};

// embeddings: n*dim row-major. verify may be empty (every sample passes).
[[nodiscard]] SeedSelection select_seeds(std::span<const float> embeddings, std::size_t dim,
                                         std::size_t n_clusters, std::size_t per_cluster,
                                         const VerifyFn& verify, const SeedOptions& options = {});

}  // namespace autoopt::opt
