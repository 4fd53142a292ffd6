// The reference simulator's input layout: the spec §10 example loads into the sample the spec
// derives (traffic codes and derived fields), and every refusal names the file, line and field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

#include "io/refsim.hpp"
#include "io/refsim_example.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"

namespace autoopt::io::refsim {
namespace {
namespace fs = std::filesystem;
using autoopt::testing::refsim_example_files;
using autoopt::testing::TempDir;
using autoopt::testing::write_files;
using autoopt::testing::write_text;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Loads sample 0 of the example with one file replaced.
std::string load_error(const std::string& file, const std::string& text, LoadOptions opt = {}) {
  TempDir dir("refsim");
  auto files = refsim_example_files();
  files[file] = text;
  write_files(dir.path(), files);
  return error_of([&] {
    const RefInput in(dir.path(), opt);
    (void)in.load(0);
  });
}

std::string tm_error(const std::string& tm) { return load_error("tm/ex_0.txt", tm); }

const net::Flow& flow(const net::Sample& s, int src, int dst) {
  const auto& v = s.traffic.pairs.at(static_cast<std::size_t>(src * s.num_nodes() + dst));
  EXPECT_EQ(v.size(), 1u) << src << "->" << dst;
  return v.at(0);
}

TEST(Refsim, WorkedExampleLoadsWithTheDerivedTrafficFields) {
  TempDir dir("refsim");
  write_files(dir.path(), refsim_example_files());
  ASSERT_TRUE(is_reference_input(dir.path()));
  const RefInput in(dir.path());
  EXPECT_EQ(in.conf().dataset_name, "ex");
  EXPECT_EQ(in.conf().threads, 1);
  EXPECT_EQ(in.conf().samples_per_file, 1u);
  EXPECT_FALSE(in.conf().rm_prev_results);
  EXPECT_TRUE(in.conf().warnings.empty());
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in.num_nodes(0), 3);

  const net::Sample s = in.load(0);
  EXPECT_TRUE(net::validate(s).empty()) << net::format_problems(net::validate(s));
  EXPECT_EQ(s.id, 0);
  EXPECT_EQ(s.graph_name, "ex.txt");
  EXPECT_EQ(s.routing_name, "ex.txt");
  EXPECT_EQ(s.dataset_tag, "ex");
  ASSERT_EQ(s.num_nodes(), 3);
  EXPECT_EQ(s.topology.links.size(), 4u);
  EXPECT_EQ(s.topology.nodes[1].buffer_bits, (std::vector<double>{16000, 16000, 16000}));
  EXPECT_EQ(s.topology.nodes[2].weights, (std::vector<double>{60, 30, 10}));
  EXPECT_EQ(s.routing.paths[2 * 3 + 0], (std::vector<int>{2, 1, 0}));
  EXPECT_FALSE(s.results.has_value());

  // maxAvgLambda: the largest avg_bw (documented choice; the spec's 3100 is illustrative).
  EXPECT_EQ(s.traffic.max_avg_lambda, 3000.0);
  const net::Flow& f01 = flow(s, 0, 1);
  EXPECT_EQ(f01.time_dist, net::TimeDist::Poisson);
  EXPECT_EQ(f01.avg_pkt_size_bits, 1000.0);
  EXPECT_EQ(f01.time_params, (std::vector<double>{2.0, 10.0}));
  EXPECT_EQ(f01.size_dist, net::SizeDist::Generic);
  EXPECT_EQ(f01.tos, 0);

  const net::Flow& f02 = flow(s, 0, 2);  // CBR, AvgPktSize 780, 1.92308 pkts/s
  EXPECT_EQ(f02.time_dist, net::TimeDist::CBR);
  EXPECT_EQ(f02.avg_pkt_size_bits, 780.0);
  ASSERT_EQ(f02.time_params.size(), 1u);
  EXPECT_NEAR(f02.time_params[0], 1.92308, 5e-6);
  EXPECT_EQ(f02.candidates.size(), 3u);
  EXPECT_EQ(f02.tos, 1);

  const net::Flow& f10 = flow(s, 1, 0);  // ON-OFF `2,10,5` = off 10, on 5
  EXPECT_EQ(f10.time_dist, net::TimeDist::OnOff);
  ASSERT_EQ(f10.time_params.size(), 4u);
  EXPECT_NEAR(f10.time_params[0], 2.7, 1e-12);  // PktsLambdaOn = 0.9 * 15 / 5
  EXPECT_EQ(f10.time_params[1], 10.0);          // AvgTOff
  EXPECT_EQ(f10.time_params[2], 5.0);           // AvgTOn
  EXPECT_EQ(f10.time_params[3], kExpMaxFactor);
  EXPECT_EQ(f10.tos, 2);

