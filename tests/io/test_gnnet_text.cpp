// Unit tests of the GNNet per-file text formats on the spec's §10 worked example, plus number
// formatting and bad-input errors.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>

#include "io/gnnet_text.hpp"
#include "io/numfmt.hpp"
#include "net/error.hpp"

namespace autoopt::io::gnnet {
namespace {

// ---- the §10 example as test strings ----------------------------------------------------------

constexpr std::string_view kGraphOut =
    "graph [\n"
    "  directed 1\n"
    "  multigraph 1\n"
    "  levelsToS 3\n"
    "  node [\n"
    "    id 0\n"
    "    label \"0\"\n"
    "    bufferSizes \"32000\"\n"
    "    schedulingPolicy \"FIFO\"\n"
    "    levelsQoS \"1\"\n"
    "    schedulingWeights \"-\"\n"
    "    tosToQoSqueue \"0,1,2\"\n"
    "  ]\n"
    "  node [\n"
    "    id 1\n"
    "    label \"1\"\n"
    "    bufferSizes \"16000,16000,16000\"\n"
    "    schedulingPolicy \"SP\"\n"
    "    levelsQoS \"3\"\n"
    "    schedulingWeights \"-\"\n"
    "    tosToQoSqueue \"0;1;2\"\n"
    "  ]\n"
    "  node [\n"
    "    id 2\n"
    "    label \"2\"\n"
    "    bufferSizes \"8000,8000,8000\"\n"
    "    schedulingPolicy \"WFQ\"\n"
    "    levelsQoS \"3\"\n"
    "    schedulingWeights \"60,30,10\"\n"
    "    tosToQoSqueue \"0;1;2\"\n"
    "  ]\n"
    "  edge [\n"
    "    source 0\n"
    "    target 1\n"
    "    key 0\n"
    "    port 0\n"
    "    weight 1\n"
    "    bandwidth 10000.0\n"
    "  ]\n"
    "  edge [\n"
    "    source 1\n"
    "    target 0\n"
    "    key 0\n"
    "    port 0\n"
    "    weight 1\n"
    "    bandwidth 10000.0\n"
    "  ]\n"
    "  edge [\n"
    "    source 1\n"
    "    target 2\n"
    "    key 0\n"
    "    port 1\n"
    "    weight 1\n"
    "    bandwidth 10000.0\n"
    "  ]\n"
    "  edge [\n"
    "    source 2\n"
    "    target 1\n"
    "    key 0\n"
    "    port 0\n"
    "    weight 1\n"
    "    bandwidth 10000.0\n"
    "  ]\n"
    "]\n";

constexpr std::string_view kGraphIn =
    "graph [\n"
    "  levelsToS 3\n"
    "  node [\n"
    "    id 0\n"
    "    label \"0\"\n"
    "    schedulingPolicy \"FIFO\"\n"
    "    bufferSizes 32000\n"
    "  ]\n"
    "  node [\n"
    "    id 1\n"
    "    label \"1\"\n"
    "    schedulingPolicy \"SP\"\n"
    "    bufferSizes 16000\n"
    "  ]\n"
    "  node [\n"
    "    id 2\n"
    "    label \"2\"\n"
    "    schedulingPolicy \"WFQ\"\n"
    "    schedulingWeights \"60,30,10\"\n"
    "    bufferSizes 8000\n"
    "  ]\n"
    "  edge [\n"
    "    source 0\n"
    "    target 1\n"
    "    bandwidth 10000\n"
    "  ]\n"
    "  edge [\n"
    "    source 1\n"
    "    target 2\n"
    "    bandwidth 10000\n"
    "  ]\n"
    "]\n";

constexpr std::string_view kRoutingPaths = "0,1\n0,1,2\n1,0\n1,2\n2,1,0\n2,1\n";
constexpr std::string_view kPortMatrix = "-1,0,0,\n0,-1,1,\n0,0,-1,\n";

constexpr std::string_view kTraffic =
    "3100|-1,0,-1,0,0;0,2000,2,10,3,1000,2,500,0.5,1500,0.5,0;"
    "1,1500,1.92308,3,780,3,500,0.6,1000,0.2,1400,0.2,1;"
    "4,900,2.7,10,5,10,3,1000,2,500,0.5,1500,0.5,2;-1,0,-1,0,0;"
    "0,3000,3.84615,10,3,780,3,500,0.6,1000,0.2,1400,0.2,2;"
    "0,600,0.6,10,3,1000,2,500,0.5,1500,0.5,0;1,1000,1,3,1000,2,500,0.5,1500,0.5,1;-1,0,-1,0,0;\n";

constexpr std::string_view kResults =
    "10.3359,0,0.14484|0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;"
    "2.00318,2.00199,0,0.130207,-2.21674,0.05,0.05,0.15,0.19,0.232,0.00391;"
    "1.49993,1.92298,0,0.211388,-1.67281,0.1,0.111,0.19,0.29,0.36,0.008702;"
    "0.96812,0.967562,0,0.112352,-2.38152,0.05,0.05,0.15,0.153,0.171,0.002894;"
    "0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;"
    "2.99757,3.84199,0,0.123784,-2.22815,0.05,0.06,0.1,0.17,0.224,0.004913;"
    "0.60137,0.601393,0,0.221055,-1.60477,0.1,0.1,0.21,0.31,0.35,0.00742;"
    "1.00179,1,0,0.112665,-2.37744,0.05,0.05,0.15,0.152,0.169,0.002861;"
    "0,0,0,-1,-1,-1,-1,-1,-1,-1,-1;\n";

constexpr std::string_view kLinkUsage =
    "-1;0.350000,0.000000,892.156863:0.350000,0.000000,1194.227869,7400.000000,892.156863;-1;"
    "0.156667,0.000000,1000.000000:0.060000,0.000000,1104.166667,3000.000000,1000.000000:"
    "0.000000,0.000000,0.000000,0.000000,0.000000:0.096667,0.000000,1123.517787,4500.000000,"
    "1000.000000;-1;"
    "0.450000,0.000000,780.000000:0.000000,0.000000,0.000000,0.000000,0.000000:0.150000,0.000000,"
    "1031.809955,4300.000000,780.000000:0.300000,0.000000,1237.836281,9100.000000,780.000000;-1;"
    "0.160000,0.000000,1000.000000:0.060000,0.000000,1106.382979,3000.000000,1000.000000:0.100000,"
    "0.000000,1126.646403,4500.000000,1000.000000:0.000000,0.000000,0.000000,0.000000,0.000000;-1;"
    "\n";

constexpr std::string_view kStability = "5025;0.000874113;OK;Mem(KB):20480;Time(s):2\n";
constexpr std::string_view kInputFiles = "0;ex.txt;Routing-ex.txt\n";

std::string_view first_line(std::string_view s) { return s.substr(0, s.find('\n')); }

// Runs `f` and returns the autoopt::Error message (fails the test if nothing is thrown).
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

// ---- numbers ----------------------------------------------------------------------------------

TEST(GnnetNumbers, TruncateThenG) {
  using namespace numfmt;
  double v = 0;
  ASSERT_TRUE(parse_double("2.34132", v));
  EXPECT_EQ(format_trunc_g(v), "2.34132");
  EXPECT_EQ(format_trunc_g(1.0 / 6375.0), "0.000156");  // truncation, not rounding (0.000157)
  EXPECT_EQ(format_trunc_g(4.1e-05), "4.1e-05");
  EXPECT_EQ(format_trunc_g(3e-06), "3e-06");
  EXPECT_EQ(format_trunc_g(-4.40048), "-4.40048");
  EXPECT_EQ(format_trunc_g(0.0), "0");
  EXPECT_EQ(format_trunc_g(0.1234569), "0.123456");  // truncated at 1e-6, not rounded
  EXPECT_EQ(format_trunc_g(0.0000019999), "1e-06");
  EXPECT_EQ(format_trunc_g(1.9999999), "2");  // 1.999999, then %g rounds to 6 digits
  EXPECT_EQ(format_trunc_g(2475.6 / 1000.0), "2.4756");
  EXPECT_EQ(format_g(1234567.0), "1.23457e+06");
}

TEST(GnnetNumbers, PythonFloatRepr) {
  using numfmt::format_py_float;
  EXPECT_EQ(format_py_float(10000.0), "10000.0");
  EXPECT_EQ(format_py_float(2500000.0), "2500000.0");
  EXPECT_EQ(format_py_float(0.5), "0.5");
  EXPECT_EQ(format_py_float(0.0001), "0.0001");
  EXPECT_EQ(format_py_float(0.00001), "1e-05");
  EXPECT_EQ(format_py_float(1e16), "1e+16");
  EXPECT_EQ(format_py_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_py_float(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_py_float(-12.25), "-12.25");
}

// ---- graph ------------------------------------------------------------------------------------

TEST(GnnetGraph, OutputFormParsesAndRoundTrips) {
  const net::Topology t = parse_graph(kGraphOut, "graphs/ex.txt");
  ASSERT_EQ(t.num_nodes(), 3);
  EXPECT_EQ(t.levels_tos, 3);
  EXPECT_EQ(t.nodes[0].policy, net::Policy::FIFO);
  EXPECT_EQ(t.nodes[0].buffer_bits, (std::vector<double>{32000}));
  EXPECT_EQ(t.nodes[0].queue_tos, (std::vector<std::vector<int>>{{0, 1, 2}}));
  EXPECT_TRUE(t.nodes[0].weights.empty());
  EXPECT_EQ(t.nodes[1].policy, net::Policy::SP);
  EXPECT_EQ(t.nodes[1].buffer_bits, (std::vector<double>{16000, 16000, 16000}));
  EXPECT_EQ(t.nodes[1].queue_tos, (std::vector<std::vector<int>>{{0}, {1}, {2}}));
  EXPECT_EQ(t.nodes[2].policy, net::Policy::WFQ);
  EXPECT_EQ(t.nodes[2].weights, (std::vector<double>{60, 30, 10}));
  ASSERT_EQ(t.links.size(), 4U);
  EXPECT_EQ(t.links[2], (net::Link{1, 2, 1, 10000.0}));
  EXPECT_EQ(format_graph(t), kGraphOut);
}

TEST(GnnetGraph, InputFormBecomesTheOutputForm) {
  const net::Topology t = parse_graph(kGraphIn, "graphs/ex.txt");
  ASSERT_EQ(t.links.size(), 4U);
  EXPECT_EQ(t.links[1], (net::Link{1, 0, 0, 10000.0}));
  EXPECT_EQ(t.links[3], (net::Link{2, 1, 0, 10000.0}));
  EXPECT_EQ(format_graph(t), kGraphOut);
  EXPECT_EQ(count_graph_nodes(kGraphOut), 3);
}

TEST(GnnetGraph, DecimalWeightsAreWrittenAsInTheData) {
  net::Topology t = parse_graph(kGraphOut, "g");
  t.nodes[2].weights = {33.3, 33.3, 33.4};
  const std::string text = format_graph(t);
  EXPECT_CONTAINS(text, "schedulingWeights \"33.3,33.3,33.4\"");
  EXPECT_EQ(parse_graph(text, "g"), t);
  t.nodes[1].buffer_bits = {1000000, 100000, 8000};
  EXPECT_CONTAINS(format_graph(t), "bufferSizes \"1000000,100000,8000\"");
  EXPECT_EQ(parse_graph(format_graph(t), "g"), t);
}

TEST(GnnetGraph, UnknownPolicyIsAnError) {
  std::string g(kGraphOut);
  g.replace(g.find("\"SP\""), 4, "\"XYZ\"");
  const std::string msg = error_of([&] { (void)parse_graph(g, "graphs/bad.txt"); });
  EXPECT_CONTAINS(msg, "graphs/bad.txt line 18: node 1: field 'schedulingPolicy': unknown policy 'XYZ'");
}

TEST(GnnetGraph, BufferListLengthMustMatchQueues) {
  std::string g(kGraphOut);
  g.replace(g.find("\"16000,16000,16000\""), 19, "\"16000,16000\"");
  const std::string msg = error_of([&] { (void)parse_graph(g, "g.txt"); });
  EXPECT_CONTAINS(msg, "node 1: field 'bufferSizes': expected 1 or 3 buffer sizes");
}

TEST(GnnetGraph, DuplicatePortIsAnError) {
  std::string g(kGraphOut);
  g.replace(g.find("port 1"), 6, "port 0");
  const std::string msg = error_of([&] { (void)parse_graph(g, "g.txt"); });
  EXPECT_CONTAINS(msg, "node 1: link 1->2 has port 0");
}

// ---- routing ----------------------------------------------------------------------------------

TEST(GnnetRouting, PortMatrixExpandsToPaths) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  const net::Routing r = parse_routing_file(kPortMatrix, t, "routings/Routing-ex.txt");
  ASSERT_EQ(r.paths.size(), 9U);
  EXPECT_EQ(r.paths[2 * 3 + 0], (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(r.paths[0 * 3 + 2], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(r.paths[1 * 3 + 0], (std::vector<int>{1, 0}));
  EXPECT_TRUE(r.paths[4].empty());
  ASSERT_TRUE(format_routing_matrix(t, r).has_value());
  EXPECT_EQ(*format_routing_matrix(t, r), kPortMatrix);
}

TEST(GnnetRouting, PathListsGiveTheSameRouting) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  const net::Routing m = parse_routing_file(kPortMatrix, t, "m");
  EXPECT_EQ(parse_routing_file(kRoutingPaths, t, "p"), m);
  EXPECT_EQ(parse_routing_file("0;1\n0;1;2\n1;0\n1;2\n2;1;0\n2;1\n", t, "p"), m);
  EXPECT_EQ(format_path_list(m, 3), kRoutingPaths);
}

TEST(GnnetRouting, SourceDependentRoutingUsesPerSourceMatrices) {
  // A 4-node ring 0-1-2-3-0.
  const std::string ring =
      "graph [\n  node [\n    id 0\n    label \"0\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 8000\n  ]\n"
      "  node [\n    id 1\n    label \"1\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 8000\n  ]\n"
      "  node [\n    id 2\n    label \"2\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 8000\n  ]\n"
      "  node [\n    id 3\n    label \"3\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 8000\n  ]\n"
      "  edge [\n    source 0\n    target 1\n    bandwidth 1000\n  ]\n"
      "  edge [\n    source 1\n    target 2\n    bandwidth 1000\n  ]\n"
      "  edge [\n    source 2\n    target 3\n    bandwidth 1000\n  ]\n"
      "  edge [\n    source 3\n    target 0\n    bandwidth 1000\n  ]\n]\n";
  const net::Topology t = parse_graph(ring, "ring");
  const net::Routing paths = parse_path_list("0,1,2\n3,0,1\n1,0,3\n0,3\n", t, "p");
  // Destination 3: node 0 goes to 3 directly (0,3), but on 1->3 node 0 also goes to 3: consistent.
  // Destination 1: 3->1 goes 3,0,1 and 0->1 has no route, though node 0 lies on 3->1: not
  // destination-consistent, so the per-source form is used.
  EXPECT_FALSE(format_routing_matrix(t, paths).has_value());
  const std::vector<std::string> files = format_routing_per_source(t, paths);
  ASSERT_EQ(files.size(), 4U);
  std::vector<PortMatrix> ms;
  for (std::size_t s = 0; s < files.size(); ++s) ms.push_back(parse_port_matrix(files[s], 4, "m"));
  EXPECT_EQ(expand_per_source(ms, t, "dir"), paths);
  EXPECT_EQ(per_source_file_name(7), "Routing_src_7.txt");
}

TEST(GnnetRouting, LoopIsAnError) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  const std::string msg = error_of(
      [&] { (void)parse_routing_file("-1,0,0,\n0,-1,0,\n0,0,-1,\n", t, "routings/loop.txt"); });
  EXPECT_CONTAINS(msg, "routings/loop.txt: path 0->2: routing loop: 0,1,0");
}

TEST(GnnetRouting, MissingPortIsAnError) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  const std::string msg = error_of(
      [&] { (void)parse_routing_file("-1,0,5,\n0,-1,1,\n0,0,-1,\n", t, "routings/r.txt"); });
  EXPECT_CONTAINS(msg, "routings/r.txt: path 0->2: node 0 has no output port 5 (its ports are 0..0)");
}

TEST(GnnetRouting, MatrixShapeErrors) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  EXPECT_CONTAINS(error_of([&] { (void)parse_port_matrix("-1,0,0,\n0,-1,\n0,0,-1,\n", 3, "r.txt"); }),
                  "r.txt line 2: expected 3 ports, got 2");
  EXPECT_CONTAINS(error_of([&] { (void)parse_port_matrix("-1,0,0,\n0,x,1,\n0,0,-1,\n", 3, "r.txt"); }),
                  "r.txt line 2: entry 1: expected a port number, got 'x'");
  EXPECT_CONTAINS(error_of([&] { (void)parse_routing_file("0,2\n", t, "p.txt"); }),
                  "p.txt line 1: link 0->2 is not in the graph");
}

// ---- traffic ----------------------------------------------------------------------------------

TEST(GnnetTraffic, ParsesTheExample) {
  const net::Traffic tr = parse_traffic_line(first_line(kTraffic), 3, {"traffic.txt", 1});
  EXPECT_EQ(tr.max_avg_lambda, 3100);
  ASSERT_EQ(tr.pairs.size(), 9U);
  EXPECT_TRUE(tr.pairs[0].empty());
  ASSERT_EQ(tr.pairs[2].size(), 1U);
  const net::Flow& f02 = tr.pairs[2][0];
  EXPECT_EQ(f02.time_dist, net::TimeDist::CBR);
  EXPECT_EQ(f02.eq_lambda_bps, 1500);
  EXPECT_EQ(f02.time_params, (std::vector<double>{1.92308}));
  EXPECT_EQ(f02.size_dist, net::SizeDist::Generic);
  EXPECT_EQ(f02.avg_pkt_size_bits, 780);
  ASSERT_EQ(f02.candidates.size(), 3U);
  EXPECT_EQ(f02.candidates[2], (net::SizeProb{1400, 0.2}));
  EXPECT_EQ(f02.tos, 1);
  const net::Flow& f10 = tr.pairs[3][0];
  EXPECT_EQ(f10.time_dist, net::TimeDist::OnOff);
  EXPECT_EQ(f10.time_params, (std::vector<double>{2.7, 10, 5, 10}));  // PktsLambdaOn 2.7
  EXPECT_EQ(f10.tos, 2);
  std::string out;
  append_traffic_line(out, tr);
  EXPECT_EQ(out, kTraffic);
}

TEST(GnnetTraffic, OtherDistributionsRoundTrip) {
  net::Traffic tr;
  tr.max_avg_lambda = 1000;
  tr.pairs.resize(4);
  net::Flow a;
  a.time_dist = net::TimeDist::PPBP;
  a.eq_lambda_bps = 123.5;
  a.time_params = {1, 2, 3, 4, 1.5, 10};
  a.size_dist = net::SizeDist::Uniform;
  a.avg_pkt_size_bits = 1000;
  a.size_params = {500, 1500};
  net::Flow b = a;
  b.time_dist = net::TimeDist::Trace;
  b.time_params.clear();
  b.size_dist = net::SizeDist::Deterministic;
  b.size_params.clear();
  b.tos = 1;
  tr.pairs[1] = {a, b};  // two flows in one pair
  tr.pairs[2] = {b};
  std::string line;
  append_traffic_line(line, tr);
  EXPECT_EQ(line, "1000|-1,0,-1,0,0;5,123.5,1,2,3,4,1.5,10,1,1000,500,1500,0:6,123.5,0,1000,1;"
                  "6,123.5,0,1000,1;-1,0,-1,0,0;\n");
  EXPECT_EQ(parse_traffic_line(first_line(line), 2, {"t", 1}), tr);
}

TEST(GnnetTraffic, NonNumberFieldIsNamed) {
  std::string t(first_line(kTraffic));
  t.replace(t.find("3000,"), 4, "abc");
  const std::string msg = error_of([&] { (void)parse_traffic_line(t, 3, {"traffic.txt", 1}); });
  EXPECT_CONTAINS(msg, "traffic.txt line 1: pair (1,2) flow 0: field 'EqLambda': expected a number, got 'abc'");
}

TEST(GnnetTraffic, WrongFieldCount) {
  std::string t(first_line(kTraffic));
  t.replace(t.find("0,600,0.6,10,"), 13, "0,600,0.6,");  // ExpMaxFactor missing
  const std::string msg = error_of([&] { (void)parse_traffic_line(t, 3, {"traffic.txt", 1}); });
  EXPECT_CONTAINS(msg, "traffic.txt line 1: pair (2,0) flow 0: field 'sd'");
  std::string u(first_line(kTraffic));
  u.replace(u.find(",0;1,1500"), 2, ",0,7");  // an extra field after ToS
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(u, 3, {"traffic.txt", 1}); }),
                  "pair (0,1) flow 0: wrong field count");
}

