// GNNet dataset folders: scanning, lazy loading, writing; the byte-exact round trip of every
// validation sample; the 300-node parse time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/gnnet.hpp"
#include "io/gnnet_text.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;

fs::path validation_dir() { return testing::shared_dir() / "data" / "gnnet2022" / "validation"; }

// A fresh temporary folder, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("autoopt_gnnet_" + std::to_string(rd()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an autoopt::Error";
  return {};
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

std::map<std::string, std::string> member_files(const fs::path& archive) {
  std::map<std::string, std::string> out;
  for (ArchiveMember& m : read_tar_gz(archive)) {
    if (m.is_dir) continue;
    out[m.name.substr(m.name.find('/') + 1)] = std::move(m.data);
  }
  return out;
}

std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  const std::size_t from = i > 30 ? i - 30 : 0;
  return "at byte " + std::to_string(i) + ": original '" + a.substr(from, 60) + "' written '" +
         b.substr(from, 60) + "'";
}

// ---- a small synthetic dataset (the spec's §10 example) ------------------------------------------

net::Sample example_sample(std::int64_t id) {
  const std::string graph =
      "graph [\n  levelsToS 3\n"
      "  node [\n    id 0\n    label \"0\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 32000\n  ]\n"
      "  node [\n    id 1\n    label \"1\"\n    schedulingPolicy \"SP\"\n    bufferSizes 16000\n  ]\n"
      "  node [\n    id 2\n    label \"2\"\n    schedulingPolicy \"WFQ\"\n"
      "    schedulingWeights \"60,30,10\"\n    bufferSizes 8000\n  ]\n"
      "  edge [\n    source 0\n    target 1\n    bandwidth 10000\n  ]\n"
      "  edge [\n    source 1\n    target 2\n    bandwidth 10000\n  ]\n]\n";
  net::Sample s;
  s.id = id;
  s.graph_name = "ex.txt";
  s.routing_name = "Routing-ex.txt";
  s.dataset_tag = "ex";
  s.topology = gnnet::parse_graph(graph, "ex.txt");
  s.routing = gnnet::parse_routing_file("0,1\n0,1,2\n1,0\n1,2\n2,1,0\n2,1\n", s.topology, "r");
  s.traffic = gnnet::parse_traffic_line(
      "3100|-1,0,-1,0,0;0,2000,2,10,3,1000,2,500,0.5,1500,0.5,0;"
      "1,1500,1.92308,3,780,3,500,0.6,1000,0.2,1400,0.2,1;"
      "4,900,2.7,10,5,10,3,1000,2,500,0.5,1500,0.5,2;-1,0,-1,0,0;"
      "0,3000,3.84615,10,3,780,3,500,0.6,1000,0.2,1400,0.2,2;"
      "0,600,0.6,10,3,1000,2,500,0.5,1500,0.5,0;1,1000,1,3,1000,2,500,0.5,1500,0.5,1;-1,0,-1,0,0;",
      3, {"traffic.txt", 1});
  net::Results r;
  gnnet::parse_simulation_results_line(
      "10.3359,0,0.14484|0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;"
      "2.00318,2.00199,0,0.130207,-2.21674,0.05,0.05,0.15,0.19,0.232,0.00391;"
      "1.49993,1.92298,0,0.211388,-1.67281,0.1,0.111,0.19,0.29,0.36,0.008702;"
      "0.96812,0.967562,0,0.112352,-2.38152,0.05,0.05,0.15,0.153,0.171,0.002894;"
      "0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;"
      "2.99757,3.84199,0,0.123784,-2.22815,0.05,0.06,0.1,0.17,0.224,0.004913;"
      "0.60137,0.601393,0,0.221055,-1.60477,0.1,0.1,0.21,0.31,0.35,0.00742;"
      "1.00179,1,0,0.112665,-2.37744,0.05,0.05,0.15,0.152,0.169,0.002861;"
      "0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;",
      3, {"simulationResults.txt", 1}, r);
  r.ports.resize(s.topology.links.size());
  for (std::size_t i = 0; i < r.ports.size(); ++i) {
    const int q = s.topology.nodes[static_cast<std::size_t>(s.topology.links[i].src)].num_queues();
    r.ports[i].utilization = 0.125 * static_cast<double>(i + 1);  // exact in %f
    r.ports[i].avg_pkt_size = 1000;
    r.ports[i].queues.resize(static_cast<std::size_t>(q));
  }
  r.run = gnnet::parse_stability_line("5025;0.000874113;OK;Mem(KB):20480;Time(s):2", {"s", 1});
  s.results = std::move(r);
  return s;
}

