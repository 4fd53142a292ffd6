#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <queue>
#include <vector>

#include "sim/rng.hpp"

namespace autoopt::sim {
namespace {

// Drives the calendar queue and a binary heap (the reference order) with the same discrete-event
// workload: every id keeps one pending event, each pop reschedules its id at now + a random delay
// (drawn by `delay`), with many exact ties. Both must pop the same keys in the same order.
template <class Delay>
void expect_same_order_as_heap(std::uint32_t ids, double width, std::uint32_t buckets, int pops, Delay delay) {
  EventQueue q(ids, width, buckets);
  std::priority_queue<u128, std::vector<u128>, std::greater<>> ref;
  RandomStream rng(17, ids, buckets);
  std::uint64_t seq = 0;
  for (std::uint32_t id = 0; id < ids; ++id) {
    const u128 k = EventQueue::key(delay(rng), seq++, id);
    q.push(k);
    ref.push(k);
  }
  double last = 0.0;
  std::int64_t sleeping = -1;
  for (int i = 0; i < pops; ++i) {
    if (ref.empty()) break;
    ASSERT_FALSE(q.empty());
    ASSERT_EQ(q.size(), ref.size());
    const u128 got = q.pop();
    const u128 want = ref.top();
    ref.pop();
    ASSERT_TRUE(got == want) << "pop " << i << ": time " << EventQueue::time_of(got) << " id "
                             << EventQueue::id_of(got) << ", expected time " << EventQueue::time_of(want) << " id "
                             << EventQueue::id_of(want);
    const double now = EventQueue::time_of(got);
    ASSERT_GE(now, last);
    last = now;
    // Sometimes an id goes idle (no event) and is woken at the next pop, like a port.
    if (sleeping >= 0) {
      const u128 w = EventQueue::key(now + delay(rng), seq++, static_cast<std::uint32_t>(sleeping));
      q.push(w);
      ref.push(w);
      sleeping = -1;
    }
    if (i % 97 == 5) {
      sleeping = EventQueue::id_of(got);
      continue;
    }
    const u128 k = EventQueue::key(now + delay(rng), seq++, EventQueue::id_of(got));
    q.push(k);
    ref.push(k);
  }
  while (!ref.empty()) {
    ASSERT_TRUE(q.pop() == ref.top());
    ref.pop();
  }
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, SameOrderAsHeapWithTiesAndOverflow) {
  // Delays from 0 (simultaneous events, ordered by sequence) to far beyond the wheel's horizon
  // (64 buckets of 0.01 s), so that events go through the overflow heap.
  expect_same_order_as_heap(300, 0.01, 64, 200000, [](RandomStream& r) {
    const double u = r.uniform();
    if (u < 0.1) return 0.0;
    if (u < 0.2) return 0.05;  // exact repeats of a grid
    if (u < 0.3) return 5.0 + 20.0 * r.uniform();
    return r.exponential(0.03, 0.0);
  });
}

TEST(EventQueue, SameOrderAsHeapWhenWheelEmpties) {
  // Few ids, long gaps: the wheel is often empty and jumps to the overflow's minimum.
  expect_same_order_as_heap(3, 0.001, 64, 20000, [](RandomStream& r) { return 1.0 + 100.0 * r.uniform(); });
}

TEST(EventQueue, SameOrderAsHeapWithManyIdsAndWideBuckets) {
  // Many events per bucket (about 25: the list scan picks the minimum) and a large wheel.
  expect_same_order_as_heap(5000, 0.01, 1U << 12U, 100000, [](RandomStream& r) { return r.exponential(2.0, 0.0); });
}

TEST(EventQueue, KeyRoundTrips) {
  const u128 k = EventQueue::key(12.5, 123456789, 4242);
  EXPECT_EQ(EventQueue::time_of(k), 12.5);
  EXPECT_EQ(EventQueue::id_of(k), 4242U);
  EXPECT_TRUE(EventQueue::key(1.0, 2, 0) < EventQueue::key(1.0, 3, 0));  // ties by sequence
  EXPECT_TRUE(EventQueue::key(1.0, 99, 0) < EventQueue::key(1.5, 0, 0));  // time first
  EXPECT_EQ(EventQueue::time_of(EventQueue::key(-0.0, 0, 0)), 0.0);
}

}  // namespace
}  // namespace autoopt::sim
