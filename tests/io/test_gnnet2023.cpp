// GNNet 2023 real-data import: real lines against their JSON text, the mapping on a hand-written
// line, every kind of malformed line, gzip files, and the JSON lines -> HDF5 -> read back round trip.
#include "io/gnnet2023.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/h5store.hpp"
#include "io/temp_dir.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::io {
namespace {
namespace fs = std::filesystem;

// 3 links, 2 flows: flow 0 crosses links 0 then 1 (CBR), flow 1 link 2 (multi-burst).
const std::string kLine =
    R"({"sample_file_name":"results_mb_7-7.tar.gz","sample_file_id":7,"links":{"capacity_gbps":[1.0,10.0,0.5]},)"
    R"("flows":{"id":["0_1_0","1_0_0"],"traffic_bps":[1000000.0,2000000.0],"packets_per_s":[100.0,250.0],)"
    R"("mean_packet_size_bits":[10000.0,8000.0],"type_cbr_multiburst":[[1.0,0.0],[0.0,1.0]],"length":[2,1],)"
    R"("links":[[0,1],[2]],"delay_ms":[1.5,0.25]}})";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// The autoopt::Error text of parsing `line` as line 7 of "t.jsonl" (empty if it parses).
std::string parse_error(const std::string& line) {
  try {
    (void)parse_gnnet2023_line(line, "t.jsonl", 7);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

using autoopt::testing::TempDir;

void write_gz(const fs::path& p, const std::string& text) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

// The first `n` lines of a gzip file, read with zlib directly (independently of the reader).
std::vector<std::string> first_lines(const fs::path& p, std::size_t n) {
  std::vector<std::string> lines;
  gzFile f = gzopen(p.c_str(), "rb");
  if (f == nullptr) return lines;
  std::string cur;
  char c = 0;
  while (lines.size() < n && gzread(f, &c, 1) == 1) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  gzclose(f);
  return lines;
}

// The numbers of the first JSON array after "key": in `text`, flattened (nested brackets skipped),
// read with strtod: an extraction independent of the reader's JSON parser.
std::vector<double> numbers_after(const std::string& text, const std::string& key) {
  std::vector<double> out;
  const auto at = text.find("\"" + key + "\":[");
  if (at == std::string::npos) return out;
  std::size_t i = at + key.size() + 4;
  int depth = 1;
  while (i < text.size() && depth > 0) {
    const char c = text[i];
    if (c == '[') {
      ++depth, ++i;
    } else if (c == ']') {
      --depth, ++i;
    } else if (c == ',' || c == ' ') {
      ++i;
    } else {
      char* end = nullptr;
      out.push_back(std::strtod(text.c_str() + i, &end));
      i = static_cast<std::size_t>(end - text.c_str());
    }
  }
  return out;
}

TEST(Gnnet2023, HandWrittenLineMapping) {
  const net::Sample s = parse_gnnet2023_line(kLine, "t.jsonl", 1, "gnnet2023:test/t");
  EXPECT_EQ(s.id, 7);
  EXPECT_EQ(s.graph_name, "results_mb_7-7.tar.gz");
  EXPECT_EQ(s.dataset_tag, "gnnet2023:test/t");
  // Gbit/s -> bit/s
  ASSERT_EQ(s.topology.links.size(), 3u);
  EXPECT_EQ(s.topology.links[0].bandwidth_bps, 1e9);
  EXPECT_EQ(s.topology.links[1].bandwidth_bps, 1e10);
  EXPECT_EQ(s.topology.links[2].bandwidth_bps, 0.5e9);
  // node graph: links 0 and 1 share a node (consecutive in flow 0); link 2 stands alone
  EXPECT_EQ(s.num_nodes(), 5);
  EXPECT_EQ(s.topology.links[0].src, 0);
  EXPECT_EQ(s.topology.links[0].dst, 1);
  EXPECT_EQ(s.topology.links[1].src, 1);
  EXPECT_EQ(s.topology.links[1].dst, 2);
  EXPECT_EQ(s.topology.links[2].src, 3);
  EXPECT_EQ(s.topology.links[2].dst, 4);
  EXPECT_EQ(s.topology.levels_tos, 1);
  for (const net::Node& n : s.topology.nodes) {
    EXPECT_EQ(n.policy, net::Policy::FIFO);
    EXPECT_EQ(n.num_queues(), 1);
    EXPECT_EQ(n.queue_of_tos(0), 0);
  }
  EXPECT_TRUE(s.routing.paths.empty());
  EXPECT_TRUE(s.traffic.pairs.empty());
  EXPECT_FALSE(s.results.has_value());
  // flows, in line order; ms -> s
  EXPECT_EQ(s.link_paths.delay_unit_s, 1e-3);
  ASSERT_EQ(s.link_paths.flows.size(), 2u);
  const net::PathFlow& a = s.link_paths.flows[0];
  const net::PathFlow& b = s.link_paths.flows[1];
  EXPECT_EQ(a.name, "0_1_0");
  EXPECT_EQ(a.time_dist, net::TimeDist::CBR);
  EXPECT_EQ(a.traffic_bps, 1e6);
  EXPECT_EQ(a.packets_per_s, 100.0);
  EXPECT_EQ(a.avg_pkt_size_bits, 10000.0);
  EXPECT_EQ(a.links, (std::vector<int>{0, 1}));
  EXPECT_DOUBLE_EQ(a.avg_delay, 0.0015);
  EXPECT_DOUBLE_EQ(to_source_delay_unit(s, a.avg_delay), 1.5);
  EXPECT_EQ(b.name, "1_0_0");
  EXPECT_EQ(b.time_dist, net::TimeDist::OnOff);
  EXPECT_EQ(b.links, (std::vector<int>{2}));
  EXPECT_DOUBLE_EQ(b.avg_delay, 0.00025);
  EXPECT_TRUE(validate_link_path_sample(s).empty()) << net::format_problems(validate_link_path_sample(s));
}

TEST(Gnnet2023, NodeGraphWithRevisitsAndParallelLinks) {
  // Flow 0 is 0,1,2,3 and flow 1 is 2,1: link 2 returns to the node link 1 leaves, so flow 0
  // crosses that node twice. Flows 2 and 3 make links 4 and 5 parallel (same ends).
  std::string line = kLine;
  line = replaced(line, R"("capacity_gbps":[1.0,10.0,0.5])", R"("capacity_gbps":[1,1,1,1,1,1,1])");
  line = replaced(line, R"("id":["0_1_0","1_0_0"])", R"("id":["a","b","c","d"])");
  line = replaced(line, R"("traffic_bps":[1000000.0,2000000.0])", R"("traffic_bps":[1,1,1,1])");
  line = replaced(line, R"("packets_per_s":[100.0,250.0])", R"("packets_per_s":[1,1,1,1])");
  line = replaced(line, R"("mean_packet_size_bits":[10000.0,8000.0])", R"("mean_packet_size_bits":[1,1,1,1])");
  line = replaced(line, R"("type_cbr_multiburst":[[1.0,0.0],[0.0,1.0]])", R"("type_cbr_multiburst":[[0,1],[0,1],[0,1],[0,1]])");
  line = replaced(line, R"("length":[2,1])", R"("length":[4,2,3,3])");
  line = replaced(line, R"("links":[[0,1],[2]])", R"("links":[[0,1,2,3],[2,1],[6,4,0],[6,5,0]])");
  line = replaced(line, R"("delay_ms":[1.5,0.25])", R"("delay_ms":[1,2,3,4])");
  const net::Sample s = parse_gnnet2023_line(line, "t.jsonl", 1);
  const auto& L = s.topology.links;
  ASSERT_EQ(L.size(), 7u);
  EXPECT_EQ(L[0].dst, L[1].src);
  EXPECT_EQ(L[1].dst, L[2].src);
  EXPECT_EQ(L[2].dst, L[1].src);  // the revisit
  EXPECT_EQ(L[2].dst, L[3].src);
  EXPECT_EQ(L[4].src, L[5].src);  // parallel links
  EXPECT_EQ(L[4].dst, L[5].dst);
  EXPECT_NE(L[4].port, L[5].port);
  EXPECT_EQ(L[6].dst, L[4].src);
  EXPECT_EQ(L[4].dst, L[0].src);
  EXPECT_TRUE(validate_link_path_sample(s).empty()) << net::format_problems(validate_link_path_sample(s));
  // net::validate wants pair routing and one link per direction: a link-path sample is not routed.
  EXPECT_FALSE(net::validate(s).empty());
}

TEST(Gnnet2023, MalformedLinesNameFileLineAndField) {
  struct Case {
    std::string line;
    std::string expected;
  };
  std::string deep(200, '[');
  const std::vector<Case> cases = {
      {R"({"links": [1, 2)", "t.jsonl:7: bad JSON at column 16: unexpected end of line in an array"},
      {R"({"a":1} x)", "t.jsonl:7: bad JSON at column 9: unexpected text after the JSON value"},
      {R"({"a":01})", "t.jsonl:7: bad JSON at column 7: expected ',' or '}'"},
      {R"({"a":1,"a":2})", "t.jsonl:7: bad JSON at column 11: duplicate member \"a\""},
      {deep, "t.jsonl:7: bad JSON at column 66: nested deeper than 64 levels"},
      {"", "t.jsonl:7: bad JSON at column 1: unexpected end of line, expected a value"},
      {"[1]", "t.jsonl:7: the line: expected an object, got an array"},
      {replaced(kLine, R"("delay_ms":[1.5,0.25])", R"("delay":[1.5,0.25])"), "t.jsonl:7: flows.delay_ms: missing key"},
      {replaced(kLine, R"("sample_file_id":7,)", ""), "t.jsonl:7: sample_file_id: missing key"},
      {replaced(kLine, R"({"capacity_gbps":[1.0,10.0,0.5]})", "[]"), "t.jsonl:7: links: expected an object, got an array"},
      {replaced(kLine, "[1.0,10.0,0.5]", R"([1.0,"10",0.5])"),
       "t.jsonl:7: links.capacity_gbps[1]: expected a number, got a string"},
      {replaced(kLine, "[1.0,10.0,0.5]", "[1.0,10.0,0]"), "t.jsonl:7: links.capacity_gbps[2]: is 0 Gbit/s, expected > 0"},
      {replaced(kLine, "[1.0,10.0,0.5]", "[1.0,-10.0,0.5]"),
       "t.jsonl:7: links.capacity_gbps[1]: is -10 Gbit/s, expected > 0"},
      {replaced(kLine, "[1.5,0.25]", "[1.5]"),
       "t.jsonl:7: flows.delay_ms: has 1 entries, expected 2 (one per flow of flows.id)"},
      {replaced(kLine, "[1.5,0.25]", "[1.5,-0.25]"), "t.jsonl:7: flows.delay_ms[1]: is -0.25 ms, expected >= 0 and finite"},
      {replaced(kLine, "[[0,1],[2]]", "[[0,1],[3]]"),
       "t.jsonl:7: flows.links[1][0]: link index 3 out of range, expected 0..2 (links.capacity_gbps has 3 links)"},
      {replaced(kLine, "[[0,1],[2]]", "[[0,-1],[2]]"),
       "t.jsonl:7: flows.links[0][1]: link index -1 out of range, expected 0..2"},
      {replaced(kLine, "[[0,1],[2]]", "[[0,1.5],[2]]"), "t.jsonl:7: flows.links[0][1]: is 1.5, expected a link index"},
      {replaced(kLine, "[[0,1],[2]]", "[[0,1],[]]"), "t.jsonl:7: flows.links[1]: is empty"},
      {replaced(kLine, R"("length":[2,1])", R"("length":[3,1])"),
       "t.jsonl:7: flows.length[0]: is 3 but flows.links[0] has 2 links"},
      {replaced(kLine, "[[1.0,0.0],[0.0,1.0]]", "[[1.0,0.0],[1.0,1.0]]"),
       "t.jsonl:7: flows.type_cbr_multiburst[1]: is [1, 1], expected one-hot"},
      {replaced(kLine, "[[1.0,0.0],[0.0,1.0]]", "[[1.0,0.0],[1.0]]"),
       "t.jsonl:7: flows.type_cbr_multiburst[1]: has 1 entries, expected 2"},
      {replaced(kLine, "[100.0,250.0]", "[100.0,0.0]"), "t.jsonl:7: flows.packets_per_s[1]: is 0 packets/s, expected > 0"},
      {replaced(kLine, "[10000.0,8000.0]", "[10000.0,null]"),
       "t.jsonl:7: flows.mean_packet_size_bits[1]: expected a number, got null"},
      {replaced(kLine, R"(["0_1_0","1_0_0"])", R"(["0_1_0",""])"), "t.jsonl:7: flows.id[1]: is empty"},
      {replaced(kLine, R"(["0_1_0","1_0_0"])", "[]"), "t.jsonl:7: flows.id: is empty, expected at least one flow"},
      {replaced(kLine, "[[0,1],[2]]", "[[0,0],[2]]"),
       "t.jsonl:7: flows.links: the paths are inconsistent with any node graph: link 0 would start and end at the same node"},
  };
  for (const Case& c : cases) {
    const std::string err = parse_error(c.line);
    EXPECT_NE(err.find(c.expected), std::string::npos) << "line: " << c.line << "\nerror: " << err;
  }
}

TEST(Gnnet2023, GzipFilesBlankLinesAndErrorsNameTheFile) {
  const TempDir dir("gnnet2023-files");
  const fs::path good = dir.path() / "ds" / "fold0.jsonl.gz";
  fs::create_directories(good.parent_path());
  write_gz(good, kLine + "\n\n" + replaced(kLine, R"("sample_file_id":7)", R"("sample_file_id":8)") + "\n");
  const auto samples = read_gnnet2023(good);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].id, 7);
  EXPECT_EQ(samples[1].id, 8);
  EXPECT_EQ(samples[0].dataset_tag, "gnnet2023:ds/fold0");
  EXPECT_TRUE(is_gnnet2023_path(good));
  EXPECT_TRUE(is_gnnet2023_path(dir.path()));

  // a plain .jsonl beside it, without a final newline; a folder lists both in path order
  const fs::path plain = dir.path() / "ds" / "fold1.jsonl";
  std::ofstream(plain) << replaced(kLine, R"("sample_file_id":7)", R"("sample_file_id":9)");
  const auto all = read_gnnet2023(dir.path());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].id, 9);
  EXPECT_EQ(gnnet2023_files(dir.path()), (std::vector<fs::path>{good, plain}));

  // a bad third line: the error names the file and line 4 (the blank line counts)
  const fs::path bad = dir.path() / "bad.jsonl.gz";
  write_gz(bad, kLine + "\n\n" + kLine + "\n" + replaced(kLine, "[1.5,0.25]", "[1.5,-1]") + "\n");
  try {
    (void)read_gnnet2023(bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string() + ":4: flows.delay_ms[1]: is -1 ms"), std::string::npos)
        << e.what();
  }

  // a truncated gzip stream
  const fs::path whole = dir.path() / "whole.jsonl.gz";
  std::string text;
  for (int i = 0; i < 200; ++i) text += replaced(kLine, R"("sample_file_id":7)", "\"sample_file_id\":" + std::to_string(i)) + "\n";
  write_gz(whole, text);
  const auto size = fs::file_size(whole);
  const fs::path cut = dir.path() / "cut.jsonl.gz";
  fs::copy_file(whole, cut);
  fs::resize_file(cut, size / 2);
  try {
    (void)read_gnnet2023(cut);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(cut.string() + ": cannot read (gzip: "), std::string::npos) << e.what();
  }

  EXPECT_THROW((void)read_gnnet2023(dir.path() / "missing.jsonl.gz"), Error);
  EXPECT_THROW((void)gnnet2023_files(dir.path() / "ds" / "nothing"), Error);
  const TempDir empty("gnnet2023-empty");
  EXPECT_FALSE(is_gnnet2023_path(empty.path()));
}

