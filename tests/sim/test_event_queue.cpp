#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <queue>
#include <set>
#include <string>
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


// A 128-bit key in hex (gtest cannot print unsigned __int128).
std::string hex(u128 k) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(k >> 64U),
                static_cast<unsigned long long>(k & ~std::uint64_t{0}));
  return buf;
}

// A uniformly random index below n (n >= 1; the tiny modulo bias does not matter here).
std::uint32_t below(RandomStream& r, std::uint64_t n) { return static_cast<std::uint32_t>(r.next() % n); }

// ---------------------------------------------------------------------------------------------
// KeyTree against a brute-force reference: a vector of keys, the minimum by a linear scan.

// A random key of one of several kinds: event keys on a coarse time grid (many ties between slots),
// fully random 128-bit values, and values next to the extremes (0, kNoKey - 1).
u128 random_key(RandomStream& r) {
  const double u = r.uniform();
  if (u < 0.5) return EventQueue::key(0.25 * below(r, 40), below(r, 8), below(r, 4));
  if (u < 0.85) return (static_cast<u128>(r.next()) << 64U) | r.next();
  if (u < 0.92) return below(r, 3);
  return KeyTree::kNoKey - 1 - below(r, 3);
}

// A key <= cur for lower() (any key when the slot is empty): cur itself, cur - small, or something
// well below it.
u128 random_lower_key(RandomStream& r, u128 cur) {
  if (cur == KeyTree::kNoKey) return random_key(r);
  const double u = r.uniform();
  if (u < 0.15) return cur;  // lowering to the same key: a no-op
  if (u < 0.4) return cur - std::min<u128>(cur, below(r, 5));
  const u128 k = random_key(r);
  return k <= cur ? k : k % (cur + 1);  // some value in [0, cur] (cur < kNoKey, so cur + 1 != 0)
}

// Checks min() and key(touched) always, every slot's key when `all` is set.
void expect_tree_matches(const KeyTree& tree, const std::vector<u128>& ref, std::uint32_t slots, int step,
                         std::uint32_t touched, bool all) {
  u128 want_min = KeyTree::kNoKey;
  for (const u128 k : ref) want_min = std::min(want_min, k);
  ASSERT_TRUE(tree.min() == want_min) << slots << " slots, step " << step << ": min " << hex(tree.min())
                                      << ", expected " << hex(want_min);
  ASSERT_TRUE(tree.key(touched) == ref[touched]) << slots << " slots, step " << step << ": key(" << touched
                                                 << ") " << hex(tree.key(touched)) << ", expected "
                                                 << hex(ref[touched]);
  if (!all) return;
  for (std::uint32_t s = 0; s < slots; ++s) {
    ASSERT_TRUE(tree.key(s) == ref[s]) << slots << " slots, step " << step << ": key(" << s << ") "
                                       << hex(tree.key(s)) << ", expected " << hex(ref[s]);
  }
}

void run_key_tree_against_reference(std::uint32_t slots, std::uint64_t seed, int steps) {
  KeyTree tree(slots);
  std::vector<u128> ref(slots, KeyTree::kNoKey);
  RandomStream r(seed, slots, 0);
  expect_tree_matches(tree, ref, slots, -1, 0, true);
  for (int step = 0; step < steps; ++step) {
    // Half the operations hit the slot that holds the minimum (or a small group of "hot" slots), so
    // the minimum is often raised, emptied or moved, not only changed in an unrelated leaf.
    std::uint32_t s = below(r, slots);
    const double pick = r.uniform();
    if (pick < 0.3) {
      const auto it = std::min_element(ref.begin(), ref.end());
      s = static_cast<std::uint32_t>(it - ref.begin());
    } else if (pick < 0.5) {
      s = below(r, std::min<std::uint32_t>(slots, 4));
    }
    const double op = r.uniform();
    if (op < 0.35) {
      const u128 k = random_key(r);
      tree.set(s, k);
      ref[s] = k;
    } else if (op < 0.75) {
      const u128 k = random_lower_key(r, ref[s]);
      ASSERT_TRUE(k <= ref[s]);
      tree.lower(s, k);
      ref[s] = k;
    } else {
      tree.set(s, KeyTree::kNoKey);  // empties the slot
      ref[s] = KeyTree::kNoKey;
    }
    // Every slot after every step for small trees; for large ones every 50th step (and at the end).
    const bool all = slots <= 64 || step % 50 == 0 || step + 1 == steps;
    ASSERT_NO_FATAL_FAILURE(expect_tree_matches(tree, ref, slots, step, s, all));
  }
}

TEST(KeyTree, MatchesBruteForceUnderRandomSetLowerClear) {
  for (const std::uint32_t slots : {1U, 2U, 3U, 5U, 64U, 228U, 1000U}) {
    for (const std::uint64_t seed : {1ULL, 2ULL}) {
      SCOPED_TRACE("slots " + std::to_string(slots) + ", seed " + std::to_string(seed));
      run_key_tree_against_reference(slots, seed, slots >= 228 ? 3000 : 20000);
    }
  }
}

