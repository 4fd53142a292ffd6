// Tests of the HDF5 shard store (engine/io/h5store): lossless round trips, random access, bad files,
// the manifest and the store folder, atomic writes, and the load time of a 300-node sample.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "io/temp_dir.hpp"
#include "net/error.hpp"
#include "net/sample.hpp"
#include "shared_data.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;
using net::Sample;

using autoopt::testing::TempDir;

// ---- a seeded generator of valid samples -----------------------------------------------------

double any_double(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kind(0, 5);
  switch (kind(rng)) {
    case 0:
      return -1.0;
    case 1:
      return 0.0;
    case 2:
      return std::uniform_real_distribution<double>(1e-9, 1e-3)(rng);
    case 3:
      return std::uniform_real_distribution<double>(1e3, 1e9)(rng);
    case 4:
      return -std::uniform_real_distribution<double>(0.0, 1e6)(rng);
    default:
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
}

std::vector<double> doubles(std::mt19937_64& rng, std::size_t n) {
  std::vector<double> v(n);
  for (double& x : v) x = any_double(rng);
  return v;
}

net::PathStats random_stats(std::mt19937_64& rng) {
  net::PathStats p;
  p.avg_bw_bps = any_double(rng);
  p.pkts_gen = any_double(rng);
  p.pkts_drop = any_double(rng);
  p.avg_delay = any_double(rng);
  p.avg_ln_delay = any_double(rng);
  p.p10 = any_double(rng);
  p.p20 = any_double(rng);
  p.p50 = any_double(rng);
  p.p80 = any_double(rng);
  p.p90 = any_double(rng);
  p.jitter = any_double(rng);
  return p;
}

// Parameter counts per TimeDist code (gnnet-format §4.2) and SizeDist code (§4.3).
constexpr std::size_t kTimeParams[] = {2, 1, 2, 2, 4, 6, 0};

net::Flow random_flow(std::mt19937_64& rng, std::size_t k, int levels_tos) {
  net::Flow f;
  f.time_dist = static_cast<net::TimeDist>(k % 7);
  f.eq_lambda_bps = std::uniform_real_distribution<double>(10.0, 4000.0)(rng);
  f.time_params = doubles(rng, kTimeParams[k % 7]);
  f.size_dist = static_cast<net::SizeDist>((k / 7 + k) % 5);
  f.avg_pkt_size_bits = std::uniform_real_distribution<double>(100.0, 2000.0)(rng);
  switch (f.size_dist) {
    case net::SizeDist::Uniform:
    case net::SizeDist::Binomial:
      f.size_params = doubles(rng, 2);
      break;
    case net::SizeDist::Generic: {
      const std::size_t n = 1 + rng() % 5;
      for (std::size_t i = 0; i < n; ++i) {
        f.candidates.push_back({static_cast<double>(64 + rng() % 1500), 1.0 / static_cast<double>(n)});
      }
      break;
    }
    default:
      break;
  }
  f.tos = static_cast<int>(rng() % static_cast<unsigned>(std::max(1, levels_tos)));
  return f;
}

// n nodes on a bidirectional ring (plus a chord), every policy, paths along the ring, flows of every
// distribution, results optional (with or without per-flow results).
Sample random_sample(std::mt19937_64& rng, int n, bool with_results, bool with_flow_results) {
  Sample s;
  s.id = static_cast<std::int64_t>(rng() % 100000);
  s.graph_name = "graph_topo-" + std::to_string(n) + "-" + std::to_string(rng() % 10) + "-1.txt";
  s.routing_name = "Routing-topo-" + std::to_string(n) + "-SP-k-" + std::to_string(rng() % 5) + ".txt";
  s.dataset_tag = (rng() % 2 == 0) ? "400-2000" : "tag with \"quotes\", ümlauts & spaces";
  s.topology.levels_tos = 3;
  const auto buffers = std::vector<double>{8000, 16000, 32000, 64000};
  for (int i = 0; i < n; ++i) {
    net::Node node;
    node.policy = static_cast<net::Policy>((i + static_cast<int>(rng() % 2)) % 4);
    if (i < 4) node.policy = static_cast<net::Policy>(i);  // every policy at least once
    const double b = buffers[rng() % buffers.size()];
    if (node.policy == net::Policy::FIFO) {
      node.buffer_bits = {b};
      node.queue_tos = {{0, 1, 2}};
    } else {
      node.buffer_bits = {b, b, b};
      node.queue_tos = {{0}, {1}, {2}};
      if (node.policy == net::Policy::WFQ || node.policy == net::Policy::DRR) {
        node.weights =
            (rng() % 2 == 0) ? std::vector<double>{33.3, 33.3, 33.4} : std::vector<double>{60.0, 30.0, 10.0};
      }
    }
    s.topology.nodes.push_back(node);
  }
  std::vector<int> next_port(static_cast<std::size_t>(n), 0);
  auto add_link = [&](int a, int b) {
    const double bw = std::vector<double>{1e4, 2.5e4, 4e4, 1e5}[rng() % 4];
    s.topology.links.push_back({a, b, next_port[static_cast<std::size_t>(a)]++, bw});
    s.topology.links.push_back({b, a, next_port[static_cast<std::size_t>(b)]++, bw});
  };
  if (n >= 2) {
    for (int i = 0; i + 1 < n; ++i) add_link(i, i + 1);
    if (n >= 3) add_link(n - 1, 0);
  }
  const auto nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  s.routing.paths.resize(nn);
  s.traffic.max_avg_lambda = std::uniform_real_distribution<double>(400.0, 4000.0)(rng);
  s.traffic.pairs.resize(nn);
  std::size_t flow_no = rng() % 7;
  for (int a = 0; a < n; ++a) {
    for (int d = 0; d < n; ++d) {
      if (a == d) continue;
      const auto k = static_cast<std::size_t>(a) * static_cast<std::size_t>(n) + static_cast<std::size_t>(d);
      if (rng() % 13 != 0) {  // a few pairs have no route
        for (int v = a;; v = (v + 1) % n) {
          s.routing.paths[k].push_back(v);
          if (v == d) break;
        }
      }
      const std::size_t flows = rng() % 8 == 0 ? 0 : 1 + rng() % 2;  // empty pairs and multi-flow pairs
      for (std::size_t i = 0; i < flows; ++i) {
        s.traffic.pairs[k].push_back(random_flow(rng, flow_no++, s.topology.levels_tos));
      }
    }
  }
  if (with_results) {
    net::Results r;
    r.global_packets = any_double(rng);
    r.global_losses = any_double(rng);
    r.global_delay = any_double(rng);
    for (std::size_t k = 0; k < nn; ++k) r.pairs.push_back(random_stats(rng));
    if (with_flow_results) {
      for (const auto& pair : s.traffic.pairs) {
        for (std::size_t i = 0; i < pair.size(); ++i) r.flows.push_back(random_stats(rng));
      }
    }
    for (const net::Link& l : s.topology.links) {
      net::PortStats p{any_double(rng), any_double(rng), any_double(rng), {}};
      for (int q = 0; q < s.topology.nodes[static_cast<std::size_t>(l.src)].num_queues(); ++q) {
        p.queues.push_back(
            {any_double(rng), any_double(rng), any_double(rng), any_double(rng), any_double(rng)});
      }
      r.ports.push_back(p);
    }
    r.run.sim_time = any_double(rng);
    r.run.metric = any_double(rng);
    r.run.status = rng() % 2 == 0 ? "OK" : "unstable";
    r.run.mem_kb = static_cast<std::int64_t>(rng() % 10000000);
    r.run.wall_s = -static_cast<std::int64_t>(rng() % 1000);
    s.results = std::move(r);
  }
  return s;
}

// A mix: several sizes, results absent / present with and without per-flow results, one empty sample.
std::vector<Sample> random_samples(std::uint64_t seed, std::size_t count) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i == 2) {
      out.push_back(Sample{});  // no nodes, no results
      continue;
    }
    const int n = 1 + static_cast<int>(rng() % 9);
    out.push_back(random_sample(rng, n, i % 3 != 0, i % 2 == 0));
  }
  return out;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void replace_once_in_file(const fs::path& file, const std::string& from, const std::string& to) {
  ASSERT_EQ(from.size(), to.size());
  std::string bytes = read_file(file);
  const auto at = bytes.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not found in " << file;
  ASSERT_EQ(bytes.find(from, at + 1), std::string::npos) << from << " found twice in " << file;
  bytes.replace(at, from.size(), to);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// ---- tests -----------------------------------------------------------------------------------

TEST(H5Store, GeneratorCoversEveryVariant) {
  const std::vector<Sample> samples = random_samples(11, 8);
  std::vector<bool> policy(4), td(7), sd(5);
  bool results = false, no_results = false, flow_results = false, no_flow_results = false;
  for (const Sample& s : samples) {
    for (const auto& n : s.topology.nodes) policy[static_cast<std::size_t>(n.policy)] = true;
    for (const auto& pair : s.traffic.pairs) {
      for (const auto& f : pair) {
        td[static_cast<std::size_t>(f.time_dist)] = true;
        sd[static_cast<std::size_t>(f.size_dist)] = true;
      }
    }
    (s.results ? results : no_results) = true;
    if (s.results) (s.results->flows.empty() ? no_flow_results : flow_results) = true;
  }
  for (bool b : policy) EXPECT_TRUE(b);
  for (bool b : td) EXPECT_TRUE(b);
  for (bool b : sd) EXPECT_TRUE(b);
  EXPECT_TRUE(results && no_results && flow_results && no_flow_results);
}

TEST(H5Store, RoundTripIsExactAndLeavesNoTempFiles) {
  const TempDir dir("h5store");
  const std::vector<Sample> samples = random_samples(1, 8);
  const fs::path file = dir.path() / "a.h5";
  write_shard(file, samples);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"a.h5"});
  const std::vector<Sample> back = read_shard(file);
  ASSERT_EQ(back.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(back[i], samples[i]) << "sample " << i;
}

