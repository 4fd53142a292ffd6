#include "run/progress.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "run/mpi.hpp"

namespace autoopt::run {
namespace {

TEST(Progress, LineShowsCountShareRateAndEta) {
  Progress p("test", 4, /*enabled=*/false);
  EXPECT_EQ(p.line().rfind("0/4 (0.0%)", 0), 0u) << p.line();
  p.advance(1);
  p.advance(2);
  EXPECT_EQ(p.done(), 3);
  const std::string l = p.line();
  EXPECT_EQ(l.rfind("3/4 (75.0%), ", 0), 0u) << l;
  EXPECT_NE(l.find("/s, ETA "), std::string::npos) << l;
}

TEST(Progress, UnknownTotalShowsCountAndRate) {
  Progress p("test", 0, false);
  p.advance(5);
  EXPECT_EQ(p.line().rfind("5, ", 0), 0u) << p.line();
}

TEST(Mpi, PlainProcessRunsAsOneRankWithoutMpi) {
  if (launched_by_mpi()) GTEST_SKIP() << "started by an MPI launcher";
  int argc = 0;
  char** argv = nullptr;
  MpiSession s(&argc, &argv);
  EXPECT_FALSE(s.active());
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.size(), 1);
  EXPECT_TRUE(s.owns(0));
  EXPECT_TRUE(s.owns(7));
  s.barrier();  // no-op without MPI
}

}  // namespace
}  // namespace autoopt::run