TEST(Gnnet2023, RealLinesMatchTheirJsonText) {
  const fs::path file = testing::shared_dir() / "data" / "gnnet2023-real" / "mb" / "fold0.jsonl.gz";
  AUTOOPT_REQUIRE_SHARED(file);
  const auto lines = first_lines(file, 3);
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t k = 0; k < lines.size(); ++k) {
    SCOPED_TRACE("line " + std::to_string(k + 1));
    const std::string& text = lines[k];
    const net::Sample s = parse_gnnet2023_line(text, file.string(), k + 1, gnnet2023_tag(file));
    EXPECT_EQ(s.dataset_tag, "gnnet2023:mb/fold0");
    EXPECT_NE(text.find("\"sample_file_id\":" + std::to_string(s.id) + ","), std::string::npos);
    EXPECT_NE(text.find("\"sample_file_name\":\"" + s.graph_name + "\""), std::string::npos);

    const auto cap = numbers_after(text, "capacity_gbps");
    ASSERT_EQ(s.topology.links.size(), cap.size());
    for (std::size_t l = 0; l < cap.size(); ++l) EXPECT_EQ(s.topology.links[l].bandwidth_bps, cap[l] * 1e9);

    const auto& flows = s.link_paths.flows;
    const auto traffic = numbers_after(text, "traffic_bps");
    const auto packets = numbers_after(text, "packets_per_s");
    const auto size = numbers_after(text, "mean_packet_size_bits");
    const auto type = numbers_after(text, "type_cbr_multiburst");
    const auto length = numbers_after(text, "length");
    const auto delay = numbers_after(text, "delay_ms");
    ASSERT_EQ(flows.size(), traffic.size());
    ASSERT_EQ(flows.size(), delay.size());
    ASSERT_EQ(type.size(), 2 * flows.size());
    // the flows' link lists: "links":[[...],...] after "length"
    const auto path_hops = numbers_after(text.substr(text.find("\"length\"")), "links");
    std::size_t h = 0;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      EXPECT_EQ(flows[i].traffic_bps, traffic[i]);
      EXPECT_EQ(flows[i].packets_per_s, packets[i]);
      EXPECT_EQ(flows[i].avg_pkt_size_bits, size[i]);
      EXPECT_EQ(flows[i].time_dist, type[2 * i] == 1.0 ? net::TimeDist::CBR : net::TimeDist::OnOff);
      EXPECT_EQ(static_cast<double>(flows[i].links.size()), length[i]);
      for (const int l : flows[i].links) {
        ASSERT_LT(h, path_hops.size());
        EXPECT_EQ(static_cast<double>(l), path_hops[h++]);
      }
      EXPECT_EQ(flows[i].avg_delay, delay[i] * 1e-3);
      EXPECT_NE(text.find("\"" + flows[i].name + "\""), std::string::npos);
    }
    EXPECT_EQ(h, path_hops.size());
    // the derived node graph connects every path
    EXPECT_TRUE(validate_link_path_sample(s).empty()) << net::format_problems(validate_link_path_sample(s));
  }
}