TEST(H5Store, RoundTripUnderEveryWriteOption) {
  const std::vector<Sample> samples = random_samples(2, 7);
  for (const int level : {0, 1, 6}) {
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 16}) {
      const TempDir dir("h5store");
      ShardWriteOptions opt;
      opt.deflate_level = level;
      opt.shuffle = level != 6;
      opt.max_chunk_elements = chunk;
      opt.flush_bytes = chunk == 7 ? 1 : opt.flush_bytes;  // 7: append after every sample
      write_shard(dir.path() / "s.h5", samples, opt);
      EXPECT_EQ(read_shard(dir.path() / "s.h5"), samples) << "deflate " << level << " chunk " << chunk;
    }
  }
}

TEST(H5Store, EmptyShard) {
  const TempDir dir("h5store");
  write_shard(dir.path() / "empty.h5", {});
  const ShardReader r(dir.path() / "empty.h5");
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(r.read_all().empty());
  EXPECT_TRUE(r.ids().empty());
}

TEST(H5Store, RandomAccess) {
  const TempDir dir("h5store");
  const std::vector<Sample> samples = random_samples(3, 9);
  const fs::path file = dir.path() / "r.h5";
  ShardWriteOptions opt;
  opt.flush_bytes = 1;  // several appends, so later samples start mid-chunk
  write_shard(file, samples, opt);
  const ShardReader r(file);
  ASSERT_EQ(r.size(), samples.size());
  std::vector<std::int64_t> ids;
  for (const Sample& s : samples) ids.push_back(s.id);
  EXPECT_EQ(r.ids(), ids);
  for (std::size_t i = samples.size(); i-- > 0;) EXPECT_EQ(r.read(i), samples[i]) << "sample " << i;
  const std::vector<Sample> mid = r.read_range(3, 4);
  EXPECT_EQ(mid, std::vector<Sample>(samples.begin() + 3, samples.begin() + 7));
  const std::string err = error_of([&] { (void)r.read(samples.size()); });
  EXPECT_NE(err.find(file.string()), std::string::npos) << err;
  EXPECT_NE(err.find("holds 9"), std::string::npos) << err;
}

