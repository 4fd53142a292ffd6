// model/report: records of a sample in featurize()'s path order with its true values, the lossless
// text form used between MPI ranks, the predictions CSV, and the per-size evaluation table on
// hand-made predictions (numbers computed by hand), its CSV/JSON/SVG forms, and refusal of bad input.
#include "model/report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "synthetic_samples.hpp"

namespace {

using namespace autoopt;
using model::PathRecord;
using model::SampleRecords;

SampleRecords hand_sample(std::size_t index, int nodes, std::vector<PathRecord> paths) {
  SampleRecords s;
  s.index = index;
  s.id = static_cast<std::int64_t>(100 + index);
  s.graph_name = "g" + std::to_string(nodes) + ".txt";
  s.nodes = nodes;
  s.has_truth = true;
  s.paths = std::move(paths);
  return s;
}

PathRecord path(double pd, double td, double pj, double tj, double pl, double tl) {
  PathRecord p;
  p.pred_delay = pd;
  p.true_delay = td;
  p.pred_jitter = pj;
  p.true_jitter = tj;
  p.pred_loss = pl;
  p.true_loss = tl;
  return p;
}

TEST(Report, TableByHand) {
  model::EvaluationTable t;
  // 10 nodes: delay errors 10 % and 30 % (a path with delay -1 is left out), jitter 50 %, loss |0.1|, 0, 0.
  t.add(hand_sample(0, 10, {path(1.1, 1.0, 3.0, 2.0, 0.1, 0.0), path(1.3, 1.0, 1.0, -1, 0.0, 0.0),
                            path(5.0, -1, 1.0, -1, 0.2, 0.2)}));
  // 20 nodes (binary fractions, so the CSV text is exact): delay 0 % and 25 %, jitter 50 % and 25 %,
  // loss 0.25 and 0.5.
  t.add(hand_sample(1, 20, {path(2.0, 2.0, 1.5, 1.0, 0.25, 0.0), path(5.0, 4.0, 0.75, 1.0, 0.0, 0.5)}));
  // Another 10-node sample: delay 50 %.
  t.add(hand_sample(2, 10, {path(3.0, 2.0, 1.0, 0.0, 0.0, 0.0)}));
  const auto rows = t.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].nodes, 10);
  EXPECT_EQ(rows[0].samples, 2);
  EXPECT_EQ(rows[0].paths, 4);
  EXPECT_EQ(rows[0].delay_paths, 3);
  EXPECT_EQ(rows[0].jitter_paths, 1);
  EXPECT_NEAR(rows[0].delay_mape, (0.1 + 0.3 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(rows[0].jitter_mape, 0.5, 1e-12);
  EXPECT_NEAR(rows[0].loss_mae, 0.1 / 4, 1e-12);
  EXPECT_EQ(rows[1].nodes, 20);
  EXPECT_EQ(rows[1].delay_mape, 0.125);
  EXPECT_EQ(rows[1].jitter_mape, 0.375);
  EXPECT_EQ(rows[1].loss_mae, 0.375);
  EXPECT_EQ(rows[2].nodes, 0);  // overall
  EXPECT_EQ(rows[2].samples, 3);
  EXPECT_EQ(rows[2].paths, 6);
  EXPECT_NEAR(rows[2].delay_mape, (0.1 + 0.3 + 0.5 + 0.0 + 0.25) / 5, 1e-12);
  EXPECT_NEAR(rows[2].jitter_mape, (0.5 + 0.5 + 0.25) / 3, 1e-12);
  EXPECT_NEAR(rows[2].loss_mae, (0.1 + 0.25 + 0.5) / 6, 1e-12);

  const std::string csv = t.to_csv();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "nodes,samples,paths,delay_paths,jitter_paths,delay_mape_pct,jitter_mape_pct,loss_mae");
  EXPECT_NE(csv.find("\n20,1,2,2,2,12.5,37.5,0.375\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nall,3,6,5,3,"), std::string::npos) << csv;
  const std::string json = t.to_json();
  EXPECT_NE(json.find("{\"nodes\":20,\"samples\":1,\"paths\":2,\"delay_paths\":2,\"jitter_paths\":2,"
                      "\"delay_mape_pct\":12.5,\"jitter_mape_pct\":37.5,\"loss_mae\":0.375}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"overall\":{\"nodes\":\"all\",\"samples\":3"), std::string::npos) << json;
  const std::string text = t.to_text();
  EXPECT_NE(text.find("     12.50"), std::string::npos) << text;
  const std::string svg = t.to_svg();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find(">20</text>"), std::string::npos);  // x tick per size
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(Report, MeanRowsAveragesTheMetricsOfTheSameEvaluationSet) {
  // Two models on the same two samples: per size and overall, the metrics are averaged, counts kept.
  model::EvaluationTable a, b;
  a.add(hand_sample(0, 10, {path(1.5, 1.0, 3.0, 2.0, 0.5, 0.0)}));   // delay 50 %, jitter 50 %, loss 0.5
  a.add(hand_sample(1, 20, {path(2.5, 2.0, 1.0, 1.0, 0.0, 0.0)}));   // delay 25 %, jitter 0 %, loss 0
  b.add(hand_sample(0, 10, {path(1.25, 1.0, 2.0, 2.0, 0.25, 0.0)}));  // delay 25 %, jitter 0 %, loss 0.25
  b.add(hand_sample(1, 20, {path(1.0, 2.0, 1.5, 1.0, 0.0, 0.0)}));   // delay 50 %, jitter 50 %, loss 0
  const std::vector<std::vector<model::SizeRow>> tables = {a.rows(), b.rows()};
  const auto m = model::mean_rows(tables);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].nodes, 10);
  EXPECT_EQ(m[0].samples, 1);
  EXPECT_EQ(m[0].delay_paths, 1);
  EXPECT_DOUBLE_EQ(m[0].delay_mape, 0.375);
  EXPECT_DOUBLE_EQ(m[0].jitter_mape, 0.25);
  EXPECT_DOUBLE_EQ(m[0].loss_mae, 0.375);
  EXPECT_EQ(m[1].nodes, 20);
  EXPECT_DOUBLE_EQ(m[1].delay_mape, 0.375);
  EXPECT_EQ(m[2].nodes, 0);
  EXPECT_EQ(m[2].samples, 2);
  EXPECT_DOUBLE_EQ(m[2].delay_mape, 0.375);  // (37.5 + 37.5) / 2: each table's overall, averaged
  EXPECT_DOUBLE_EQ(m[2].jitter_mape, 0.25);
  // One table is itself; its CSV is the table's own.
  const std::vector<std::vector<model::SizeRow>> one = {a.rows()};
  EXPECT_EQ(model::rows_csv(model::mean_rows(one)), a.to_csv());
  EXPECT_NE(model::rows_csv(m).find("\nall,2,2,2,2,37.5,25,0.1875\n"), std::string::npos) << model::rows_csv(m);

  // Not the same evaluation set: another size, or another path count, or nothing at all.
  model::EvaluationTable c;
  c.add(hand_sample(0, 10, {path(1.5, 1.0, 3.0, 2.0, 0.5, 0.0)}));
  const std::vector<std::vector<model::SizeRow>> fewer = {a.rows(), c.rows()};
  EXPECT_THROW((void)model::mean_rows(fewer), Error);
  model::EvaluationTable d;
  d.add(hand_sample(0, 10, {path(1.5, 1.0, 3.0, 2.0, 0.5, 0.0), path(1.5, 1.0, 3.0, 2.0, 0.5, 0.0)}));
  d.add(hand_sample(1, 20, {path(2.5, 2.0, 1.0, 1.0, 0.0, 0.0)}));
  const std::vector<std::vector<model::SizeRow>> other = {a.rows(), d.rows()};
  try {
    (void)model::mean_rows(other);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not the same evaluation set"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)model::mean_rows({}), Error);
}