TEST(GnnetDatasetWrite, MultiSampleArchivesRoundTrip) {
  TempDir tmp;
  std::vector<net::Sample> samples{example_sample(4), example_sample(5), example_sample(6)};
  samples[1].traffic.max_avg_lambda = 2000;
  samples[2].results->run.status = "FAIL";  // kept, not dropped
  write_gnnet_dataset(tmp.path() / "ds", samples, {.samples_per_file = 2, .tag = "t"});
  EXPECT_TRUE(fs::exists(tmp.path() / "ds" / "results_t_4_5.tar.gz"));
  EXPECT_TRUE(fs::exists(tmp.path() / "ds" / "results_t_6_6.tar.gz"));
  EXPECT_EQ(read_file(tmp.path() / "ds" / "routings" / "Routing-ex.txt"), "-1,0,0,\n0,-1,1,\n0,0,-1,\n");

  // The reference layout: gzip MTIME 0, members in the spec's order.
  const std::string gz = read_file(tmp.path() / "ds" / "results_t_4_5.tar.gz");
  ASSERT_GT(gz.size(), 10U);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));
  const auto members = read_tar_gz(tmp.path() / "ds" / "results_t_4_5.tar.gz");
  std::vector<std::string> names;
  for (const auto& m : members) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "results_t_4_5", "results_t_4_5/input_files.txt",
                       "results_t_4_5/simulationResults.txt", "results_t_4_5/traffic.txt",
                       "results_t_4_5/stability.txt", "results_t_4_5/linkUsage.txt"}));
  EXPECT_EQ(members[1].data, "4;ex.txt;Routing-ex.txt\n5;ex.txt;Routing-ex.txt\n");

  GnnetDataset ds(tmp.path());
  ASSERT_EQ(ds.size(), 3U);
  EXPECT_EQ(ds.samples()[1].line, 1U);
  EXPECT_EQ(ds.num_nodes(ds.samples()[2]), 3);
  EXPECT_EQ(ds.filter_nodes(4, 100).size(), 0U);
  const std::vector<net::Sample> back = ds.read_all();
  ASSERT_EQ(back.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    samples[i].dataset_tag = "t";
    EXPECT_EQ(back[i], samples[i]) << "sample " << i;
  }

  // Non-consecutive ids cannot share an archive.
  std::vector<net::Sample> gap{example_sample(1), example_sample(3)};
  EXPECT_CONTAINS(error_of([&] { write_gnnet_dataset(tmp.path() / "gap", gap, {.samples_per_file = 2}); }),
                  "samples 1 and 3 share an archive but their ids are not consecutive");
}

TEST(GnnetDatasetWrite, SameNameDifferentContentIsAnError) {
  TempDir tmp;
  std::vector<net::Sample> samples{example_sample(0), example_sample(1)};
  samples[1].topology.links[0].bandwidth_bps = 20000;
  samples[1].topology.links[1].bandwidth_bps = 20000;
  EXPECT_CONTAINS(error_of([&] { write_gnnet_dataset(tmp.path(), samples); }),
                  "graphs/ex.txt: two different graphs under one name (sample 1)");
  // Also against a file already on disk from an earlier call.
  TempDir tmp2;
  write_gnnet_dataset(tmp2.path(), std::span(samples).first(1));
  EXPECT_CONTAINS(error_of([&] { write_gnnet_dataset(tmp2.path(), std::span(samples).subspan(1)); }),
                  "graphs/ex.txt: two different contents under one name");
  // Names must stay inside the root.
  net::Sample evil = example_sample(0);
  evil.graph_name = "../evil.txt";
  EXPECT_CONTAINS(error_of([&] { write_gnnet_dataset(tmp.path() / "x", std::span(&evil, 1)); }),
                  "graph name '../evil.txt' is not a plain file name");
}