TEST(H5Store, NotAnHdf5FileNamesTheFile) {
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "garbage.h5";
  std::ofstream(file) << "this is not an HDF5 file\n";
  const std::string err = error_of([&] { (void)ShardReader(file); });
  EXPECT_NE(err.find(file.string()), std::string::npos) << err;
  EXPECT_NE(err.find("not an HDF5 file"), std::string::npos) << err;
  const std::string missing = error_of([&] { (void)ShardReader(dir.path() / "nope.h5"); });
  EXPECT_NE(missing.find("nope.h5"), std::string::npos) << missing;
}

TEST(H5Store, TruncatedFileNamesTheFile) {
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "t.h5";
  ShardWriteOptions opt;
  opt.deflate_level = 0;
  write_shard(file, random_samples(4, 5), opt);
  const auto full = fs::file_size(file);
  for (const double keep : {0.9, 0.5, 0.01}) {
    const TempDir copy_dir("h5store-copy");
    const fs::path cut = copy_dir.path() / "cut.h5";
    fs::copy_file(file, cut);
    fs::resize_file(cut, static_cast<std::uintmax_t>(static_cast<double>(full) * keep));
    const std::string err = error_of([&] { (void)ShardReader(cut).read_all(); });
    EXPECT_NE(err.find(cut.string()), std::string::npos) << "keep " << keep << ": " << err;
  }
}