TEST(KeyTree, StartsEmptyAndEmptiesAgain) {
  for (const std::uint32_t slots : {1U, 2U, 7U, 228U}) {
    KeyTree tree(slots);
    EXPECT_TRUE(tree.min() == KeyTree::kNoKey);
    for (std::uint32_t s = 0; s < slots; ++s) EXPECT_TRUE(tree.key(s) == KeyTree::kNoKey);
    // Fill every slot, then empty them in an order that keeps removing the current minimum.
    for (std::uint32_t s = 0; s < slots; ++s) tree.set(s, EventQueue::key(1.0 + s, 0, s));
    for (std::uint32_t s = 0; s < slots; ++s) {
      EXPECT_TRUE(tree.min() == EventQueue::key(1.0 + s, 0, s)) << slots << " slots, removing " << s;
      tree.set(s, KeyTree::kNoKey);
    }
    EXPECT_TRUE(tree.min() == KeyTree::kNoKey);
  }
}

TEST(KeyTree, LowerGivesAnEmptySlotAKeyAndStopsEarlyCorrectly) {
  KeyTree tree(6);
  tree.lower(4, EventQueue::key(5.0, 0, 4));  // an empty slot gets a key through lower()
  EXPECT_TRUE(tree.key(4) == EventQueue::key(5.0, 0, 4));
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 4));
  tree.lower(1, EventQueue::key(7.0, 0, 1));  // a late key: the minimum stays
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 4));
  tree.lower(1, EventQueue::key(5.0, 0, 1));  // ties with the minimum by time, smaller id
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 1));
  tree.lower(1, EventQueue::key(5.0, 0, 1));  // the same key again: a no-op
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 1));
  // Raising the minimum's slot with set() hands the minimum back to slot 4.
  tree.set(1, EventQueue::key(9.0, 0, 1));
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 4));
  // Equal keys in two slots: emptying one leaves the other as the minimum.
  tree.set(0, EventQueue::key(5.0, 0, 4));
  tree.set(4, KeyTree::kNoKey);
  EXPECT_TRUE(tree.min() == EventQueue::key(5.0, 0, 4));
  EXPECT_TRUE(tree.key(4) == KeyTree::kNoKey);
  // The largest real key still beats an empty slot; key 0 beats everything.
  tree.set(0, KeyTree::kNoKey);
  tree.set(1, KeyTree::kNoKey);
  tree.set(5, KeyTree::kNoKey - 1);
  EXPECT_TRUE(tree.min() == KeyTree::kNoKey - 1);
  tree.lower(2, 0);
  EXPECT_TRUE(tree.min() == 0);
}

// ---------------------------------------------------------------------------------------------
// EventQueue: push, pop and peek interleaved at random against a std::set of keys (keys are unique:
// every one carries its own sequence number).

struct PeekWorkload {
  std::uint32_t ids;
  double width;
  std::uint32_t buckets;
  int steps;
  std::uint64_t seed;
};