TEST(GnnetTraffic, PairCountMustBeNSquared) {
  std::string t(first_line(kTraffic));
  t.erase(t.rfind("-1,0,-1,0,0;"));  // 8 entries
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(t, 3, {"traffic.txt", 2}); }),
                  "traffic.txt line 2: pair count: expected N^2 = 9 entries (N = 3), got 8");
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(first_line(kTraffic), 2, {"traffic.txt", 1}); }),
                  "expected N^2 = 4 entries (N = 2), got 9");
}

TEST(GnnetTraffic, TruncatedLine) {
  const std::string_view full = first_line(kTraffic);
  const std::string_view cut = full.substr(0, full.size() - 20);
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(cut, 3, {"traffic.txt", 1}); }),
                  "traffic.txt line 1: pair (2,1): entry '1,1000,1,3,1000,2,500,0.5,150' is not "
                  "terminated by ';' (truncated line?)");
}

TEST(GnnetTraffic, ExternalPythonDistributionsAreRefused) {
  std::string t(first_line(kTraffic));
  t.replace(t.find("0,2000,2,10,"), 12, "7,2000,");
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(t, 3, {"traffic.txt", 1}); }),
                  "pair (0,1) flow 0: field 'td': time distribution 7 (external Python module) is "
                  "not supported");
  std::string u(first_line(kTraffic));
  u.replace(u.find(",3,1000,2,500,0.5,1500,0.5,0;1,1500"), 3, ",5,");
  EXPECT_CONTAINS(error_of([&] { (void)parse_traffic_line(u, 3, {"traffic.txt", 1}); }),
                  "field 'sd': size distribution 5 (external Python module) is not supported");
}

