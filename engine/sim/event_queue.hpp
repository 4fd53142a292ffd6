// The simulator's pending-event sets: a calendar queue (bucketed timer wheel) with an exact order
// for the flows' generation events, and a tournament tree for the ports' departures.
//
// An event is one unsigned 128-bit key: the bits of its time (a double >= 0, whose bit pattern orders
// like the value), then a 40-bit insertion sequence number and a 24-bit id. pop() always returns the
// smallest key, so events come out by time and simultaneous events by insertion, exactly as from a
// binary heap; the structure only changes the cost. Every id has at most one pending event (the
// simulator's flows, ports and batch check each keep one), so the bucket lists are threaded through
// a node array indexed by id and no push allocates.
//
// EventQueue: times are cut into buckets of a fixed width; the wheel holds the buckets
// [cur, cur + num_buckets) from the current one on, one singly linked list each, and a bitmap of the
// non-empty ones. pop() finds the next non-empty bucket through the bitmap and takes the smallest key
// of its (short) list; peek() finds the same key and remembers where it is, so that a pop() after it
// only unlinks it. Events beyond the wheel's horizon wait in an overflow binary heap and move into the
// wheel when it reaches them. Keys must be pushed in a monotone way: a pushed time must not be
// earlier than the last popped one (true of a discrete-event simulation). With a bucket width of a
// few mean inter-event times, push and pop cost O(1) on average instead of a heap's O(log n).
//
// KeyTree: a fixed set of slots, each holding one key or none, and the smallest key over all slots
// (a winner tree: every inner node holds the smaller key of its two children). set() replays one
// leaf-to-root path, branch-free, with the sibling loads independent of each other; lower() climbs
// only as far as the smaller key changes the minima; min() reads the root. For a few hundred slots
// the whole tree stays in the L1 cache.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace autoopt::sim {

__extension__ using u128 = unsigned __int128;

class EventQueue {
 public:
  static constexpr unsigned kIdBits = 24;
  static constexpr std::uint64_t kIdMask = (std::uint64_t{1} << kIdBits) - 1;

  // The key of an event at time t >= 0 with sequence number seq (< 2^40) and id (< 2^24).
  [[nodiscard]] static u128 key(double t, std::uint64_t seq, std::uint32_t id) noexcept {
    return (static_cast<u128>(std::bit_cast<std::uint64_t>(t + 0.0)) << 64U) | (seq << kIdBits) | id;
  }
  [[nodiscard]] static double time_of(u128 k) noexcept {
    return std::bit_cast<double>(static_cast<std::uint64_t>(k >> 64U));
  }
  [[nodiscard]] static std::uint32_t id_of(u128 k) noexcept { return static_cast<std::uint32_t>(k & kIdMask); }

  // num_ids: ids are 0 .. num_ids - 1 (at most 2^24); bucket_width_s > 0; num_buckets is rounded up
  // to a power of two (at least 64).
  EventQueue(std::uint32_t num_ids, double bucket_width_s, std::uint32_t num_buckets)
      : inv_width_(1.0 / bucket_width_s), nodes_(num_ids) {
    std::uint32_t nb = 64;
    while (nb < num_buckets && nb < (1U << 30U)) nb <<= 1U;
    mask_ = nb - 1;
    head_.assign(nb, kEmpty);
    bits_.assign(nb / 64, 0);
  }

  [[nodiscard]] bool empty() const noexcept { return wheel_size_ == 0 && overflow_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return wheel_size_ + overflow_.size(); }

  // Adds the event with key k (its id must have no pending event).
  void push(u128 k) {
    front_valid_ = false;
    const std::int64_t b = bucket(k);
    if (b - cur_ <= static_cast<std::int64_t>(mask_)) {
      insert(k, b);
    } else {
      overflow_.push_back(k);
      std::push_heap(overflow_.begin(), overflow_.end(), std::greater<>{});
      ovf_min_bucket_ = bucket(overflow_.front());
    }
  }

  // The key value that peek() returns when the queue is empty (larger than every event's key).
  static constexpr u128 kNoKey = ~u128{0};

  // The smallest key (kNoKey when empty); changes nothing that the order depends on. The position
  // found is kept until the next push() or pop(), so a pop() right after it only unlinks.
  [[nodiscard]] u128 peek() noexcept {
    if (!front_valid_) find_front();
    return front_key_;
  }

  // Removes and returns the smallest key; the queue must not be empty.
  u128 pop() {
    if (!front_valid_ || front_link_ == nullptr) {
      if (wheel_size_ == 0) {
        cur_ = ovf_min_bucket_;
        migrate();
      }
      find_front();
    }
    if (front_advance_ != 0) {
      cur_ += front_advance_;
      // Only events of buckets beyond the front's move in, none into the front's bucket.
      if (ovf_min_bucket_ - cur_ <= static_cast<std::int64_t>(mask_)) migrate();
    }
    std::int32_t* const link = front_link_;
    *link = nodes_[static_cast<std::size_t>(*link)].next;
    if (head_[front_slot_] == kEmpty) bits_[front_slot_ >> 6U] &= ~(std::uint64_t{1} << (front_slot_ & 63U));
    --wheel_size_;
    front_valid_ = false;
    return front_key_;
  }

 private:
  static constexpr std::int32_t kEmpty = -1;
  struct Node {
    u128 key = 0;
    std::int32_t next = kEmpty;
  };