TEST(H5Store, MissingDatasetNamesFileAndDataset) {
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "m.h5";
  write_shard(file, random_samples(5, 3));
  // Rename the link /nodes/weights_offsets to /nodes/weights_offsetz (same length, same sort
  // position) in the file bytes: the dataset is then missing under its name.
  replace_once_in_file(file, std::string("weights_offsets") + '\0', std::string("weights_offsetz") + '\0');
  const std::string err = error_of([&] { (void)ShardReader(file).read(0); });
  EXPECT_NE(err.find(file.string()), std::string::npos) << err;
  EXPECT_NE(err.find("/nodes/weights_offsets"), std::string::npos) << err;
  EXPECT_NE(err.find("missing"), std::string::npos) << err;
}

TEST(H5Store, WrongFormatAttributeIsRefused) {
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "f.h5";
  write_shard(file, random_samples(6, 2));
  replace_once_in_file(file, "autoopt-sample-shard", "autoopt-sample-shart");
  const std::string err = error_of([&] { (void)ShardReader(file); });
  EXPECT_NE(err.find(file.string()), std::string::npos) << err;
  EXPECT_NE(err.find("autoopt-sample-shart"), std::string::npos) << err;
}

TEST(H5Store, StringWithNulIsRefusedAndNothingIsLeft) {
  const TempDir dir("h5store");
  Sample s;
  s.graph_name = std::string("a\0b", 3);
  const fs::path file = dir.path() / "nul.h5";
  const std::string err = error_of([&] { write_shard(file, std::vector<Sample>{s}); });
  EXPECT_NE(err.find("/samples/graph_name"), std::string::npos) << err;
  EXPECT_NE(err.find(file.string()), std::string::npos) << err;
  EXPECT_TRUE(dir.files().empty());  // the temporary file is removed, no target created

  // A refused sample leaves the writer usable: the shard holds exactly the accepted samples.
  const std::vector<Sample> good = random_samples(21, 3);
  ShardWriter w(file);
  w.add(good[0]);
  Sample bad_status = good[1];
  ASSERT_TRUE(bad_status.results.has_value());
  bad_status.results->run.status = std::string("O\0K", 3);
  const std::string err2 = error_of([&] { w.add(bad_status); });
  EXPECT_NE(err2.find("/results/status"), std::string::npos) << err2;
  w.add(good[2]);
  w.close();
  EXPECT_EQ(read_shard(file), (std::vector<Sample>{good[0], good[2]}));
}

