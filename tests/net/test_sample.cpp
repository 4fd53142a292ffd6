#include "net/sample.hpp"

#include <gtest/gtest.h>

namespace autoopt::net {
namespace {

TEST(Sample, PolicyNamesRoundTrip) {
  for (Policy p : {Policy::FIFO, Policy::SP, Policy::WFQ, Policy::DRR}) {
    EXPECT_EQ(parse_policy(to_string(p)), p);
  }
  EXPECT_FALSE(parse_policy("fifo").has_value());
  EXPECT_FALSE(parse_policy("").has_value());
}

TEST(Sample, QueueOfTosAndFindLink) {
  Node n;
  n.queue_tos = {{0}, {1, 2}};
  EXPECT_EQ(n.queue_of_tos(0), 0);
  EXPECT_EQ(n.queue_of_tos(2), 1);
  EXPECT_EQ(n.queue_of_tos(3), -1);
  Topology t;
  t.links = {{0, 1, 0, 1e4}, {1, 0, 0, 1e4}};
  EXPECT_EQ(t.find_link(1, 0), 1);
  EXPECT_EQ(t.find_link(0, 2), -1);
}

}  // namespace
}  // namespace autoopt::net