// ---- results ----------------------------------------------------------------------------------

TEST(GnnetResults, ParsesTheExample) {
  net::Results r;
  parse_simulation_results_line(first_line(kResults), 3, {"simulationResults.txt", 1}, r);
  EXPECT_DOUBLE_EQ(r.global_packets, 10.3359);
  EXPECT_EQ(r.global_losses, 0);
  ASSERT_EQ(r.pairs.size(), 9U);
  EXPECT_EQ(r.pairs[0], net::PathStats{});  // the empty record
  EXPECT_DOUBLE_EQ(r.pairs[2].avg_bw_bps, 1499.93);  // kbit/s -> bit/s
  EXPECT_EQ(r.pairs[2].pkts_gen, 1.92298);
  EXPECT_EQ(r.pairs[2].p10, 0.1);
  EXPECT_EQ(r.pairs[2].jitter, 0.008702);
  std::string out;
  append_simulation_results_line(out, r);
  EXPECT_EQ(out, kResults);
}

TEST(GnnetResults, FieldErrors) {
  std::string t(first_line(kResults));
  t.replace(t.find(",0.00391;"), 8, "");  // 10 fields in (0,1)
  EXPECT_CONTAINS(error_of([&] {
                    net::Results r;
                    parse_simulation_results_line(t, 3, {"simulationResults.txt", 1}, r);
                  }),
                  "simulationResults.txt line 1: pair (0,1): wrong field count: missing field "
                  "'Jitter' after 10 fields");
  std::string u(first_line(kResults));
  u.replace(u.find("0.211388"), 8, "0.2.1");
  EXPECT_CONTAINS(error_of([&] {
                    net::Results r;
                    parse_simulation_results_line(u, 3, {"simulationResults.txt", 1}, r);
                  }),
                  "pair (0,2): field 'AvgDelay': expected a number, got '0.2.1'");
}