TEST(H5Store, BadRankIsRefused) {
  const TempDir dir("h5store");
  const std::string err = error_of([&] { ShardWriter w(dir.path(), 2, 2); });
  EXPECT_NE(err.find("rank 2 of 2"), std::string::npos) << err;
}

TEST(H5Store, WriterWithoutCloseLeavesNothing) {
  const TempDir dir("h5store");
  {
    ShardWriter w(dir.path(), 0, 1);
    w.add(random_samples(7, 2));
    EXPECT_EQ(w.size(), 2u);
    EXPECT_EQ(w.path(), dir.path() / "shard-0-of-1.h5");
    EXPECT_EQ(dir.files().size(), 1u);  // the temporary file
    EXPECT_NE(dir.files().front().find("shard-0-of-1.h5.tmp-"), std::string::npos);
  }
  EXPECT_TRUE(dir.files().empty());
}

TEST(H5Store, RewriteReplacesAtomically) {
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "x.h5";
  const auto first = random_samples(8, 3);
  const auto second = random_samples(9, 4);
  write_shard(file, first);
  ShardWriter w(file);
  w.add(second);
  EXPECT_EQ(read_shard(file), first);  // the old shard is intact until close()
  w.close();
  EXPECT_EQ(read_shard(file), second);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"x.h5"});
}

TEST(H5Store, StoreManifestAndStableOrder) {
  const TempDir dir("h5store");
  // Ranks 2 and 10 of 12: the manifest orders them numerically; an empty shard is listed too.
  std::vector<Sample> all;
  for (const int rank : {10, 2, 5}) {
    ShardWriter w(dir.path(), rank, 12);
    const auto part =
        rank == 5 ? std::vector<Sample>{} : random_samples(100 + static_cast<std::uint64_t>(rank), 4);
    w.add(part);
    w.close();
  }
  std::ofstream(dir.path() / "notes.txt") << "not a shard\n";
  const Manifest m = write_manifest(dir.path());
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_EQ(m.shards[0].file, "shard-2-of-12.h5");
  EXPECT_EQ(m.shards[1].file, "shard-5-of-12.h5");
  EXPECT_EQ(m.shards[2].file, "shard-10-of-12.h5");
  for (const int rank : {2, 5, 10}) {
    const auto part =
        rank == 5 ? std::vector<Sample>{} : random_samples(100 + static_cast<std::uint64_t>(rank), 4);
    all.insert(all.end(), part.begin(), part.end());
  }
  EXPECT_EQ(m.num_samples(), all.size());
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(m.shards[0].ids[i], all[i].id);
  EXPECT_EQ(read_manifest(dir.path()), m);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"manifest.json", "notes.txt", "shard-10-of-12.h5",
                                                   "shard-2-of-12.h5", "shard-5-of-12.h5"}));

  const ShardStore store = ShardStore::open(dir.path());
  ASSERT_EQ(store.size(), all.size());
  EXPECT_EQ(store.read_all(), all);
  std::vector<std::size_t> seen;
  store.for_each([&](std::size_t i, const Sample& s) {
    seen.push_back(i);
    EXPECT_EQ(s, all[i]) << "store sample " << i;
  });
  EXPECT_EQ(seen.size(), all.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(store.read(5), all[5]);
  const std::string err = error_of([&] { (void)store.read(all.size()); });
  EXPECT_NE(err.find(dir.path().string()), std::string::npos) << err;
}

TEST(H5Store, ManifestJsonRoundTripsOddNames) {
  Manifest m;
  m.shards.push_back({"we\"ird\\name\t.h5", {1, -2, 3}});
  m.shards.push_back({"b.h5", {}});
  const TempDir dir("h5store");
  write_file_atomic(dir.path() / "manifest.json", manifest_to_json(m));
  EXPECT_EQ(read_manifest(dir.path()), m);
}

