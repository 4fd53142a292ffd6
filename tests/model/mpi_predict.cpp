// Under mpirun -np 2: predictions shared among ranks round-robin (each rank predicts the samples it
// owns, one per forward pass) and gathered on rank 0 give the same records, and the same CSV and
// evaluation table bytes, as one process predicting every sample; a model saved by rank 0 loads on
// every rank.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/report.hpp"
#include "model/trainer.hpp"
#include "synthetic_samples.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

std::string broadcast_string(std::string s) {
  int len = static_cast<int>(s.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(static_cast<std::size_t>(len));
  MPI_Bcast(s.data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
  return s;
}

model::SampleRecords predict_one(model::Trainer& t, const net::Sample& s, std::size_t index) {
  const auto p = t.predict(std::span<const net::Sample>(&s, 1));
  return model::make_records(s, index, p[0].delay, p[0].jitter, p[0].loss);
}

TEST(MpiPredict, TwoRanksGiveTheSameOutputAsOne) {
  torch::set_num_threads(1);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_EQ(size, 2);
  std::vector<net::Sample> data;
  for (int i = 0; i < 7; ++i) {
    data.push_back(autoopt::testing::synthetic_sample(6 + i % 4, 40 + static_cast<std::uint64_t>(i), i != 3));
  }
  std::string dir;
  if (rank == 0) {
    dir = (fs::temp_directory_path() / ("autoopt-mpi-predict-" + std::to_string(::getpid()))).string();
    model::RouteNetConfig c;
    c.path_dim = c.link_dim = c.queue_dim = 16;
    c.iterations = 3;
    model::Trainer t(c);
    model::FitOptions o;
    o.epochs = 2;
    o.batch_size = 2;
    const std::vector<net::Sample> train{data[0], data[1], data[2]};
    (void)t.fit(train, {}, o);
    t.save(dir);
  }
  dir = broadcast_string(dir);
  model::Trainer t = model::Trainer::load(dir);

  std::vector<model::SampleRecords> local;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (static_cast<int>(i % 2) == rank) local.push_back(predict_one(t, data[i], i));
  }
  EXPECT_EQ(local.size(), rank == 0 ? 4u : 3u);
  const auto gathered = model::gather_records(local, MPI_COMM_WORLD);

  if (rank == 0) {
    std::vector<model::SampleRecords> single;  // one process, every sample
    for (std::size_t i = 0; i < data.size(); ++i) single.push_back(predict_one(t, data[i], i));
    single = model::gather_records(single, MPI_COMM_NULL);
    ASSERT_EQ(gathered.size(), single.size());
    for (std::size_t i = 0; i < single.size(); ++i) {
      EXPECT_EQ(gathered[i].index, i);
      // Bit-identical numbers (NaN truths of the unlabelled sample compare by the CSV below).
      if (single[i].has_truth) EXPECT_EQ(gathered[i], single[i]) << "sample " << i;
    }
    EXPECT_EQ(model::predictions_csv(gathered), model::predictions_csv(single));
    model::EvaluationTable a, b;
    for (std::size_t i = 0; i < single.size(); ++i) {
      if (!single[i].has_truth) continue;
      a.add(gathered[i]);
      b.add(single[i]);
    }
    EXPECT_EQ(a.to_csv(), b.to_csv());
    EXPECT_EQ(a.to_json(), b.to_json());
  } else {
    EXPECT_TRUE(gathered.empty());
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) fs::remove_all(dir);
}

}  // namespace