  EXPECT_NEAR(flow(s, 1, 2).time_params[0], 3000.0 / 780.0, 1e-12);
  EXPECT_TRUE(s.traffic.pairs[0].empty());
}

TEST(Refsim, OnOffOrderCanBeFlipped) {
  TempDir dir("refsim");
  write_files(dir.path(), refsim_example_files());
  LoadOptions opt;
  opt.tm.on_off = OnOffOrder::OnThenOff;
  const net::Sample s = RefInput(dir.path(), opt).load(0);
  const net::Flow& f10 = flow(s, 1, 0);  // `2,10,5` = on 10, off 5
  EXPECT_NEAR(f10.time_params[0], 0.9 * 15 / 10, 1e-12);
  EXPECT_EQ(f10.time_params[1], 5.0);
  EXPECT_EQ(f10.time_params[2], 10.0);
}

TEST(Refsim, ConfSubsetOfYaml) {
  const Conf c = parse_conf(
      "---\n# a comment\nthreads: \"4\"   # trailing\ndataset_name: 'my_set-1'\n\nsamples_per_file: 10\n"
      "rm_prev_results: y\nwrite_pkt_info: n\nextra_key: 5\n",
      "conf.yml");
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.dataset_name, "my_set-1");
  EXPECT_EQ(c.samples_per_file, 10u);
  EXPECT_TRUE(c.rm_prev_results);
  EXPECT_FALSE(c.write_pkt_info);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("conf.yml line 9: unknown key 'extra_key'"), std::string::npos) << c.warnings[0];

  const Conf p = parse_conf("dataset_name: x\nwrite_pkt_info: yes\n", "conf.yml");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("write_pkt_info"), std::string::npos);
  EXPECT_EQ(p.samples_per_file, 1u);
  EXPECT_EQ(p.threads, 0);
}

TEST(Refsim, ConfRefusals) {
  const auto err = [](const std::string& text) { return error_of([&] { (void)parse_conf(text, "conf.yml"); }); };
  EXPECT_EQ(err("dataset_name: x\nthreads: many\n"),
            "conf.yml line 2: key 'threads': expected an integer in 1..4096, got \"many\"");
  EXPECT_EQ(err("dataset_name: x\nsamples_per_file: 0\n"),
            "conf.yml line 2: key 'samples_per_file': expected an integer in 1..1000000, got \"0\"");
  EXPECT_EQ(err("dataset_name: x\nrm_prev_results: maybe\n"),
            "conf.yml line 2: key 'rm_prev_results': expected y or n, got \"maybe\"");
  EXPECT_NE(err("dataset_name: ../up\n").find("conf.yml line 1: key 'dataset_name': expected a plain name"),
            std::string::npos);
  EXPECT_EQ(err("threads: 1\n"), "conf.yml: missing key 'dataset_name' (the name of the output dataset)");
  EXPECT_EQ(err("dataset_name: a\ndataset_name: b\n"), "conf.yml line 2: duplicate key 'dataset_name'");
  EXPECT_NE(err("dataset_name: a\n  nested: 1\n").find("conf.yml line 2: indented line"), std::string::npos);
  EXPECT_EQ(err("dataset_name a\n"), "conf.yml line 1: expected `key: value`, got \"dataset_name a\"");
  EXPECT_EQ(err("dataset_name: \"a\n"), "conf.yml line 1: key 'dataset_name': unterminated quoted value");
}

TEST(Refsim, SimulationListRefusesPathsOutsideTheFolder) {
  const auto err = [](const std::string& text) {
    return error_of([&] { (void)parse_simulation_list(text, "simulation.txt"); });
  };
  EXPECT_EQ(err("/etc/passwd,r.txt,t.txt\n"),
            "simulation.txt line 1: field 'graph': absolute path \"/etc/passwd\", expected a path relative to "
            "the input folder");
  EXPECT_EQ(err("g.txt,../r.txt,t.txt\n"),
            "simulation.txt line 1: field 'routing': path \"../r.txt\" leaves the input folder ('..'), expected "
            "a path inside it");
  EXPECT_NE(err("g.txt,r.txt,tm/../../t.txt\n").find("field 'tm': path \"tm/../../t.txt\" leaves"), std::string::npos);
  EXPECT_EQ(err("g.txt,r.txt\n"),
            "simulation.txt line 1: expected 3 comma-separated paths `<graph>,<routing>,<tm>`, got 2 field(s) in "
            "\"g.txt,r.txt\"");
  EXPECT_NE(err("a,b,c\ng.txt,,t.txt\n").find("simulation.txt line 2: field 'routing': empty path"), std::string::npos);
  EXPECT_NE(err("g\\x.txt,r,t\n").find("backslash"), std::string::npos);
  EXPECT_EQ(err("\n\n"), "simulation.txt: no simulation lines, expected `<graph>,<routing>,<tm>` lines");

  // Ids are line numbers; blank and comment lines count but are skipped.
  const auto lines = parse_simulation_list("a,b,c\n\n# x\n d , e , f \n", "simulation.txt");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].id, 3);
  EXPECT_EQ(lines[1].graph, "d");
  EXPECT_EQ(lines[1].tm, "f");
}

