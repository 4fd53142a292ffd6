// Table IV from `autoopt optimize` results: CSV parsing (the bench's results.csv and optimize's own
// table4_runs.csv), means and standard deviations over seeds, the points lost, and the HTML page.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "opt/fraction_report.hpp"

namespace autoopt::opt {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::string& csv) {
  try {
    (void)parse_fraction_runs(csv, "t.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// bench/bench_table4.sh's results.csv: extra columns, a failed run (nan), columns in its order.
const char* kBench =
    "dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,all_pool_delay_mape_pct,"
    "autoopt_lost_points,random_lost_points,wall_s\n"
    "mb,0.1,1,50,60,40,10,20,900\n"
    "mb,0.1,2,55,50,42,13,8,910\n"
    "mb,0.1,3,60,70,44,16,26,\n"
    "mb,0.25,1,45,48,40,5,8,1200\n"
    "cbr_mb,0.1,1,nan,52,39,nan,13,\n";

TEST(FractionReport, ParsesTheBenchCsvAndRoundTrips) {
  const std::vector<FractionRun> runs = parse_fraction_runs(kBench, "results.csv");
  ASSERT_EQ(runs.size(), 5U);
  EXPECT_EQ(runs[1].dataset, "mb");
  EXPECT_DOUBLE_EQ(runs[1].fraction, 0.1);
  EXPECT_EQ(runs[1].seed, 2U);
  EXPECT_DOUBLE_EQ(runs[1].autoopt_pct, 55.0);
  EXPECT_DOUBLE_EQ(runs[1].random_pct, 50.0);
  EXPECT_DOUBLE_EQ(runs[1].all_pool_pct, 42.0);
  EXPECT_TRUE(std::isnan(runs[4].autoopt_pct));
  // Our own format reads back to the same runs; a different column order reads the same too.
  const std::vector<FractionRun> back = parse_fraction_runs(fraction_runs_csv(runs), "own.csv");
  ASSERT_EQ(back.size(), runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(back[i].dataset, runs[i].dataset);
    EXPECT_DOUBLE_EQ(back[i].fraction, runs[i].fraction);
    EXPECT_EQ(back[i].seed, runs[i].seed);
    EXPECT_EQ(std::isnan(back[i].autoopt_pct), std::isnan(runs[i].autoopt_pct));
    if (!std::isnan(runs[i].autoopt_pct)) EXPECT_DOUBLE_EQ(back[i].autoopt_pct, runs[i].autoopt_pct);
    EXPECT_DOUBLE_EQ(back[i].random_pct, runs[i].random_pct);
  }
  const auto swapped = parse_fraction_runs(
      "seed,all_pool_delay_mape_pct,dataset,random_delay_mape_pct,fraction,autoopt_delay_mape_pct\r\n"
      "7,30,x,35,0.5,33\r\n",
      "s.csv");
  ASSERT_EQ(swapped.size(), 1U);
  EXPECT_EQ(swapped[0].seed, 7U);
  EXPECT_DOUBLE_EQ(swapped[0].autoopt_pct, 33.0);
  EXPECT_DOUBLE_EQ(swapped[0].all_pool_pct, 30.0);
  EXPECT_DOUBLE_EQ(swapped[0].fraction, 0.5);
}

TEST(FractionReport, MeansAndDeviationsOverSeeds) {
  const std::vector<FractionSummary> rows = summarize_fraction_runs(parse_fraction_runs(kBench, "results.csv"));
  ASSERT_EQ(rows.size(), 3U);
  const FractionSummary& a = rows[0];  // mb 0.1: three seeds
  EXPECT_EQ(a.dataset, "mb");
  EXPECT_DOUBLE_EQ(a.fraction, 0.1);
  EXPECT_EQ(a.seeds, 3U);
  EXPECT_DOUBLE_EQ(a.autoopt.mean, 55.0);
  EXPECT_NEAR(a.autoopt.std, std::sqrt(50.0 / 3.0), 1e-12);  // deviations -5, 0, +5
  EXPECT_DOUBLE_EQ(a.random.mean, 60.0);
  EXPECT_NEAR(a.random.std, std::sqrt(200.0 / 3.0), 1e-12);
  EXPECT_DOUBLE_EQ(a.all_pool.mean, 42.0);
  EXPECT_DOUBLE_EQ(a.autoopt_lost.mean, 13.0);  // 10, 13, 16
  EXPECT_NEAR(a.autoopt_lost.std, std::sqrt(6.0), 1e-12);
  EXPECT_DOUBLE_EQ(a.random_lost.mean, 18.0);  // 20, 8, 26
  EXPECT_EQ(a.autoopt_better, 2U);             // seeds 1 and 3
  EXPECT_DOUBLE_EQ(rows[1].fraction, 0.25);
  EXPECT_EQ(rows[1].seeds, 1U);
  EXPECT_DOUBLE_EQ(rows[1].autoopt.std, 0.0);
  // cbr_mb: its only run has no AutoOPT figure, so no seed counts.
  EXPECT_EQ(rows[2].dataset, "cbr_mb");
  EXPECT_EQ(rows[2].seeds, 0U);
  EXPECT_TRUE(std::isnan(rows[2].autoopt.mean));

  const std::string text = fraction_summary_text(rows);
  EXPECT_NE(text.find("55.00 +- 4.08"), std::string::npos) << text;
  EXPECT_NE(text.find("+13.00 +- 2.45"), std::string::npos) << text;
  EXPECT_NE(text.find("2/3"), std::string::npos) << text;
  const std::string csv = fraction_summary_csv(rows);
  EXPECT_NE(csv.find("\nmb,0.1,3,55,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\ncbr_mb,0.1,0,nan,nan,"), std::string::npos) << csv;
}

TEST(FractionReport, HtmlHasTheTableAndThePlots) {
  std::vector<FractionRun> runs = parse_fraction_runs(kBench, "results.csv");
  runs.push_back({"<odd>", 0.5, 1, 30, 31, 29});
  FractionReportOptions o;
  o.note = "bench/bench_table4.sh --datasets mb";
  const std::string h = fraction_report_html(runs, o);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(h.find("</html>"), std::string::npos);
  EXPECT_NE(h.find("bench/bench_table4.sh --datasets mb"), std::string::npos);
  EXPECT_NE(h.find("55.00 ± 4.08"), std::string::npos);
  EXPECT_NE(h.find("2 of 3"), std::string::npos);
  // Two plots (MAPE and points lost) per dataset with a complete seed: mb and <odd>.
  std::size_t svgs = 0;
  for (std::size_t p = h.find("<svg"); p != std::string::npos; p = h.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 4U);
  EXPECT_NE(h.find("goal (4 points)"), std::string::npos);
  EXPECT_NE(h.find("cbr_mb</h2>\n<p>No seed with all three models"), std::string::npos);
  EXPECT_EQ(h.find("<odd>"), std::string::npos);  // escaped
  EXPECT_NE(h.find("&lt;odd&gt;"), std::string::npos);
  o.goal_lost_points = 0.0;
  EXPECT_EQ(fraction_report_html(runs, o).find("goal ("), std::string::npos);
}

TEST(FractionReport, WritesItsFiles) {
  const fs::path dir = fs::temp_directory_path() / ("autoopt_fraction_report_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::vector<FractionRun> runs = parse_fraction_runs(kBench, "results.csv");
  const fs::path html = write_fraction_report(dir / "sub", runs, {});
  EXPECT_EQ(html, dir / "sub" / "table4.html");
  for (const char* f : {"table4.html", "table4_summary.csv", "table4_runs.csv"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / "sub" / f)) << f;
  }
  std::ifstream in(dir / "sub" / "table4_runs.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(parse_fraction_runs(ss.str(), "back.csv").size(), runs.size());
  fs::remove_all(dir);
}

TEST(FractionReport, BadInputIsAnError) {
  const std::string head =
      "dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,all_pool_delay_mape_pct\n";
  EXPECT_NE(error_of("").find("t.csv: empty"), std::string::npos);
  EXPECT_NE(error_of("dataset,fraction,seed,autoopt_delay_mape_pct\n").find("t.csv:1: the header has no column "
                                                                          "'random_delay_mape_pct'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "mb,0.1,1,abc,2,3\n").find("t.csv:2: column 'autoopt_delay_mape_pct': expected a "
                                                      "number, got 'abc'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "mb,0,1,1,2,3\n").find("column 'fraction': expected a number in (0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of(head + "mb,1.5,1,1,2,3\n").find("column 'fraction'"), std::string::npos);
  EXPECT_NE(error_of(head + "mb,nan,1,1,2,3\n").find("column 'fraction'"), std::string::npos);
  EXPECT_NE(error_of(head + "mb,0.1,-1,1,2,3\n").find("column 'seed': expected a non-negative integer"),
            std::string::npos);
  EXPECT_NE(error_of(head + "mb,0.1,1,1\n").find("t.csv:2: 4 fields, no column 'random_delay_mape_pct'"),
            std::string::npos);
  EXPECT_NE(error_of(head + ",0.1,1,1,2,3\n").find("column 'dataset' is empty"), std::string::npos);
  EXPECT_NE(error_of(head + "mb,0.1,1,1,2,3\n\nmb,0.1,1,4,5,6\n").find("t.csv:4: dataset mb, fraction 0.1, seed 1 "
                                                                       "is given twice"),
            std::string::npos);
  const std::vector<FractionRun> comma = {{"a,b", 0.1, 1, 1, 2, 3}};
  EXPECT_THROW((void)fraction_runs_csv(comma), Error);
}

}  // namespace
}  // namespace autoopt::opt
