// Per-path prediction records and the evaluation table of a model (no libtorch here): records of one
// sample from its predictions (featurize()'s path order: pairs row-major, flows of a pair in traffic
// order) with the true values when the sample has results; gathering the records of MPI ranks on
// rank 0 in sample order; the predictions CSV; and the per-topology-size table (delay MAPE, jitter
// MAPE, drop-ratio MAE, the shape of the RouteNet-Fermi paper's Table I) as text, CSV, JSON and an
// SVG plot of the error against the network size.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::model {

// One path (flow) of one sample. True values are NaN when the sample has no results.
struct PathRecord {
  int src = 0;
  int dst = 0;
  int flow = 0;  // index of the flow within its pair
  double pred_delay = 0.0, pred_jitter = 0.0, pred_loss = 0.0;  // s, s^2, drop ratio
  double true_delay = 0.0, true_jitter = 0.0, true_loss = 0.0;
  friend bool operator==(const PathRecord&, const PathRecord&) = default;
};

struct SampleRecords {
  std::size_t index = 0;  // position of the sample in the dataset
  std::int64_t id = 0;
  std::string graph_name;
  int nodes = 0;
  bool has_truth = false;
  // The unit of pred_delay / true_delay in seconds: 1 for routed samples (seconds); for link-path
  // samples the data's delay unit (net::LinkPaths::delay_unit_s, 1e-3 = ms). Jitter keeps s^2.
  double delay_unit_s = 1.0;
  std::vector<PathRecord> paths;
  friend bool operator==(const SampleRecords&, const SampleRecords&) = default;
};

// The records of `sample` (dataset position `index`) from per-path predictions in featurize()'s
// order. Link-path samples (net::Sample::link_paths): one record per PathFlow in flow order, src/dst
// the source of its first link and the destination of its last, flow = the flow's index; delays
// (predicted and measured) in the data's unit (io::to_source_delay_unit, delay_unit_s set); jitter
// and drop ratio NaN (not measured; the model's jitter and loss heads are not trained on them);
// true_delay NaN where the flow has no measured delay; has_truth when some flow has one. Throws autoopt::Error naming the sample when the prediction count does not match its flows.
[[nodiscard]] SampleRecords make_records(const net::Sample& sample, std::size_t index,
                                         std::span<const double> delay, std::span<const double> jitter,
                                         std::span<const double> loss);

// Lossless text form of records (numbers round-trip), for moving them between ranks.
[[nodiscard]] std::string serialize(std::span<const SampleRecords> records);
// Parses serialize()'s form; throws autoopt::Error naming the record and what was expected.
[[nodiscard]] std::vector<SampleRecords> deserialize(std::string_view text);

// Collective over `comm`: every rank passes its own records; rank 0 receives all of them sorted by
// sample index (other ranks get an empty vector). With comm == MPI_COMM_NULL the records are only
// sorted and returned.
[[nodiscard]] std::vector<SampleRecords> gather_records(std::vector<SampleRecords> local, MPI_Comm comm);

// CSV with a header: sample_index, sample_id, graph, nodes, src, dst, flow, pred_delay, pred_jitter,
// pred_loss, true_delay, true_jitter, true_loss (true_* empty when unknown, any NaN empty). Numbers
// round-trip. When some record's delay unit is not seconds (link-path samples), a last column
// `delay_unit` names each row's unit of pred_delay and true_delay ("s", "ms", "us" or "<x>s").
[[nodiscard]] std::string predictions_csv(std::span<const SampleRecords> records);

// Errors of the paths of networks of one size (nodes == 0: all sizes together).
struct SizeRow {
  int nodes = 0;
  std::int64_t samples = 0;
  std::int64_t paths = 0;
  std::int64_t delay_paths = 0;   // paths with a positive delay label
  std::int64_t jitter_paths = 0;  // paths with a positive jitter label
  std::int64_t loss_paths = 0;    // paths with a known drop ratio (not NaN)
  double delay_mape = 0.0;   // fraction (0.05 = 5 %)
  double jitter_mape = 0.0;  // fraction
  double loss_mae = 0.0;     // mean |pred - y| of the drop ratio over the loss_paths (0 if none)
};

// Accumulates samples (with truth) and gives one row per network size, sizes ascending, then the
// overall row. Definitions as Trainer::evaluate: delay MAPE over paths with y > 0, jitter MAPE over
// paths with a positive jitter label, drop-ratio MAE over all paths whose drop ratio is known (NaN
// labels, as in link-path records, are skipped). to_text() prints n/a for a metric without paths;
// the CSV and JSON keep 0 there (their *_paths columns say 0).
class EvaluationTable {
 public:
  // Throws autoopt::Error naming the sample when it has no true values.
  void add(const SampleRecords& sample);
  [[nodiscard]] std::vector<SizeRow> rows() const;

  // A fixed-width table with percentages, for the terminal.
  [[nodiscard]] std::string to_text() const;
  // Header `nodes,samples,paths,delay_paths,jitter_paths,delay_mape_pct,jitter_mape_pct,loss_mae`;
  // the overall row has nodes `all`.
  [[nodiscard]] std::string to_csv() const;
  // {"sizes":[{...},...],"overall":{...}} with the CSV's fields.
  [[nodiscard]] std::string to_json() const;
  // A standalone SVG line plot of delay and jitter MAPE (%) against the network size.
  [[nodiscard]] std::string to_svg() const;

 private:
  struct Acc {
    std::int64_t samples = 0, paths = 0, delay_paths = 0, jitter_paths = 0, loss_paths = 0;
    double delay_sum = 0.0, jitter_sum = 0.0, loss_sum = 0.0;
  };
  std::vector<std::pair<int, Acc>> sizes_;  // sorted by node count
  Acc all_;
  [[nodiscard]] static SizeRow row(int nodes, const Acc& a);
};

// EvaluationTable::to_csv() of these rows (per size, then the overall row with nodes 0, written `all`).
[[nodiscard]] std::string rows_csv(std::span<const SizeRow> rows);

// The per-size mean of several tables of one evaluation set (EvaluationTable::rows() of models trained
// alike with different seeds): sizes and counts from the first table, delay MAPE, jitter MAPE and drop
// MAE averaged over the tables. Throws autoopt::Error when `tables` is empty or two tables differ in
// their sizes or counts (not the same evaluation set).
[[nodiscard]] std::vector<SizeRow> mean_rows(std::span<const std::vector<SizeRow>> tables);

}  // namespace autoopt::model