TEST(GnnetDatasetWrite, SourceBasedRoutingIsWrittenAsADirectory) {
  TempDir tmp;
  net::Sample s = example_sample(0);
  // 1->0 has no route while 2->0 runs 2,1,0: node 1's next hop towards 0 depends on the source,
  // so no destination-based matrix can express it.
  s.routing.paths[1 * 3 + 0].clear();
  s.traffic.pairs[1 * 3 + 0].clear();
  ASSERT_FALSE(gnnet::format_routing_matrix(s.topology, s.routing).has_value());
  write_gnnet_dataset(tmp.path(), std::span(&s, 1));
  EXPECT_TRUE(fs::is_directory(tmp.path() / "routings" / "Routing-ex.txt"));
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "routings" / "Routing-ex.txt" / "Routing_src_2.txt"));
  GnnetDataset ds(tmp.path());
  ASSERT_EQ(ds.size(), 1U);
  EXPECT_EQ(ds.load(0), s);
}

TEST(GnnetDatasetRead, MissingGraphFileIsNamed) {
  TempDir tmp;
  const net::Sample s = example_sample(9);
  write_gnnet_dataset(tmp.path(), std::span(&s, 1), {.tag = "x"});
  fs::remove(tmp.path() / "graphs" / "ex.txt");
  GnnetDataset ds(tmp.path());
  ASSERT_EQ(ds.size(), 1U);
  EXPECT_CONTAINS(error_of([&] { (void)ds.load(0); }),
                  "results_x_9_9.tar.gz:results_x_9_9/input_files.txt line 1: graph file");
  EXPECT_CONTAINS(error_of([&] { (void)ds.load(0); }), "graphs/ex.txt' not found");
  EXPECT_CONTAINS(error_of([&] { (void)ds.num_nodes(ds.samples()[0]); }), "not found");
}

TEST(GnnetDatasetRead, ArchiveWithoutRangeInItsNameIsCounted) {
  TempDir tmp;
  std::vector<net::Sample> samples{example_sample(0), example_sample(1)};
  write_gnnet_dataset(tmp.path(), samples, {.samples_per_file = 2, .tag = "t"});
  fs::rename(tmp.path() / "results_t_0_1.tar.gz", tmp.path() / "results_other.tar.gz");
  GnnetDataset ds(tmp.path());
  ASSERT_EQ(ds.size(), 2U);
  EXPECT_EQ(ds.load(1).id, 1);
  EXPECT_EQ(ds.load(1).dataset_tag, "other");
}

// ---- the validation set ---------------------------------------------------------------------------