TEST(GnnetResults, FlowResultsFollowTheTraffic) {
  const net::Traffic tr = parse_traffic_line(first_line(kTraffic), 3, {"t", 1});
  net::Results r;
  parse_simulation_results_line(first_line(kResults), 3, {"s", 1}, r);
  for (const auto& p : tr.pairs) {
    if (!p.empty()) r.flows.push_back(r.pairs[static_cast<std::size_t>(&p - tr.pairs.data())]);
  }
  std::string out;
  append_flow_results_line(out, r, tr);
  EXPECT_EQ(out, kResults);  // one flow per pair: the same text as the aggregate
  EXPECT_EQ(parse_flow_results_line(first_line(out), tr, {"f", 1}), r.flows);
}

// ---- linkUsage --------------------------------------------------------------------------------

TEST(GnnetLinkUsage, ParsesTheExampleParallelToLinks) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  const auto ports = parse_link_usage_line(first_line(kLinkUsage), t, {"linkUsage.txt", 1});
  ASSERT_EQ(ports.size(), t.links.size());
  EXPECT_EQ(ports[0].utilization, 0.35);  // link 0->1
  ASSERT_EQ(ports[0].queues.size(), 1U);
  EXPECT_EQ(ports[0].queues[0].max_occupancy, 7400);
  EXPECT_EQ(ports[2].utilization, 0.45);  // link 1->2 (3 queues)
  ASSERT_EQ(ports[2].queues.size(), 3U);
  EXPECT_EQ(ports[2].queues[2].avg_occupancy, 1237.836281);
  std::string out;
  append_link_usage_line(out, ports, t);
  EXPECT_EQ(out, kLinkUsage);
}