  [[nodiscard]] std::int64_t bucket(u128 k) const noexcept {
    const double b = time_of(k) * inv_width_;  // monotone in the time: bucket order = time order
    return b < 4.0e18 ? static_cast<std::int64_t>(b) : std::int64_t{4'000'000'000'000'000'000};
  }

  // Finds the smallest key without changing the wheel: the next non-empty bucket at or after cur_
  // (cyclically), then the smallest key of its list. With an empty wheel, the overflow's minimum
  // (pop() then moves the wheel there first).
  void find_front() noexcept {
    front_valid_ = true;
    if (wheel_size_ == 0) {
      front_key_ = overflow_.empty() ? kNoKey : overflow_.front();
      front_link_ = nullptr;
      return;
    }
    const std::uint32_t slot = static_cast<std::uint32_t>(cur_) & mask_;
    std::uint32_t w = slot >> 6U;
    std::uint64_t word = bits_[w] & (~std::uint64_t{0} << (slot & 63U));
    while (word == 0) {
      w = (w + 1) & (mask_ >> 6U);
      word = bits_[w];
    }
    const std::uint32_t found = (w << 6U) | static_cast<std::uint32_t>(std::countr_zero(word));
    front_slot_ = found;
    front_advance_ = (found - slot) & mask_;
    std::int32_t* link = &head_[found];
    std::int32_t* best_link = link;
    u128 best = nodes_[static_cast<std::size_t>(*link)].key;
    link = &nodes_[static_cast<std::size_t>(*link)].next;
    while (*link != kEmpty) {
      const Node& n = nodes_[static_cast<std::size_t>(*link)];
      if (n.key < best) {
        best = n.key;
        best_link = link;
      }
      link = &nodes_[static_cast<std::size_t>(*link)].next;
    }
    front_key_ = best;
    front_link_ = best_link;
  }

  void insert(u128 k, std::int64_t b) noexcept {
    const auto slot = static_cast<std::uint32_t>(b) & mask_;
    Node& n = nodes_[id_of(k)];
    n.key = k;
    n.next = head_[slot];
    head_[slot] = static_cast<std::int32_t>(id_of(k));
    bits_[slot >> 6U] |= std::uint64_t{1} << (slot & 63U);
    ++wheel_size_;
  }

  // Moves the overflow events that now fall inside the wheel into it.
  void migrate() {
    while (!overflow_.empty()) {
      const std::int64_t b = bucket(overflow_.front());
      if (b - cur_ > static_cast<std::int64_t>(mask_)) {
        ovf_min_bucket_ = b;
        return;
      }
      insert(overflow_.front(), b);
      std::pop_heap(overflow_.begin(), overflow_.end(), std::greater<>{});
      overflow_.pop_back();
    }
    ovf_min_bucket_ = kNever;
  }

  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max() / 2;

  double inv_width_;
  std::uint32_t mask_ = 0;
  std::int64_t cur_ = 0;  // the bucket of the last popped event
  std::int64_t ovf_min_bucket_ = kNever;
  std::size_t wheel_size_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::int32_t> head_;
  std::vector<std::uint64_t> bits_;
  std::vector<u128> overflow_;  // a min-heap
  // What find_front() found: valid until the next push() or pop(); front_link_ points at the link
  // (a head_ entry or a node's next) that leads to the smallest key's node, nullptr when the
  // smallest key is in the overflow heap.
  bool front_valid_ = false;
  u128 front_key_ = kNoKey;
  std::int32_t* front_link_ = nullptr;
  std::uint32_t front_slot_ = 0;
  std::uint32_t front_advance_ = 0;  // buckets from cur_ to the front's bucket
};

class KeyTree {
 public:
  static constexpr u128 kNoKey = EventQueue::kNoKey;

  // num_slots >= 1; every slot starts empty.
  explicit KeyTree(std::uint32_t num_slots) {
    while (leaves_ < num_slots) leaves_ <<= 1U;
    node_.assign(2 * static_cast<std::size_t>(leaves_), kNoKey);
  }

  // The smallest key over the slots (kNoKey when all are empty).
  [[nodiscard]] u128 min() const noexcept { return node_[1]; }

  // The slot's key (kNoKey when empty).
  [[nodiscard]] u128 key(std::uint32_t slot) const noexcept { return node_[leaves_ + static_cast<std::size_t>(slot)]; }

  // Lowers the slot's key to k <= key(slot) (an empty slot gets one): climbs only while k beats the
  // minimum of the subtree above, which for a late key ends after a level or two.
  void lower(std::uint32_t slot, u128 k) noexcept {
    std::size_t j = leaves_ + static_cast<std::size_t>(slot);
    node_[j] = k;
    while (j > 1) {
      j >>= 1U;
      if (!(k < node_[j])) return;
      node_[j] = k;
    }
  }

  // Sets the slot's key to any value (kNoKey empties it): replays the whole path.
  void set(std::uint32_t slot, u128 k) noexcept {
    std::size_t j = leaves_ + static_cast<std::size_t>(slot);
    node_[j] = k;
    while (j > 1) {
      const u128 sibling = node_[j ^ 1U];
      k = sibling < k ? sibling : k;
      j >>= 1U;
      node_[j] = k;
    }
  }

 private:
  std::uint32_t leaves_ = 1;
  std::vector<u128> node_;  // node_[1] the root, node_[leaves_ + slot] the slots
};

}  // namespace autoopt::sim
