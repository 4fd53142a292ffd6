// Under mpirun -np 2: MpiSession sees both ranks, and owns() splits the indices into disjoint,
// complete round-robin halves.
#include <gtest/gtest.h>
#include <mpi.h>

#include "run/mpi.hpp"

namespace autoopt::run {
namespace {

TEST(MpiSession, TwoRanksShareIndicesRoundRobin) {
  int argc = 0;
  char** argv = nullptr;
  MpiSession s(&argc, &argv);
  ASSERT_TRUE(s.active());
  ASSERT_EQ(s.size(), 2);
  int mine = 0;
  for (std::size_t i = 0; i < 101; ++i) {
    if (s.owns(i)) {
      ++mine;
      EXPECT_EQ(static_cast<int>(i % 2), s.rank());
    }
  }
  int total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, s.comm());
  EXPECT_EQ(total, 101);
  EXPECT_EQ(mine, s.rank() == 0 ? 51 : 50);
  s.barrier();
}

}  // namespace
}  // namespace autoopt::run