TEST(GnnetLinkUsage, EntryForAMissingLinkIsAnError) {
  const net::Topology t = parse_graph(kGraphOut, "g");
  std::string l(first_line(kLinkUsage));
  l.replace(0, 2, "0.1,0,1");
  EXPECT_CONTAINS(error_of([&] { (void)parse_link_usage_line(l, t, {"linkUsage.txt", 1}); }),
                  "linkUsage.txt line 1: link (0,0): the graph has no link 0->0");
  std::string q(first_line(kLinkUsage));
  q.replace(q.find(":0.300000"), 1, ";");  // node 1 loses a queue block
  EXPECT_CONTAINS(error_of([&] { (void)parse_link_usage_line(q, t, {"linkUsage.txt", 1}); }),
                  "link (1,2): expected 3 queue blocks");
}

// ---- stability / input_files ------------------------------------------------------------------

TEST(GnnetStability, ParsesAndKeepsStatus) {
  const net::RunInfo r = parse_stability_line(first_line(kStability), {"stability.txt", 1});
  EXPECT_EQ(r.sim_time, 5025);
  EXPECT_EQ(r.metric, 0.000874113);
  EXPECT_EQ(r.status, "OK");
  EXPECT_EQ(r.mem_kb, 20480);
  EXPECT_EQ(r.wall_s, 2);
  std::string out;
  append_stability_line(out, r);
  EXPECT_EQ(out, kStability);
  // A line without ;OK; is not an error: the status is kept for the caller to judge.
  const net::RunInfo f = parse_stability_line("5025;0.0021;FAIL;Mem(KB):1;Time(s):3", {"s", 1});
  EXPECT_EQ(f.status, "FAIL");
  EXPECT_CONTAINS(error_of([] { (void)parse_stability_line("5025;0.1;OK;Mem:1;Time(s):3", {"stability.txt", 4}); }),
                  "stability.txt line 4: field 'Mem(KB)': expected 'Mem(KB):<integer>', got 'Mem:1'");
  EXPECT_CONTAINS(error_of([] { (void)parse_stability_line("5025;0.1;OK", {"stability.txt", 1}); }),
                  "wrong field count: missing field 'Mem(KB)'");
}