TEST(Refsim, SymlinkLeavingTheFolderIsRefused) {
  TempDir outside("refsim-outside");
  write_text(outside.path() / "g.txt", refsim_example_files()["graphs/ex.txt"]);
  TempDir dir("refsim");
  write_files(dir.path(), refsim_example_files());
  fs::remove(dir.path() / "graphs/ex.txt");
  fs::create_symlink(outside.path() / "g.txt", dir.path() / "graphs/ex.txt");
  const std::string e = error_of([&] { (void)RefInput(dir.path()).load(0); });
  EXPECT_NE(e.find("simulation.txt line 1: field 'graph': \"graphs/ex.txt\" resolves outside the input folder"),
            std::string::npos)
      << e;
}

TEST(Refsim, MissingFilesAreNamed) {
  TempDir dir("refsim");
  auto files = refsim_example_files();
  files["simulation.txt"] = "graphs/ex.txt,routings/ex.txt,tm/none.txt\n";
  write_files(dir.path(), files);
  const std::string e = error_of([&] { (void)RefInput(dir.path()).load(0); });
  EXPECT_NE(e.find("simulation.txt line 1 (graphs/ex.txt,routings/ex.txt,tm/none.txt): simulation.txt line 1: "
                   "field 'tm': \"tm/none.txt\": no such file"),
            std::string::npos)
      << e;
  fs::remove(dir.path() / "conf.yml");
  EXPECT_NE(error_of([&] { (void)RefInput(dir.path()); }).find("conf.yml: missing"), std::string::npos);
}

TEST(Refsim, TmRefusalsNameFileLineAndField) {
  const std::string ok = "0,1,2000,0,0,500,0.5,1500,0.5,0\n";
  const auto has = [](const std::string& e, const std::string& want) {
    EXPECT_NE(e.find(want), std::string::npos) << "error: " << e << "\nwanted: " << want;
  };
  has(tm_error(ok + "0,2,5,0,0,500,1,0\n"), "tm/ex_0.txt line 2: field 3 (avg_bw): expected a rate in 10..10000 bit/s, got \"5\"");
  has(tm_error("0,2,20000,0,0,500,1,0\n"), "tm/ex_0.txt line 1: field 3 (avg_bw): expected a rate in 10..10000 bit/s");
  has(tm_error("0,2,x,0,0,500,1,0\n"), "field 3 (avg_bw): expected a finite number, got \"x\"");
  has(tm_error("0,2,100,3,0,500,1,0\n"), "field 4 (time_dist): 3 (external Python) is not supported");
  has(tm_error("0,2,100,7,0,500,1,0\n"), "field 4 (time_dist): expected 0 (Poisson), 1 (CBR) or 2 (ON-OFF), got \"7\"");
  has(tm_error("0,2,100,2,0,0,500,1,0\n"), "field 5 (t_off): expected a positive mean duration in seconds, got \"0\"");
  has(tm_error("0,2,100,2,5,-1,0,500,1,0\n"), "field 6 (t_on): expected a positive mean duration in seconds");
  has(tm_error("0,2,100,0,1,500,1,0\n"), "field 5 (pkt_dist): 1 (external Python) is not supported");
  has(tm_error("0,2,100,0,4,500,1,0\n"), "field 5 (pkt_dist): expected 0 (generic size distribution), got \"4\"");
  has(tm_error("0,2,100,0,0,500,0.5,600,0.1,700,0.1,800,0.1,900,0.1,1000,0.1,0\n"),
      "field 6: 6 packet sizes, expected at most 5");
  has(tm_error("0,2,100,0,0,100,1,0\n"), "field 6 (size): expected an integer packet size in 256..2000 bits, got \"100\"");
  has(tm_error("0,2,100,0,0,2500,1,0\n"), "field 6 (size): expected an integer packet size in 256..2000 bits");
  has(tm_error("0,2,100,0,0,500.5,1,0\n"), "field 6 (size): expected an integer packet size");
  has(tm_error("0,2,100,0,0,500,0.5,1000,0.4,0\n"), "tm/ex_0.txt line 1: the packet-size probabilities sum to 0.9, expected 1");
  has(tm_error("0,2,100,0,0,500,1.5,0\n"), "field 7 (prob): expected a probability in [0, 1], got \"1.5\"");
  has(tm_error("0,2,100,0,0,500,1,3\n"), "field 8 (tos): expected an integer in 0..2, got \"3\"");
  has(tm_error("0,2,100,0,0,500,1\n"), "after pkt_dist expected size,prob pairs then tos");
  has(tm_error(ok + ok), "tm/ex_0.txt line 2: a second flow for pair 0->1 (at most one flow per pair)");
  has(tm_error("1,1,100,0,0,500,1,0\n"), "field 2 (dst): a flow from node 1 to itself");
  has(tm_error("0,3,100,0,0,500,1,0\n"), "field 2 (dst): expected an integer in 0..2, got \"3\"");
  has(tm_error("0\n"), "field 2 (dst) is missing");
  // Every error is wrapped with the simulation line.
  has(tm_error("0,3,100,0,0,500,1,0\n"), "simulation.txt line 1 (graphs/ex.txt,routings/ex.txt,tm/ex_0.txt): tm/ex_0.txt line 1:");
}