void run_peek_pop_against_reference(const PeekWorkload& w) {
  EventQueue q(w.ids, w.width, w.buckets);
  std::set<u128> ref;
  std::vector<std::uint32_t> free_ids;
  for (std::uint32_t id = w.ids; id-- > 0;) free_ids.push_back(id);
  RandomStream r(w.seed, w.ids, w.buckets);
  std::uint64_t seq = 0;
  double last = 0.0;  // the time of the last popped event: no push may be earlier
  const double horizon = w.width * 64.0;
  int earlier_pushes = 0;
  int peeks_then_pops = 0;

  // The time of a new event: never earlier than the last pop.
  auto next_time = [&]() {
    const double u = r.uniform();
    if (u < 0.12) return last;  // simultaneous with the last pop
    if (u < 0.25) {             // on a bucket boundary
      const double t = w.width * (std::ceil(last / w.width) + below(r, 4));
      return std::max(t, last);
    }
    if (u < 0.35) return last + horizon * (1.0 + 4.0 * r.uniform());  // beyond the wheel: overflow
    if (u < 0.38) return last + horizon * 1000.0 * r.uniform();       // far beyond
    return last + r.exponential(w.width * 3.0, 0.0);
  };
  auto push = [&](double t) {
    const std::uint32_t id = free_ids.back();
    free_ids.pop_back();
    const u128 k = EventQueue::key(t, seq++, id);
    q.push(k);
    ref.insert(k);
    return k;
  };
  auto check_peek = [&](int step) {
    const u128 want = ref.empty() ? EventQueue::kNoKey : *ref.begin();
    const u128 got = q.peek();
    ASSERT_TRUE(got == want) << "step " << step << ": peek " << hex(got) << ", expected " << hex(want);
    ASSERT_TRUE(q.peek() == got) << "step " << step << ": a second peek() differs";
    ASSERT_EQ(q.size(), ref.size()) << "step " << step;
    ASSERT_EQ(q.empty(), ref.empty()) << "step " << step;
  };
  u128 popped = EventQueue::kNoKey;
  auto pop = [&](int step) {
    const u128 got = q.pop();
    popped = got;
    const u128 want = *ref.begin();
    ref.erase(ref.begin());
    ASSERT_TRUE(got == want) << "step " << step << ": pop " << hex(got) << " (time " << EventQueue::time_of(got)
                             << ", id " << EventQueue::id_of(got) << "), expected " << hex(want) << " (time "
                             << EventQueue::time_of(want) << ", id " << EventQueue::id_of(want) << ")";
    ASSERT_GE(EventQueue::time_of(got), last) << "step " << step;
    last = EventQueue::time_of(got);
    free_ids.push_back(EventQueue::id_of(got));
  };

  for (int step = 0; step < w.steps; ++step) {
    const double op = r.uniform();
    // Keep the queue about half full on average; a queue near empty or full still gets both kinds.
    const double fill = static_cast<double>(ref.size()) / w.ids;
    if (!free_ids.empty() && (ref.empty() || op < 0.55 - 0.3 * fill)) {
      push(next_time());
    } else if (op < 0.8) {
      // peek(), peek() again, then pop(): the pop must return what peek() showed.
      ASSERT_NO_FATAL_FAILURE(check_peek(step));
      const u128 seen = q.peek();
      // Sometimes push an event earlier than the peeked one first (not earlier than the last pop):
      // the cached front must give way to it.
      if (!free_ids.empty() && r.uniform() < 0.3 && EventQueue::time_of(seen) > last) {
        const double tp = EventQueue::time_of(seen);
        const double t = r.uniform() < 0.3 ? last : last + (tp - last) * r.uniform();
        if (t < tp) {
          const u128 k = push(t);
          ASSERT_TRUE(k < seen);
          ASSERT_TRUE(q.peek() == k) << "step " << step << ": after pushing an earlier event, peek "
                                     << hex(q.peek()) << ", expected " << hex(k);
          ASSERT_NO_FATAL_FAILURE(check_peek(step));
          ++earlier_pushes;
        }
      }
      const u128 front = q.peek();
      ASSERT_NO_FATAL_FAILURE(pop(step));
      ASSERT_TRUE(popped == front) << "step " << step << ": pop " << hex(popped) << " after peek " << hex(front);
      ++peeks_then_pops;
    } else {
      ASSERT_NO_FATAL_FAILURE(pop(step));  // a pop without a peek before it
    }
  }
  // Drain, alternating pops with and without a peek before them.
  for (int i = 0; !ref.empty(); ++i) {
    if (i % 2 == 0) ASSERT_NO_FATAL_FAILURE(check_peek(w.steps + i));
    ASSERT_NO_FATAL_FAILURE(pop(w.steps + i));
  }
  ASSERT_NO_FATAL_FAILURE(check_peek(-1));  // empty again: kNoKey
  // The workload must have exercised the paths it is meant to (a fixed seed makes this exact).
  if (w.ids > 1) EXPECT_GT(earlier_pushes, w.steps / 100);  // a single id is never free after a peek
  EXPECT_GT(peeks_then_pops, w.steps / 10);
}

TEST(EventQueue, PeekMatchesNextPopUnderRandomPushPopPeek) {
  // A 64-bucket wheel with many overflow events; a wheel that often runs empty (few ids); many ids
  // in a larger wheel; a single id.
  for (const PeekWorkload& w : {PeekWorkload{50, 0.01, 64, 60000, 3}, PeekWorkload{4, 0.001, 64, 30000, 4},
                                PeekWorkload{2000, 0.01, 1024, 60000, 5}, PeekWorkload{1, 0.5, 64, 5000, 6}}) {
    SCOPED_TRACE("ids " + std::to_string(w.ids) + ", buckets " + std::to_string(w.buckets) + ", seed " +
                 std::to_string(w.seed));
    run_peek_pop_against_reference(w);
  }
}

TEST(EventQueue, PeekOnEmptyQueueReturnsNoKey) {
  EventQueue q(4, 0.1, 64);
  EXPECT_TRUE(q.peek() == EventQueue::kNoKey);
  EXPECT_TRUE(q.peek() == EventQueue::kNoKey);
  EXPECT_TRUE(q.empty());
  // kNoKey is larger than every event key, even the latest possible one.
  EXPECT_TRUE(EventQueue::key(std::numeric_limits<double>::max(), (std::uint64_t{1} << 40U) - 1,
                              static_cast<std::uint32_t>(EventQueue::kIdMask)) < EventQueue::kNoKey);
  q.push(EventQueue::key(0.3, 0, 2));
  EXPECT_TRUE(q.peek() == EventQueue::key(0.3, 0, 2));
  EXPECT_TRUE(q.pop() == EventQueue::key(0.3, 0, 2));
  EXPECT_TRUE(q.peek() == EventQueue::kNoKey);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0U);
}