TEST(GnnetValidation, ListingAndNodeFilter) {
  AUTOOPT_REQUIRE_SHARED(validation_dir());
  GnnetDataset ds(validation_dir());
  EXPECT_EQ(ds.roots().size(), 10U);
  EXPECT_EQ(ds.size(), 130U);
  std::size_t in_small = 0;
  for (const char* n : {"50", "75"}) {
    for (const auto& e : fs::directory_iterator(validation_dir() / n)) {
      in_small += e.path().extension() == ".gz" ? 1 : 0;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<GnnetSampleRef> small = ds.filter_nodes(50, 75);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("filter_nodes over 130 archives: %.3f s\n", secs);
  EXPECT_EQ(small.size(), in_small);
  for (const auto& r : small) EXPECT_LE(ds.num_nodes(r), 75);
  // Stable order: roots by path, then archive name.
  for (std::size_t i = 1; i < ds.size(); ++i) {
    const auto& a = ds.samples()[i - 1];
    const auto& b = ds.samples()[i];
    EXPECT_TRUE(a.root < b.root || (a.root == b.root && a.archive.filename().string() <
                                                            b.archive.filename().string()));
  }
}

TEST(GnnetValidation, Parse300NodeSample) {
  const fs::path archive = validation_dir() / "300" / "results_400-2000_11_11.tar.gz";
  AUTOOPT_REQUIRE_SHARED(archive);
  // CPU time of this process (single-threaded here): robust to a loaded machine.
  struct clock {
    using time_point = std::chrono::duration<double>;
    static time_point now() {
      return time_point(static_cast<double>(std::clock()) / CLOCKS_PER_SEC);
    }
  };
  auto t0 = clock::now();
  const auto members = member_files(archive);
  auto t1 = clock::now();
  GnnetDataset ds(validation_dir() / "300");
  const net::Sample warm = ds.load(ds.samples().front());  // graph + routing now cached
  const net::Topology& topo = warm.topology;
  const int n = topo.num_nodes();
  ASSERT_EQ(n, 300);
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    auto a = clock::now();
    net::Sample s;
    s.traffic = gnnet::parse_traffic_line(gnnet::split_lines(members.at("traffic.txt"))[0], n, {"traffic.txt", 1});
    net::Results r;
    gnnet::parse_simulation_results_line(gnnet::split_lines(members.at("simulationResults.txt"))[0], n,
                                         {"simulationResults.txt", 1}, r);
    r.ports = gnnet::parse_link_usage_line(gnnet::split_lines(members.at("linkUsage.txt"))[0], topo,
                                           {"linkUsage.txt", 1});
    r.run = gnnet::parse_stability_line(gnnet::split_lines(members.at("stability.txt"))[0], {"s", 1});
    best = std::min(best, (clock::now() - a).count());
    EXPECT_EQ(r.pairs.size(), 90000U);
  }
  auto g0 = clock::now();
  const std::string gtext = read_file(validation_dir() / "300" / "graphs" / warm.graph_name);
  const net::Topology t2 = gnnet::parse_graph(gtext, "g");
  const net::Routing r2 = gnnet::parse_routing_file(
      read_file(validation_dir() / "300" / "routings" / warm.routing_name), t2, "r");
  auto g1 = clock::now();
  auto l0 = clock::now();
  GnnetDataset fresh(validation_dir() / "300");
  const net::Sample full = fresh.load(fresh.samples().front());
  auto l1 = clock::now();
  EXPECT_EQ(full, warm);
  std::printf("300-node sample (CPU time): decompress %.3f s; parse traffic+simulationResults+linkUsage+"
              "stability %.3f s (best of 3); graph+routing %.3f s; full cold load %.3f s\n",
              (t1 - t0).count(), best,
              (g1 - g0).count(),
              (l1 - l0).count());
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr bool kSanitized = true;  // ~10x slower: one sample per root is enough to catch UB
#else
constexpr bool kSanitized = false;
#endif

// Every validation sample: read -> write -> the written files equal the original bytes, and
// reading the written dataset gives == samples.
TEST(GnnetValidation, RoundTripEverySample) {
  AUTOOPT_REQUIRE_SHARED(validation_dir());
  GnnetDataset ds(validation_dir());
  ASSERT_EQ(ds.size(), 130U);
  TempDir tmp;
  std::vector<std::string> mismatches;
  std::size_t done = 0;
  std::size_t last_root = static_cast<std::size_t>(-1);
  for (const GnnetSampleRef& ref : ds.samples()) {
    if (kSanitized && ref.root == last_root) continue;
    last_root = ref.root;
    const net::Sample s = ds.load(ref);
    const fs::path src_root = ds.roots()[ref.root];
    const fs::path out_root = tmp.path() / src_root.filename();
    write_gnnet_dataset(out_root, std::span(&s, 1));
    const fs::path out_archive = out_root / ref.archive.filename();
    ASSERT_TRUE(fs::exists(out_archive)) << out_archive;

    const auto orig = member_files(ref.archive);
    const auto mine = member_files(out_archive);
    for (const auto& [name, data] : orig) {
      const auto it = mine.find(name);
      if (it == mine.end()) {
        mismatches.push_back(ref.archive.filename().string() + ": " + name + " not written");
      } else if (it->second != data) {
        mismatches.push_back(ref.archive.filename().string() + ": " + name + " differs " +
                             first_difference(data, it->second));
      }
    }
    for (const auto& [sub, name] : {std::pair{"graphs", s.graph_name}, {"routings", s.routing_name}}) {
      const std::string a = read_file(src_root / sub / name);
      const std::string b = read_file(out_root / sub / name);
      if (a != b) mismatches.push_back(std::string(sub) + "/" + name + " differs " + first_difference(a, b));
    }

    GnnetDataset back(out_root);
    bool found = false;
    for (const GnnetSampleRef& r2 : back.samples()) {
      if (r2.archive.filename() == ref.archive.filename()) {
        found = true;
        EXPECT_TRUE(back.load(r2) == s) << "re-read sample differs: " << ref.archive;
      }
    }
    EXPECT_TRUE(found) << ref.archive;
    ++done;
    std::printf("[round trip %3zu/%zu] N=%d %s\n", done, ds.size(), s.num_nodes(),
                ref.archive.filename().string().c_str());
    std::fflush(stdout);
  }
  for (const std::string& m : mismatches) ADD_FAILURE() << m;
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " files are not byte-identical";
}

}  // namespace
}  // namespace autoopt::io