TEST(Refsim, TmFlowsNeedARouteAndAToSTheGraphHas) {
  TempDir dir("refsim");
  auto files = refsim_example_files();
  files["routings/ex.txt"] = "0,1\n1,0\n";
  files["tm/ex_0.txt"] = "0,1,100,0,0,500,1,0\n0,2,100,0,0,500,1,0\n";
  write_files(dir.path(), files);
  std::string e = error_of([&] { (void)RefInput(dir.path()).load(0); });
  EXPECT_NE(e.find("tm/ex_0.txt line 2: pair 0->2 has no path in the routing"), std::string::npos) << e;

  // levelsToS 1: ToS 2 is refused.
  std::string g = refsim_example_files()["graphs/ex.txt"];
  g.replace(g.find("levelsToS 3"), 11, "levelsToS 1");
  e = load_error("graphs/ex.txt", g);
  EXPECT_NE(e.find("ToS"), std::string::npos) << e;
}

TEST(Refsim, RoutingAndGraphErrorsComeFromTheirFiles) {
  std::string e = load_error("routings/ex.txt", "0,1,0\n");
  EXPECT_NE(e.find("routings/ex.txt line 1: routing loop"), std::string::npos) << e;
  e = load_error("routings/ex.txt", "0,2\n");
  EXPECT_NE(e.find("routings/ex.txt line 1: link"), std::string::npos) << e;
  EXPECT_NE(e.find("not in the graph"), std::string::npos) << e;
  std::string g = refsim_example_files()["graphs/ex.txt"];
  g.replace(g.rfind("    bandwidth 10000\n"), 20, "");
  e = load_error("graphs/ex.txt", g);
  EXPECT_NE(e.find("missing field 'bandwidth'"), std::string::npos) << e;
}

TEST(Refsim, OutputNamesStayUniqueAcrossFolders) {
  TempDir dir("refsim");
  auto files = refsim_example_files();
  files["a/ex.txt"] = files["graphs/ex.txt"];
  files["simulation.txt"] = "graphs/ex.txt,routings/ex.txt,tm/ex_0.txt\na/ex.txt,routings/ex.txt,tm/ex_0.txt\n";
  write_files(dir.path(), files);
  const RefInput in(dir.path());
  const net::Sample s0 = in.load(0), s1 = in.load(1);
  EXPECT_EQ(s1.id, 1);
  EXPECT_EQ(s0.graph_name, "graphs-ex.txt");
  EXPECT_EQ(s1.graph_name, "a-ex.txt");
  EXPECT_NE(s0.routing_name, s1.routing_name);
}

TEST(Refsim, RelaxedLimitsAreHonoured) {
  const net::Topology topo = [] {
    TempDir dir("refsim");
    write_files(dir.path(), refsim_example_files());
    return RefInput(dir.path()).load(0).topology;
  }();
  net::Routing r;
  r.paths.resize(9);
  r.paths[1] = {0, 1};
  TmOptions opt;
  opt.limits.min_pkt_size = 50;
  const net::Traffic t = parse_tm("0,1,10,1,0,60,0.5,80,0.5,0\n", topo, r, "tm.txt", opt);
  EXPECT_EQ(t.pairs[1].at(0).avg_pkt_size_bits, 70.0);
  EXPECT_NE(error_of([&] { (void)parse_tm("0,1,10,1,0,60,0.5,80,0.5,0\n", topo, r, "tm.txt"); })
                .find("tm.txt line 1: field 6 (size)"),
            std::string::npos);
}

}  // namespace
}  // namespace autoopt::io::refsim
