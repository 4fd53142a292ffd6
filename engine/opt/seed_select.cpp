// Seed selection: k-means, nearest-centre sample plus neighbours, VERIFY with replacement (see
// seed_select.hpp).
#include "opt/seed_select.hpp"

#include <algorithm>
#include <string>

#include "net/error.hpp"

namespace autoopt::opt {

namespace {

class Selector {
 public:
  Selector(std::span<const float> x, std::size_t dim, Backend backend, const KMeansResult& km,
           NeighbourScope scope)
      : x_(x), dim_(dim), n_(x.size() / dim), index_(x, dim, backend), km_(km), scope_(scope), taken_(n_, false) {}

  // The nearest sample to `query` (a dim-vector) that is not taken and is in scope for cluster c.
  [[nodiscard]] std::optional<std::size_t> nearest_free(std::span<const float> query, std::size_t c) const {
    std::size_t window = first_window(1);
    for (;;) {
      const KnnResult r = index_.search(query, window);
      for (std::size_t j = 0; j < window; ++j) {
        if (r.ids[j] < 0) continue;
        const auto id = static_cast<std::size_t>(r.ids[j]);
        if (available(id, c)) return id;
      }
      if (window == n_) return std::nullopt;
      window = std::min(n_, window * 4);
    }
  }
  // Up to `count` nearest free samples to `query` in scope for cluster c, nearest first.
  [[nodiscard]] std::vector<std::size_t> nearest_free(std::span<const float> query, std::size_t c,
                                                      std::size_t count) const {
    std::size_t window = first_window(count);
    for (;;) {
      std::vector<std::size_t> out;
      const KnnResult r = index_.search(query, window);
      for (std::size_t j = 0; j < window && out.size() < count; ++j) {
        if (r.ids[j] < 0) continue;
        const auto id = static_cast<std::size_t>(r.ids[j]);
        if (available(id, c)) out.push_back(id);
      }
      if (out.size() == count || window == n_) return out;
      window = std::min(n_, window * 4);
    }
  }
  [[nodiscard]] std::span<const float> row(std::size_t i) const { return x_.subspan(i * dim_, dim_); }
  [[nodiscard]] std::span<const float> centroid(std::size_t c) const {
    return std::span<const float>(km_.centroids).subspan(c * dim_, dim_);
  }
  void take(std::size_t i) {
    if (!taken_[i]) ++num_taken_;
    taken_[i] = true;
  }

 private:
  // At most num_taken_ of the nearest samples are taken, so under the pool scope one search of this
  // many finds `count` free ones (no re-search with a wider window); the cluster scope may need more.
  [[nodiscard]] std::size_t first_window(std::size_t count) const {
    return std::min(n_, num_taken_ + count + 8);
  }

  [[nodiscard]] bool available(std::size_t id, std::size_t c) const {
    if (id >= n_ || taken_[id]) return false;
    return scope_ == NeighbourScope::Pool || static_cast<std::size_t>(km_.assignment[id]) == c;
  }

  std::span<const float> x_;
  std::size_t dim_;
  std::size_t n_;
  KnnIndex index_;  // one FAISS index over the pool, searched for every pick
  const KMeansResult& km_;
  NeighbourScope scope_;
  std::vector<bool> taken_;  // picked or failed: never picked again
  std::size_t num_taken_ = 0;
};

}  // namespace

SeedSelection select_seeds(std::span<const float> embeddings, std::size_t dim, std::size_t n_clusters,
                           std::size_t per_cluster, const VerifyFn& verify, const SeedOptions& options) {
  if (dim == 0) throw Error("select_seeds: dim must be at least 1, got 0");
  if (n_clusters == 0) throw Error("select_seeds: n_clusters must be at least 1, got 0");
  if (per_cluster == 0) throw Error("select_seeds: per_cluster (k) must be at least 1, got 0");
  const std::size_t n = embeddings.size() / dim;
  if (embeddings.size() % dim == 0 && n_clusters * per_cluster > n)
    throw Error("select_seeds: n_clusters * per_cluster = " + std::to_string(n_clusters) + " * " +
                std::to_string(per_cluster) + " exceeds the pool of " + std::to_string(n) + " samples");

  SeedSelection out;
  out.clustering = kmeans(embeddings, dim, n_clusters, options.kmeans);  // validates the matrix
  out.backend = out.clustering.backend;
  const KMeansResult& km = out.clustering;

  if (options.scope == NeighbourScope::Cluster) {
    std::vector<std::size_t> members(n_clusters, 0);
    for (const auto a : km.assignment) ++members[static_cast<std::size_t>(a)];
    for (std::size_t c = 0; c < n_clusters; ++c) {
      if (members[c] < per_cluster)
        throw Error("select_seeds: cluster " + std::to_string(c) + " has " + std::to_string(members[c]) +
                    " members, fewer than per_cluster " + std::to_string(per_cluster) +
                    " (neighbour scope: cluster; use the pool scope or fewer clusters)");
    }
  }

  Selector sel(embeddings, dim, out.backend, km, options.scope);
  const auto scope_text = [&](std::size_t c) {
    return options.scope == NeighbourScope::Cluster ? " in cluster " + std::to_string(c) : std::string(" in the pool");
  };

  std::size_t failed = 0;
  for (std::size_t c = 0; c < n_clusters; ++c) {
    // SELECT: the sample nearest the centroid, then its per_cluster-1 nearest free neighbours.
    const auto centre = sel.nearest_free(sel.centroid(c), c);
    if (!centre)
      throw Error("select_seeds: cluster " + std::to_string(c) + ": no unused sample left" + scope_text(c));
    sel.take(*centre);
    out.centre.push_back(*centre);
    std::vector<std::size_t> picks{*centre};
    const auto nbrs = sel.nearest_free(sel.row(*centre), c, per_cluster - 1);
    if (nbrs.size() + 1 < per_cluster)
      throw Error("select_seeds: cluster " + std::to_string(c) + ": only " + std::to_string(nbrs.size() + 1) +
                  " unused samples left" + scope_text(c) + ", need " + std::to_string(per_cluster));
    for (const auto id : nbrs) {
      sel.take(id);
      picks.push_back(id);
    }
    // VERIFY: replace a failing sample by its nearest free neighbour until the slot passes.
    for (auto& pick : picks) {
      while (verify) {
        const auto why = verify(pick);
        if (!why) break;
        ++failed;
        const auto next = sel.nearest_free(sel.row(pick), c);
        if (!next)
          throw Error("select_seeds: cluster " + std::to_string(c) + ": sample " + std::to_string(pick) +
                      " failed VERIFY (" + *why + ") and no unused sample is left" + scope_text(c) +
                      " to replace it (pool of " + std::to_string(n) + ", " + std::to_string(failed) +
                      " failed so far)");
        sel.take(*next);
        out.replacements.push_back({pick, *next, *why});
        pick = *next;
      }
      out.indices.push_back(pick);
      out.cluster.push_back(c);
    }
  }
  return out;
}

}  // namespace autoopt::opt
