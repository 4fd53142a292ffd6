// MPI test of the HDF5 shard store, run with 2 ranks: each rank writes its own shard into a shared
// temporary folder, rank 0 writes the manifest, then every rank opens the store and checks every
// sample of every shard against what each rank generates from its deterministic seed.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/h5store.hpp"
#include "net/error.hpp"
#include "net/sample.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;
using net::Sample;

int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
int size_of(MPI_Comm comm) {
  int s = 0;
  MPI_Comm_size(comm, &s);
  return s;
}

// The samples rank `rank` writes: deterministic in the rank, of varied sizes, with and without
// results, every policy, every time and size distribution.
std::vector<Sample> samples_of_rank(int rank) {
  std::mt19937_64 rng(0x5eed0000u + static_cast<std::uint64_t>(rank));
  std::uniform_real_distribution<double> u(0.0, 1e4);
  std::vector<Sample> out;
  const int count = 3 + rank;  // shards of different sizes
  for (int i = 0; i < count; ++i) {
    Sample s;
    const int n = 2 + static_cast<int>(rng() % 6);
    s.id = 1000 * rank + i;
    s.graph_name = "graph_topo-" + std::to_string(n) + "-" + std::to_string(rank) + ".txt";
    s.routing_name = "Routing-" + std::to_string(i) + ".txt";
    s.dataset_tag = "mpi-" + std::to_string(rank);
    for (int v = 0; v < n; ++v) {
      net::Node node;
      node.policy = static_cast<net::Policy>((v + i) % 4);
      node.buffer_bits = node.policy == net::Policy::FIFO ? std::vector<double>{u(rng)}
                                                          : std::vector<double>{u(rng), u(rng), u(rng)};
      node.queue_tos = node.policy == net::Policy::FIFO ? std::vector<std::vector<int>>{{0, 1, 2}}
                                                        : std::vector<std::vector<int>>{{0}, {1}, {2}};
      if (node.policy == net::Policy::WFQ || node.policy == net::Policy::DRR) node.weights = {50, 25, 25};
      s.topology.nodes.push_back(node);
    }
    for (int v = 0; v < n; ++v) {
      s.topology.links.push_back({v, (v + 1) % n, 0, u(rng)});
      s.topology.links.push_back({(v + 1) % n, v, 1, u(rng)});
    }
    const auto nn = static_cast<std::size_t>(n * n);
    s.routing.paths.resize(nn);
    s.traffic.pairs.resize(nn);
    s.traffic.max_avg_lambda = u(rng);
    std::size_t k = 0;
    for (int a = 0; a < n; ++a) {
      for (int d = 0; d < n; ++d, ++k) {
        if (a == d) continue;
        for (int v = a;; v = (v + 1) % n) {
          s.routing.paths[k].push_back(v);
          if (v == d) break;
        }
        net::Flow f;
        f.time_dist = static_cast<net::TimeDist>((k + static_cast<std::size_t>(i)) % 7);
        f.eq_lambda_bps = u(rng);
        f.time_params = std::vector<double>(k % 5, u(rng));
        f.size_dist = static_cast<net::SizeDist>(k % 5);
        f.avg_pkt_size_bits = u(rng);
        if (f.size_dist == net::SizeDist::Generic) f.candidates = {{u(rng), 0.25}, {u(rng), 0.75}};
        if (f.size_dist == net::SizeDist::Uniform) f.size_params = {u(rng), u(rng)};
        f.tos = static_cast<int>(k % 3);
        s.traffic.pairs[k].push_back(f);
      }
    }
    if (i % 2 == 1) {
      net::Results r;
      r.global_packets = u(rng);
      for (std::size_t p = 0; p < nn; ++p)
        r.pairs.push_back(
            {u(rng), u(rng), u(rng), u(rng), -1, u(rng), u(rng), u(rng), u(rng), u(rng), u(rng)});
      if (rank == 1) r.flows = r.pairs;
      for (const net::Link& l : s.topology.links) {
        r.ports.push_back(
            {u(rng), u(rng), u(rng),
             std::vector<net::QueueStats>(
                 static_cast<std::size_t>(s.topology.nodes[static_cast<std::size_t>(l.src)].num_queues()),
                 net::QueueStats{u(rng), u(rng), u(rng), u(rng), u(rng)})});
      }
      r.run.sim_time = u(rng);
      r.run.status = "OK";
      r.run.mem_kb = rank;
      s.results = std::move(r);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Rank 0 creates a fresh folder and broadcasts its path.
fs::path shared_temp_dir(MPI_Comm comm) {
  std::string path;
  if (rank_of(comm) == 0) {
    std::string templ = (fs::temp_directory_path() / "autoopt-mpi-h5store-XXXXXX").string();
    if (::mkdtemp(templ.data()) != nullptr) path = templ;
  }
  int len = static_cast<int>(path.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, comm);
  path.resize(static_cast<std::size_t>(len));
  MPI_Bcast(path.data(), len, MPI_CHAR, 0, comm);
  return path;
}

TEST(MpiH5Store, EachRankWritesItsShardAndAllReadAll) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const int rank = rank_of(comm);
  const int size = size_of(comm);
  ASSERT_EQ(size, 2);
  const fs::path dir = shared_temp_dir(comm);
  ASSERT_FALSE(dir.empty()) << "rank 0 could not create the temporary folder";

  // Every collective call below is reached by every rank, whatever fails, so no rank hangs.
  std::string write_error;
  try {
    ShardWriter w(dir, rank, size);
    for (const Sample& s : samples_of_rank(rank)) w.add(s);
    w.close();
  } catch (const Error& e) {
    write_error = e.what();
  }
  EXPECT_EQ(write_error, "");

  std::string manifest_error;
  try {
    gather_and_write_manifest(dir, comm);
  } catch (const Error& e) {
    manifest_error = e.what();
  }
  EXPECT_EQ(manifest_error, "");

  std::vector<Sample> expected;
  for (int r = 0; r < size; ++r) {
    const std::vector<Sample> part = samples_of_rank(r);
    expected.insert(expected.end(), part.begin(), part.end());
  }
  try {
    const ShardStore store = ShardStore::open(dir);
    ASSERT_EQ(store.manifest().shards.size(), 2u);
    EXPECT_EQ(store.manifest().shards[0].file, "shard-0-of-2.h5");
    EXPECT_EQ(store.manifest().shards[1].file, "shard-1-of-2.h5");
    EXPECT_EQ(store.manifest().shards[0].ids.size(), samples_of_rank(0).size());
    EXPECT_EQ(store.manifest().shards[1].ids.size(), samples_of_rank(1).size());
    ASSERT_EQ(store.size(), expected.size());
    std::size_t seen = 0;
    store.for_each([&](std::size_t i, const Sample& s) {
      EXPECT_EQ(s, expected[i]) << "rank " << rank << " store sample " << i;
      ++seen;
    });
    EXPECT_EQ(seen, expected.size());
    // Random access into the other rank's shard.
    const std::size_t other = rank == 0 ? expected.size() - 1 : 0;
    EXPECT_EQ(store.read(other), expected[other]);
  } catch (const Error& e) {
    ADD_FAILURE() << "rank " << rank << ": " << e.what();
  }

  // Nothing but the shards and the manifest is left in the folder.
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"manifest.json", "shard-0-of-2.h5", "shard-1-of-2.h5"}));

  MPI_Barrier(comm);
  if (rank == 0) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

TEST(MpiH5Store, ManifestFailureIsReportedOnEveryRank) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const fs::path missing = fs::temp_directory_path() / "autoopt-mpi-h5store-does-not-exist" / "store";
  std::string error;
  try {
    gather_and_write_manifest(missing, comm);
  } catch (const Error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find(missing.string()), std::string::npos) << "rank " << rank_of(comm) << ": " << error;
}

}  // namespace
}  // namespace autoopt::io