TEST(Report, RefusesSamplesWithoutTruth) {
  model::EvaluationTable t;
  SampleRecords s = hand_sample(7, 10, {path(1, 1, 1, 1, 0, 0)});
  s.has_truth = false;
  try {
    t.add(s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no results"), std::string::npos) << e.what();
  }
}

TEST(Report, RecordsFollowFeaturizeOrderWithTruth) {
  const net::Sample s = autoopt::testing::synthetic_sample(5, 3);
  std::vector<double> d, j, l;
  for (int i = 0; i < 20; ++i) {  // 5 nodes, 20 ordered pairs, one flow each
    d.push_back(i);
    j.push_back(i * 2.0);
    l.push_back(0.0);
  }
  const SampleRecords r = model::make_records(s, 4, d, j, l);
  EXPECT_EQ(r.index, 4u);
  EXPECT_EQ(r.nodes, 5);
  EXPECT_TRUE(r.has_truth);
  ASSERT_EQ(r.paths.size(), 20u);
  EXPECT_EQ(r.paths[0].src, 0);
  EXPECT_EQ(r.paths[0].dst, 1);
  EXPECT_EQ(r.paths[4].src, 1);
  EXPECT_EQ(r.paths[4].dst, 0);
  EXPECT_EQ(r.paths[4].pred_delay, 4.0);
  EXPECT_EQ(r.paths[4].true_delay, s.results->pairs[5].avg_delay);
  EXPECT_EQ(r.paths[4].true_jitter, s.results->pairs[5].jitter);

  d.pop_back();
  try {
    (void)model::make_records(s, 4, d, j, l);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected one per flow (20)"), std::string::npos) << e.what();
  }
}

TEST(Report, TextFormRoundTripsAndCsvMarksUnknownTruth) {
  const net::Sample s = autoopt::testing::synthetic_sample(4, 8, false);
  std::vector<double> d(12, 0.1 + 1e-17), j(12, 1.0 / 3.0), l(12, 2.5e-300);
  SampleRecords a = model::make_records(s, 3, d, j, l);
  a.graph_name = "name with spaces.txt";
  EXPECT_FALSE(a.has_truth);
  EXPECT_TRUE(std::isnan(a.paths[0].true_delay));
  SampleRecords b = hand_sample(9, 10, {path(1.0 / 7.0, 2.0, 3.0, 4.0, 0.5, 0.25)});
  const std::vector<SampleRecords> v{a, b};
  const auto back = model::deserialize(model::serialize(v));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1], b);
  EXPECT_EQ(back[0].graph_name, a.graph_name);
  ASSERT_EQ(back[0].paths.size(), a.paths.size());
  EXPECT_EQ(back[0].paths[0].pred_delay, a.paths[0].pred_delay);
  EXPECT_EQ(back[0].paths[0].pred_loss, a.paths[0].pred_loss);
  EXPECT_TRUE(std::isnan(back[0].paths[0].true_delay));

  const std::string csv = model::predictions_csv(v);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "sample_index,sample_id,graph,nodes,src,dst,flow,pred_delay,pred_jitter,pred_loss,true_delay,"
            "true_jitter,true_loss");
  EXPECT_NE(csv.find(",0.3333333333333333,2.5e-300,,,\n"), std::string::npos) << csv.substr(0, 400);
  EXPECT_NE(csv.find("\n9,109,g10.txt,10,0,0,0,0.14285714285714285,3,0.5,2,4,0.25\n"), std::string::npos);

  // Gathering without MPI sorts by sample index.
  const auto sorted = model::gather_records({b, a}, MPI_COMM_NULL);
  EXPECT_EQ(sorted[0].index, 3u);
  EXPECT_EQ(sorted[1].index, 9u);

  try {
    (void)model::deserialize("S 1 2 3 1 2 g\n0 1 0 1 2 3 4 5 x\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2: expected true_loss, got 'x'"), std::string::npos) << e.what();
  }
}

}  // namespace