TEST(GnnetInputFiles, ThreeOrFourFields) {
  const InputFiles in = parse_input_files_line(first_line(kInputFiles), {"input_files.txt", 1});
  EXPECT_EQ(in, (InputFiles{0, "ex.txt", "Routing-ex.txt", ""}));
  std::string out;
  append_input_files_line(out, in);
  EXPECT_EQ(out, kInputFiles);
  const InputFiles bw = parse_input_files_line("7;g.txt;r.txt;bw.txt", {"i", 1});
  EXPECT_EQ(bw.links_bw, "bw.txt");
  EXPECT_CONTAINS(error_of([] { (void)parse_input_files_line("x;g;r", {"input_files.txt", 1}); }),
                  "input_files.txt line 1: field 'sample_id': expected an integer, got 'x'");

  net::Topology t = parse_graph(kGraphOut, "g");
  apply_links_bw(t, parse_links_bw("1;2;2500\n", "links_bw/bw.txt"), "links_bw/bw.txt");
  EXPECT_EQ(t.links[2].bandwidth_bps, 2500);
  EXPECT_EQ(t.links[3].bandwidth_bps, 10000);
  EXPECT_CONTAINS(error_of([&] { apply_links_bw(t, parse_links_bw("0;2;1\n", "bw"), "bw"); }),
                  "bw: link 0->2 is not in the graph");
}

}  // namespace
}  // namespace autoopt::io::gnnet