TEST(EventQueue, SimultaneousEventsComeOutByInsertionNotById) {
  // Same time, ids pushed in a scrambled order: the sequence number decides, in the wheel and in the
  // overflow heap (time 50 is far beyond 64 buckets of 0.01 s), with and without peek().
  for (const double t : {0.0, 0.37, 50.0}) {
    for (const bool with_peek : {false, true}) {
      EventQueue q(8, 0.01, 64);
      const std::uint32_t order[] = {5, 2, 7, 0, 3, 6, 1, 4};
      std::uint64_t seq = 100;
      for (const std::uint32_t id : order) q.push(EventQueue::key(t, seq++, id));
      for (const std::uint32_t id : order) {
        if (with_peek) ASSERT_EQ(EventQueue::id_of(q.peek()), id) << "t " << t;
        const u128 k = q.pop();
        EXPECT_EQ(EventQueue::id_of(k), id) << "t " << t << (with_peek ? " with peek" : "");
        EXPECT_EQ(EventQueue::time_of(k), t);
      }
      EXPECT_TRUE(q.empty());
    }
  }
}

TEST(EventQueue, EarlierPushAfterPeekOfOverflowEventComesFirst) {
  // The only event lies beyond the wheel (the peek finds it in the overflow heap); an event pushed
  // afterwards into the wheel must take its place, and the overflow event must still follow.
  EventQueue q(3, 0.01, 64);
  const u128 far = EventQueue::key(100.0, 0, 0);
  q.push(far);
  EXPECT_TRUE(q.peek() == far);
  const u128 near = EventQueue::key(0.2, 1, 1);
  q.push(near);
  EXPECT_TRUE(q.peek() == near);
  EXPECT_TRUE(q.pop() == near);
  // At the same time as the last pop (allowed), after peek() found the overflow event again.
  const u128 same_time = EventQueue::key(0.2, 2, 2);
  EXPECT_TRUE(q.peek() == far);
  q.push(same_time);
  EXPECT_TRUE(q.peek() == same_time);
  EXPECT_TRUE(q.pop() == same_time);
  EXPECT_TRUE(q.peek() == far);
  EXPECT_TRUE(q.pop() == far);
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, PeekThenPushIntoTheSameBucketAsTheFront) {
  // The front and a new, earlier event share a bucket (and a list): the cached link must not be used.
  EventQueue q(4, 1.0, 64);
  q.push(EventQueue::key(3.7, 0, 0));
  q.push(EventQueue::key(3.9, 1, 1));
  EXPECT_TRUE(q.peek() == EventQueue::key(3.7, 0, 0));
  q.push(EventQueue::key(3.1, 2, 2));  // same bucket 3, pushed at the list's head
  EXPECT_TRUE(q.peek() == EventQueue::key(3.1, 2, 2));
  EXPECT_TRUE(q.pop() == EventQueue::key(3.1, 2, 2));
  EXPECT_TRUE(q.peek() == EventQueue::key(3.7, 0, 0));
  q.push(EventQueue::key(3.7, 3, 3));  // same time as the front, later sequence: after it
  EXPECT_TRUE(q.peek() == EventQueue::key(3.7, 0, 0));
  EXPECT_TRUE(q.pop() == EventQueue::key(3.7, 0, 0));
  EXPECT_TRUE(q.pop() == EventQueue::key(3.7, 3, 3));
  EXPECT_TRUE(q.pop() == EventQueue::key(3.9, 1, 1));
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, HugeTimesShareTheLastBucketAndStillOrderByKey) {
  // Times whose bucket index would overflow are clamped into one bucket; order must still be exact.
  EventQueue q(5, 0.001, 64);
  const u128 keys[] = {EventQueue::key(1e300, 0, 0), EventQueue::key(1e30, 1, 1), EventQueue::key(1e300, 2, 2),
                       EventQueue::key(5e20, 3, 3), EventQueue::key(1.0, 4, 4)};
  for (const u128 k : keys) q.push(k);
  std::vector<u128> want(std::begin(keys), std::end(keys));
  std::sort(want.begin(), want.end());
  for (const u128 k : want) {
    EXPECT_TRUE(q.peek() == k) << "peek " << hex(q.peek()) << ", expected " << hex(k);
    EXPECT_TRUE(q.pop() == k);
  }
  EXPECT_TRUE(q.peek() == EventQueue::kNoKey);
}

}  // namespace
}  // namespace autoopt::sim
