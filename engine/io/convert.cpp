#include "io/convert.hpp"

#include <chrono>
#include <set>

#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"

namespace autoopt::io {
namespace fs = std::filesystem;

namespace {

bool has_gnnet_root(const fs::path& dir) {
  if (fs::is_directory(dir / "graphs") && fs::is_directory(dir / "routings")) return true;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && fs::is_directory(it->path() / "graphs") &&
        fs::is_directory(it->path() / "routings")) {
      return true;
    }
  }
  return false;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

DatasetKind detect_dataset(const fs::path& path) {
  if (!fs::exists(path)) throw Error(path.string() + ": no such file or folder");
  if (fs::is_regular_file(path) && path.extension() == ".h5") return DatasetKind::Hdf5;
  if (fs::is_directory(path)) {
    if (fs::exists(path / kManifestFileName)) return DatasetKind::Hdf5;
    if (has_gnnet_root(path)) return DatasetKind::Gnnet;
  }
  throw Error(path.string() +
              ": not a dataset (expected an HDF5 store with manifest.json, a .h5 shard, or a GNNet "
              "folder with graphs/ and routings/)");
}

std::size_t for_each_sample(const fs::path& path, const SizeFilter& filter,
                            const std::function<void(std::size_t, const net::Sample&)>& fn,
                            const std::function<void(std::size_t)>& on_total) {
  if (detect_dataset(path) == DatasetKind::Gnnet) {
    GnnetDataset ds(path);
    const auto refs = ds.filter_nodes(filter.min_nodes, filter.max_nodes);
    if (on_total) on_total(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) fn(i, ds.load(refs[i]));
    return refs.size();
  }
  std::size_t visited = 0;
  const auto visit = [&](const net::Sample& s) {
    if (filter.accepts(s.num_nodes())) fn(visited++, s);
  };
  if (fs::is_regular_file(path)) {
    const ShardReader reader(path);
    if (on_total && filter.min_nodes == 0 && filter.max_nodes == INT_MAX) on_total(reader.size());
    for (std::size_t i = 0; i < reader.size(); ++i) visit(reader.read(i));
    return visited;
  }
  const ShardStore store = ShardStore::open(path);
  if (on_total && filter.min_nodes == 0 && filter.max_nodes == INT_MAX) on_total(store.size());
  store.for_each([&](std::size_t, const net::Sample& s) { visit(s); });
  return visited;
}

ConvertReport gnnet_to_hdf5(const fs::path& in, const fs::path& out, const SizeFilter& filter,
                            const Distribution& dist,
                            const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (detect_dataset(in) != DatasetKind::Gnnet) throw Error(in.string() + ": not a GNNet folder");
  GnnetDataset ds(in);
  const auto refs = ds.filter_nodes(filter.min_nodes, filter.max_nodes);
  ConvertReport report;
  report.total = refs.size();
  std::size_t mine = 0;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(dist.size)) == dist.rank) ++mine;
  }
  fs::create_directories(out);
  report.samples = write_rank_shard(
      out, dist, mine,
      [&](const std::function<void(const net::Sample&)>& add) {
        for (std::size_t i = 0; i < refs.size(); ++i) {
          if (static_cast<int>(i % static_cast<std::size_t>(dist.size)) == dist.rank) add(ds.load(refs[i]));
        }
      },
      progress);
  report.seconds = since(t0);
  return report;
}

std::size_t write_rank_shard(const fs::path& out, const Distribution& dist, std::size_t mine,
                             const std::function<void(const std::function<void(const net::Sample&)>&)>& each,
                             const std::function<void(std::size_t, std::size_t)>& progress) {
  std::size_t done = 0;
  {
    ShardWriter writer(out, dist.rank, dist.size);
    each([&](const net::Sample& s) {
      writer.add(s);
      ++done;
      if (progress) progress(done, mine);
    });
    writer.close();
  }
  if (dist.comm != MPI_COMM_NULL) {
    gather_and_write_manifest(out, dist.comm);
  } else {
    write_manifest(out);
  }
  return done;
}

ConvertReport to_gnnet(const fs::path& in, const fs::path& out, const SizeFilter& filter,
                       const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  // First pass: the sizes present (decides flat vs one root per size) — cheap for GNNet (graph
  // headers only), one pass over the shards' samples for HDF5.
  std::set<int> sizes;
  std::size_t total = 0;
  if (detect_dataset(in) == DatasetKind::Gnnet) {
    GnnetDataset ds(in);
    for (const auto& ref : ds.filter_nodes(filter.min_nodes, filter.max_nodes)) {
      sizes.insert(ds.num_nodes(ref));
      ++total;
    }
  } else {
    for_each_sample(in, filter, [&](std::size_t, const net::Sample& s) {
      sizes.insert(s.num_nodes());
      ++total;
    });
  }
  const bool per_size = sizes.size() > 1;
  ConvertReport report;
  report.total = total;
  for_each_sample(in, filter, [&](std::size_t, const net::Sample& s) {
    if (!s.results) {
      throw Error("sample " + std::to_string(s.id) + " (" + s.graph_name +
                  ") has no results: the GNNet format has no unlabelled form");
    }
    const fs::path root = per_size ? out / std::to_string(s.num_nodes()) : out;
    write_gnnet_dataset(root, std::span<const net::Sample>(&s, 1));
    ++report.samples;
    if (progress) progress(report.samples, total);
  });
  report.seconds = since(t0);
  return report;
}

}  // namespace autoopt::io