namespace autoopt::io::numfmt {
namespace {

// The fast paths must agree with the C library on every value.
TEST(GnnetNumbers, FastPathsMatchPrintfAndFromChars) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> mant(1.0, 10.0);
  std::uniform_int_distribution<int> expo(-12, 17);
  std::uniform_int_distribution<std::int64_t> micro(0, 5'000'000'000'000LL);
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    double v = mant(rng) * std::pow(10.0, expo(rng));
    if (i % 2 == 0) v = static_cast<double>(micro(rng) % (std::int64_t{1} << (i % 40 + 3))) / 1e6;
    if (i % 7 == 0) v = -v;
    std::snprintf(buf, sizeof buf, "%g", v);
    ASSERT_EQ(format_g(v), buf) << "value " << v;
    std::string s = format_g(v);
    double back = 0;
    ASSERT_TRUE(parse_double(s, back));
    double ref = 0;
    std::from_chars(s.data(), s.data() + s.size(), ref);
    ASSERT_EQ(back, ref) << s;
    std::snprintf(buf, sizeof buf, "%.17g", v);
    ASSERT_TRUE(parse_double(buf, back));
    ASSERT_EQ(back, v) << buf;
  }
  for (const double v : {0.0, -0.0, 0.5, 999999.5, 9999995.0, 0.00001, 1e-5, 123456789.0, 1e300}) {
    std::snprintf(buf, sizeof buf, "%g", v);
    EXPECT_EQ(format_g(v), buf);
  }
  double v = 0;
  EXPECT_FALSE(parse_double("+1", v));
  EXPECT_FALSE(parse_double("1e", v));
  EXPECT_FALSE(parse_double("", v));
  EXPECT_FALSE(parse_double("-", v));
  EXPECT_TRUE(parse_double("1e5", v));
  EXPECT_EQ(v, 1e5);
  EXPECT_TRUE(parse_double("12345678901234567890123", v));  // long mantissa: from_chars path
  EXPECT_EQ(v, 12345678901234567890123.0);
}

}  // namespace
}  // namespace autoopt::io::numfmt