TEST(Gnnet2023, JsonLinesToHdf5RoundTripIsExact) {
  const TempDir dir("gnnet2023-h5");
  std::string text = kLine + "\n";
  const fs::path real = testing::shared_dir() / "data" / "gnnet2023-real" / "cbr_mb" / "fold0.jsonl.gz";
  if (fs::exists(real)) {
    for (const std::string& l : first_lines(real, 4)) text += l + "\n";
  }
  const fs::path in = dir.path() / "cbr_mb" / "fold9.jsonl.gz";
  fs::create_directories(in.parent_path());
  write_gz(in, text);
  const auto samples = read_gnnet2023(in);
  ASSERT_GE(samples.size(), 1u);

  const fs::path store = dir.path() / "store";
  const ConvertReport r = gnnet2023_to_hdf5(in, store, SizeFilter{}, Distribution{});
  EXPECT_EQ(r.samples, samples.size());
  EXPECT_EQ(r.total, samples.size());
  const auto back = ShardStore::open(store).read_all();
  ASSERT_EQ(back.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_TRUE(back[i] == samples[i]) << "sample " << i;

  // two "ranks" split the samples round-robin
  const fs::path split = dir.path() / "split";
  for (int rank = 0; rank < 2; ++rank) {
    (void)gnnet2023_to_hdf5(in, split, SizeFilter{}, Distribution{rank, 2, MPI_COMM_NULL});
  }
  const ShardReader r0(split / shard_file_name(0, 2));
  const ShardReader r1(split / shard_file_name(1, 2));
  EXPECT_EQ(r0.size() + r1.size(), samples.size());
  EXPECT_TRUE(r0.read(0) == samples[0]);
  if (samples.size() > 1) EXPECT_TRUE(r1.read(0) == samples[1]);

  // a routed sample and a link-path sample share a shard without mixing their columns
  net::Sample routed;
  routed.id = 42;
  routed.graph_name = "g";
  const std::vector<net::Sample> mixed = {samples[0], routed, samples.back()};
  const fs::path shard = dir.path() / "mixed.h5";
  write_shard(shard, mixed);
  EXPECT_EQ(read_shard(shard), mixed);

  // the size filter applies to the derived node count
  const fs::path none = dir.path() / "none";
  const ConvertReport rn = gnnet2023_to_hdf5(in, none, SizeFilter{1000, 2000}, Distribution{});
  EXPECT_EQ(rn.total, 0u);
  EXPECT_EQ(ShardStore::open(none).size(), 0u);
}

}  // namespace
}  // namespace autoopt::io