TEST(H5Store, BadOrStaleManifestIsReported) {
  const TempDir dir("h5store");
  const fs::path mf = dir.path() / "manifest.json";
  EXPECT_NE(error_of([&] { (void)ShardStore::open(dir.path()); }).find("manifest.json"), std::string::npos);

  std::ofstream(mf)
      << "{\"format\": \"autoopt-shard-manifest\", \"version\": 1, \"shards\": [ {\"file\": \"a.h5\"";
  std::string err = error_of([&] { (void)read_manifest(dir.path()); });
  EXPECT_NE(err.find(mf.string()), std::string::npos) << err;

  std::ofstream(mf, std::ios::trunc)
      << "{\"format\": \"autoopt-shard-manifest\", \"version\": 99, \"shards\": []}";
  err = error_of([&] { (void)read_manifest(dir.path()); });
  EXPECT_NE(err.find("version 99"), std::string::npos) << err;

  std::ofstream(mf, std::ios::trunc) << "{\"format\": \"autoopt-shard-manifest\", \"version\": 1, "
                                        "\"shards\": [{\"file\": \"../x.h5\", \"ids\": []}]}";
  err = error_of([&] { (void)read_manifest(dir.path()); });
  EXPECT_NE(err.find("plain file name"), std::string::npos) << err;

  // Listed shard missing, then a shard that holds other samples than listed.
  std::ofstream(mf, std::ios::trunc) << "{\"format\": \"autoopt-shard-manifest\", \"version\": 1, "
                                        "\"shards\": [{\"file\": \"a.h5\", \"ids\": [1]}]}";
  err = error_of([&] { (void)ShardStore::open(dir.path()); });
  EXPECT_NE(err.find("a.h5"), std::string::npos) << err;
  write_shard(dir.path() / "a.h5", random_samples(12, 2));
  err = error_of([&] { (void)ShardStore::open(dir.path()); });
  EXPECT_NE(err.find("stale manifest"), std::string::npos) << err;
}

// A synthetic sample the size of the largest validation sample: 300 nodes, one flow per
// off-diagonal pair (89,700 flows, Generic sizes with 5 candidates as in the validation set),
// paths of 3-8 nodes, pair results and port results.
Sample big_sample(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr int n = 300;
  Sample s = random_sample(rng, 0, false, false);
  s.topology.levels_tos = 3;
  for (int i = 0; i < n; ++i) {
    net::Node node;
    node.policy = static_cast<net::Policy>(i % 4);
    node.buffer_bits =
        node.policy == net::Policy::FIFO ? std::vector<double>{32000} : std::vector<double>(3, 16000.0);
    node.queue_tos = node.policy == net::Policy::FIFO ? std::vector<std::vector<int>>{{0, 1, 2}}
                                                      : std::vector<std::vector<int>>{{0}, {1}, {2}};
    if (node.policy == net::Policy::WFQ || node.policy == net::Policy::DRR) node.weights = {60, 30, 10};
    s.topology.nodes.push_back(node);
  }
  std::vector<int> port(n, 0);
  for (int i = 0; i < n; ++i) {
    for (const int j : {(i + 1) % n, (i + 17) % n}) {
      s.topology.links.push_back({i, j, port[static_cast<std::size_t>(i)]++, 1e5});
      s.topology.links.push_back({j, i, port[static_cast<std::size_t>(j)]++, 1e5});
    }
  }
  s.routing.paths.resize(n * n);
  s.traffic.pairs.resize(n * n);
  net::Results r;
  r.pairs.resize(n * n);
  for (int a = 0; a < n; ++a) {
    for (int d = 0; d < n; ++d) {
      const std::size_t k = static_cast<std::size_t>(a * n + d);
      if (a == d) continue;
      auto& path = s.routing.paths[k];
      path.push_back(a);
      for (std::size_t h = 0, hops = 1 + rng() % 6; h < hops; ++h)
        path.push_back(static_cast<int>(rng() % n));
      path.push_back(d);
      net::Flow f;
      f.time_dist = static_cast<net::TimeDist>(rng() % 2 == 0 ? 0 : 4);
      f.eq_lambda_bps = std::uniform_real_distribution<double>(100, 4000)(rng);
      f.time_params = f.time_dist == net::TimeDist::Poisson ? std::vector<double>{f.eq_lambda_bps / 1000, 10}
                                                            : std::vector<double>{2.0, 5, 5, 10};
      f.size_dist = net::SizeDist::Generic;
      f.avg_pkt_size_bits = 1000;
      f.candidates = {{500, 0.22}, {750, 0.05}, {1000, 0.06}, {1250, 0.62}, {1500, 0.05}};  // as validation
      f.tos = static_cast<int>(rng() % 3);
      s.traffic.pairs[k].push_back(f);
      r.pairs[k] = random_stats(rng);
    }
  }
  for (const auto& l : s.topology.links) {
    r.ports.push_back(
        {0.5, 0.01, 1000,
         std::vector<net::QueueStats>(
             static_cast<std::size_t>(s.topology.nodes[static_cast<std::size_t>(l.src)].num_queues()),
             net::QueueStats{0.1, 0.0, 1000, 8000, 1000})});
  }
  s.results = std::move(r);
  return s;
}

// CPU time of this process (the machine is shared: wall time alone varies with the load).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(H5Store, LoadTimeOf300NodeSample) {
  const TempDir dir("h5store");
  const Sample big = big_sample(2022);
  ASSERT_EQ(big.num_nodes(), 300);
  std::vector<Sample> shard = random_samples(13, 3);
  shard.insert(shard.begin() + 1, big);  // sample 1 of a shard of 4
  for (const int level : {0, 1}) {
    ShardWriteOptions opt;
    opt.deflate_level = level;
    const fs::path file = dir.path() / ("big-" + std::to_string(level) + ".h5");
    const auto w0 = std::chrono::steady_clock::now();
    write_shard(file, shard, opt);
    const double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    double best = 1e9;
    double best_cpu = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      const Sample back = ShardReader(file).read(1);
      best_cpu = std::min(best_cpu, cpu_seconds() - c0);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (rep == 0) EXPECT_EQ(back, big);
    }
    std::printf(
        "[ h5store ] 300-node sample, deflate %d: file %.1f MB, write %.3f s, load (open + read "
        "sample 1 of 4) best of 5: %.4f s wall, %.4f s CPU\n",
        level, static_cast<double>(fs::file_size(file)) / 1e6, write_s, best, best_cpu);
    RecordProperty("load_wall_s_deflate_" + std::to_string(level), std::to_string(best));
    RecordProperty("load_cpu_s_deflate_" + std::to_string(level), std::to_string(best_cpu));
  }
}

// The real thing: the first 300-node validation sample, loaded from its GNNet archive, stored and
// loaded back.
TEST(H5Store, RealValidationSample300) {
  const fs::path root = ::autoopt::testing::shared_dir() / "data/gnnet2022/validation/300";
  AUTOOPT_REQUIRE_SHARED(root);
  GnnetDataset ds(root);
  ASSERT_GT(ds.size(), 0u);
  const double g0 = cpu_seconds();
  const Sample real = ds.load(0);
  const double gnnet_cpu = cpu_seconds() - g0;
  ASSERT_EQ(real.num_nodes(), 300);
  ASSERT_TRUE(real.results.has_value());
  const TempDir dir("h5store");
  const fs::path file = dir.path() / "real.h5";
  write_shard(file, std::vector<Sample>{real});
  double best = 1e9;
  double best_cpu = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    const Sample back = ShardReader(file).read(0);
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (rep == 0) EXPECT_EQ(back, real);
  }
  std::size_t flows = 0;
  for (const auto& pair : real.traffic.pairs) flows += pair.size();
  std::printf(
      "[ h5store ] real 300-node sample (%zu flows): GNNet archive load %.3f s CPU; shard %.1f MB, "
      "load best of 5: %.4f s wall, %.4f s CPU\n",
      flows, gnnet_cpu, static_cast<double>(fs::file_size(file)) / 1e6, best, best_cpu);
  RecordProperty("real300_load_wall_s", std::to_string(best));
  RecordProperty("real300_load_cpu_s", std::to_string(best_cpu));
}

}  // namespace
}  // namespace autoopt::io
