#include "sim/simulator.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <ctime>
#include <cmath>
#include <limits>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "net/error.hpp"
#include "sim/event_queue.hpp"
#include "sim/histogram.hpp"
#include "sim/rng.hpp"

namespace autoopt::sim {
namespace {

using net::Policy;
using net::SizeDist;
using net::TimeDist;

constexpr std::int32_t kNone = -1;

// ---- run-time state -------------------------------------------------------------------------------

struct alignas(64) Packet {  // one cache line
  double gen_t = 0.0;
  double port_arr_t = 0.0;  // arrival at the current port
  double size = 0.0;        // bits
  double tag = 0.0;         // WFQ finish tag
  // The hop after the current one (hops_[hop_idx + 1]; on the last hop the current one), set on
  // arrival at a port, so that starting the service does not look it up.
  std::int32_t next_queue = 0;
  std::int32_t next_port = 0;
  std::int32_t flow = 0;
  std::int32_t next = kNone;  // next packet in its queue, or in the free list
  std::int32_t hop_idx = 0;   // the current hop's entry in Sim::hops_
  std::int32_t hops_left = 0; // hops still to go, the current one included
  bool counted = false;       // generated inside the statistics window
  bool port_counted = false;  // arrived at the current port inside the window
};

// A queue: its first cache line is all that an accepted FIFO, SP or DRR arrival or a departure
// touches (the state the event loop reads and writes and the per-arrival statistics; the busy time
// is kept by the port), the second what a drop counts and WFQ and DRR read.
struct alignas(64) Queue {
  // ---- line 0 ----
  std::int32_t head = kNone;
  std::int32_t tail = kNone;
  std::int32_t occ_pkts = 0;  // packets queued, packet in service included
  double occ_bits = 0.0;  // bits queued, packet in service included
  double buffer = 0.0;
  // statistics of the arrivals in the window that were queued: count, bits, the largest occupancy
  // they left (bits), their time at the port
  std::uint64_t accepted = 0;
  double bits = 0.0;
  double max_occ = 0.0;
  double sojourn_sum = 0.0;
  // ---- line 1 ----
  std::uint64_t drops = 0;  // arrivals in the window that were dropped (arrivals = accepted + drops)
  double weight = 1.0;
  double last_finish = 0.0;
  double deficit = 0.0;
  double quantum = 0.0;
  double inv_share = 1.0;  // sum of the port's weights / weight (virtual clock)
};

// A port: one cache line with all that a departure needs to find the lines it touches next (the
// packet, its queue, the next hop's queue and port), so that they load in parallel, and the busy
// time of the queue served last. The bandwidth itself (results only) and the WFQ virtual time are
// in Sim::port_bw_ and Sim::vtime_.
struct alignas(64) Port {
  static constexpr std::int32_t kMaskedQueues = 64;  // nonempty covers ports with up to this many queues
  double inv_bw = 0.0;
  // Bit i: queue q0 + i has packets waiting (nq <= kMaskedQueues), so that picking a queue reads
  // only the nonempty ones.
  std::uint64_t nonempty = 0;
  // The transmission time inside the window of queue busy_q, summed here while that queue is the
  // one served (every port with one queue, always); the other queues' sums wait in Sim::busy_.
  // Moving a sum between the two changes no bit of it.
  double busy_s = 0.0;
  std::int32_t busy_q = 0;
  std::int32_t q0 = 0;  // first queue index
  std::int32_t nq = 0;
  std::int32_t in_service = kNone;
  std::int32_t in_service_q = kNone;
  // The in-service packet's next hop (set when its service starts; meaningless on its last hop).
  std::int32_t next_queue = 0;
  std::int32_t next_port = 0;
  std::int32_t waiting = 0;  // packets queued, not in service (packet ids are 32-bit)
  std::int32_t drr_ptr = 0;
  Policy policy = Policy::FIFO;
  bool drr_fresh = true;
};
static_assert(sizeof(Port) == 64);

// A hop of a path: the queue and its port (both indices, so that both lines load at once).
struct Hop {
  std::int32_t queue = 0;
  std::int32_t port = 0;
};

struct DelayStats {
  std::uint64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  double sum_ln = 0.0;
  void add(double d, double ln_d) {
    ++n;
    const double delta = d - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (d - mean);
    sum_ln += ln_d;
  }
  void merge(const DelayStats& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const double na = static_cast<double>(n);
    const double nb = static_cast<double>(o.n);
    const double delta = o.mean - mean;
    const double nt = na + nb;
    mean += delta * nb / nt;
    m2 += o.m2 + delta * delta * na * nb / nt;
    sum_ln += o.sum_ln;
    n += o.n;
  }
};

// The open batch of one pair: what every delivery adds to (kept apart from BatchAcc, so that the
// per-packet update touches 16 bytes).
struct BatchOpen {
  double s = 0.0, n = 0.0;
};

// Batch-means accumulator of one pair's delays (batches by delivery time): the confidence
// half-width of the mean delay with the ratio estimator, which allows batches of unequal counts.
struct BatchAcc {
  double last_s = 0.0, last_n = 0.0;   // the last closed batch (the drain is merged into it)
  double ss = 0.0, sn = 0.0, nn = 0.0; // sums over closed batches of s^2, s*n, n^2
  double tot_s = 0.0, tot_n = 0.0;     // over closed batches
  // Closes the open batch o (and empties it).
  void close(BatchOpen& o) {
    ss += o.s * o.s;
    sn += o.s * o.n;
    nn += o.n * o.n;
    tot_s += o.s;
    tot_n += o.n;
    last_s = o.s;
    last_n = o.n;
    o = BatchOpen{};
  }
  // Merges the open batch o into the last closed one.
  void merge_open_into_last(BatchOpen& o) {
    ss -= last_s * last_s;
    sn -= last_s * last_n;
    nn -= last_n * last_n;
    tot_s -= last_s;
    tot_n -= last_n;
    o.s += last_s;
    o.n += last_n;
    close(o);
  }
  // The half-width over `batches` closed batches with quantile t, or -1.
  [[nodiscard]] double half_width(std::uint32_t batches, double t) const {
    if (batches < 2 || tot_n <= 0.0) return -1.0;
    const double b = batches;
    const double m = tot_s / tot_n;
    const double resid = std::max(0.0, ss - 2.0 * m * sn + m * m * nn);
    const double nbar = tot_n / b;
    return t * std::sqrt(resid / (b * (b - 1.0))) / nbar;
  }
  [[nodiscard]] double mean() const { return tot_n > 0.0 ? tot_s / tot_n : 0.0; }
};

// The standard normal quantile (bisection on erfc; called a handful of times per run).
double normal_quantile(double p) {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace

// Student t quantile with nu degrees of freedom (Cornish-Fisher expansion around the normal
// quantile, Abramowitz & Stegun 26.7.5; relative error < 1e-3 for nu >= 5).
double student_t_quantile(double p, double nu) {
  const double z = normal_quantile(p);
  const double z2 = z * z;
  const double g1 = (z2 + 1.0) * z / 4.0;
  const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
  const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
  const double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
  return z + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu) + g4 / (nu * nu * nu * nu);
}

namespace {

// One traffic flow. The fields are grouped by when the event loop touches them, so that a packet
// costs few cache lines: the first line is what a generation reads (random stream, gap and size
// parameters), the second what a generation counts and a delivery reads (counters, path, delay
// moments), then the delay histogram; the set-up parameters and the exact delays come last.
struct alignas(64) FlowState {
  // ---- line 0: generation ----
  RandomStream rng;
  double mean_gap = 0.0;
  double cap = 0.0;         // exponential cap (0: none)
  double on_end = 0.0;
  std::uint64_t cbr_k = 0;
  double size_a = 0.0, size_b = 0.0;
  std::int32_t cand_off = 0;  // Generic sizes: first candidate in the Sim's shared tables
  TimeDist td = TimeDist::Poisson;
  SizeDist sd = SizeDist::Deterministic;
  OnOffGaps gaps = OnOffGaps::Exponential;  // ON-OFF: gaps inside ON periods
  bool first_in_period = true;  // ON-OFF: the next gap is the first of an ON period
  // ---- line 1: counters (packets generated in the window), path, delay moments ----
  std::uint64_t gen = 0;
  double bits_gen = 0.0;
  std::int32_t hop_off = 0;  // into Sim::hops_ (global queue indices)
  std::int32_t nhops = 0;
  std::int32_t slot = 0;     // the pair's BatchAcc
  std::int32_t cand_n = 0;   // Generic sizes: number of candidates
  DelayStats delay;
  // ---- the delay histogram, then what the loop rarely touches ----
  LogHistogram hist;
  std::uint64_t drops = 0;
  double lambda = 0.0;      // packets/s (ON rate for ON-OFF)
  double gap_lo = 0.0, gap_hi = 0.0;  // Uniform gaps
  double t_off = 0.0, t_on = 0.0;     // ON-OFF means
  std::int32_t pair = 0;
  bool start_on = false;  // ON-OFF: an ON period starts at t = 0
  bool active = false;
  std::vector<double> exact;

  explicit FlowState(double rel_width) : hist(rel_width) {}

  // cum/size: the Sim's shared Generic candidate tables.
  double draw_size(const double* cum, const double* size) {
    switch (sd) {
      case SizeDist::Deterministic: return size_a;
      case SizeDist::Uniform: return std::floor(size_a + rng.uniform() * (size_b - size_a + 1.0));
      case SizeDist::Binomial: return (rng.next() >> 63U) != 0U ? size_b : size_a;
      case SizeDist::Generic: {
        // The first candidate whose cumulative probability exceeds u (the last one if none does):
        // for a few candidates a branch-free count of the cumulative probabilities that do not
        // exceed u (the same index as the binary search: the table is sorted), else a binary
        // search, so distributions with many candidates cost O(log n) per packet.
        const double* first = cum + cand_off;
        const double* last = first + cand_n - 1;
        const double u = rng.uniform() * *last;
        if (cand_n <= 16) {
          std::int32_t idx = 0;
          for (const double* c = first; c != last; ++c) idx += !(u < *c) ? 1 : 0;
          return size[cand_off + idx];
        }
        return size[cand_off + (std::upper_bound(first, last, u) - first)];
      }
      case SizeDist::Trace: break;
    }
    return size_a;
  }

  // The first generation time.
  double first_time() {
    switch (td) {
      case TimeDist::CBR: cbr_k = 1; return mean_gap;
      case TimeDist::OnOff: {
        const double on_start = start_on ? 0.0 : rng.exponential(t_off, cap * t_off);
        on_end = on_start + rng.exponential(t_on, cap * t_on);
        return on_start;  // the extra packet at the start of every ON period
      }
      default: return next_time(0.0);
    }
  }

  double next_time(double now) {
    switch (td) {
      case TimeDist::Poisson: return now + rng.exponential(mean_gap, cap * mean_gap);
      case TimeDist::CBR: return static_cast<double>(++cbr_k) * mean_gap;
      case TimeDist::Uniform: return now + gap_lo + rng.uniform() * (gap_hi - gap_lo);
      case TimeDist::OnOff: {
        double gap = 0.0;
        switch (gaps) {
          case OnOffGaps::Exponential: gap = rng.exponential(mean_gap, cap * mean_gap); break;
          case OnOffGaps::Deterministic: gap = mean_gap; break;
          case OnOffGaps::DeterministicPhase:
            gap = first_in_period ? rng.uniform() * mean_gap : mean_gap;
            break;
        }
        first_in_period = false;
        const double t = now + gap;
        if (t < on_end) return t;
        first_in_period = true;
        const double on_start = on_end + rng.exponential(t_off, cap * t_off);
        on_end = on_start + rng.exponential(t_on, cap * t_on);
        return on_start;
      }
      default: break;
    }
    return std::numeric_limits<double>::infinity();
  }
};

std::string pair_name(int k, int n) {
  std::ostringstream os;
  os << "pair (" << k / n << "," << k % n << ")";
  return os.str();
}

[[noreturn]] void fail(const std::string& msg) { throw Error("sim: " + msg); }

double param(const std::vector<double>& v, std::size_t i, double fallback) {
  return i < v.size() ? v[i] : fallback;
}

// ---- the simulator --------------------------------------------------------------------------------

class Sim {
 public:
  Sim(const net::Sample& s, const SimConfig& cfg) : s_(s), cfg_(cfg) {
    check_config();
    build_ports();
    build_flows();
  }

  SimOutput run();

 private:
  void check_config() const;
  void build_ports();
  void build_flows();
  void setup_flow(FlowState& f, const net::Flow& fl, const std::string& where);

  void push(double t, std::uint32_t id) { events_.push(EventQueue::key(t, seq_++, id)); }
  std::int32_t alloc() {
    if (free_ != kNone) {
      const std::int32_t p = free_;
      free_ = pkts_[static_cast<std::size_t>(p)].next;
      return p;
    }
    pkts_.emplace_back();
    return static_cast<std::int32_t>(pkts_.size() - 1);
  }
  void release(std::int32_t p) {
    pkts_[static_cast<std::size_t>(p)].next = free_;
    free_ = p;
  }
  void generate(std::int32_t f, double now);
  void arrive(std::int32_t pid, Hop hop, double now);
  void depart(std::int32_t port, double now);
  void start_service(Port& port, double now, std::int32_t port_idx);
  std::int32_t select(Port& port);
  void check(double now);  // closes a batch; may end the window
  void flush_deliveries();
  void close_batches() {
    flush_deliveries();
    for (std::size_t i = 0; i < acc_.size(); ++i) acc_[i].close(open_[i]);
  }
  [[nodiscard]] EventQueue make_event_queue(std::uint32_t num_ids) const;
  void stop_at(double now) {
    t_end_ = now;
    gen_end_ = now;
    stopped_ = true;
  }
  [[nodiscard]] double t_quantile() const;

  const net::Sample& s_;
  const SimConfig& cfg_;
  double t_begin_ = 0.0;  // window start
  double t_end_ = 0.0;    // window end
  double gen_end_ = 0.0;  // end of generation (t_end_ plus a rounding slack)
  double batch_len_ = 0.0;
  std::uint32_t batches_ = 0;      // closed batches
  std::uint64_t window_gen_ = 0;   // packets generated in the window
  bool stopped_ = false;
  std::vector<BatchAcc> acc_;      // per pair with traffic
  std::vector<BatchOpen> open_;    // the open batch of each acc_ slot
  std::vector<std::int32_t> slot_pair_;  // pair index of each slot
  std::vector<Port> ports_;
  std::vector<double> port_bw_;  // bit/s, per port
  std::vector<double> vtime_;    // per port: WFQ (SCFQ, StartTime) virtual time
  std::vector<Queue> queues_;
  std::vector<double> busy_;     // per queue: transmission time inside the window (s), see Port::busy_s
  std::vector<FlowState> flows_;
  std::vector<Hop> hops_;
  std::vector<Hop> first_hop_;  // per flow: hops_[hop_off], where its packets arrive first
  std::vector<double> cand_size_, cand_cum_;  // Generic size tables, shared by identical flows
  std::map<std::vector<double>, std::int32_t> cand_index_;  // table -> offset (set-up only)
  std::vector<Packet> pkts_;
  std::int32_t free_ = kNone;
  // Deliveries not yet counted into their flows' statistics (in delivery order), and the flows'
  // pending histogram bin counts: see flush_deliveries().
  struct Delivery {
    std::int32_t flow;
    double delay;
    double ln_delay;
  };
  std::array<Delivery, 256> deliveries_{};
  std::size_t n_deliveries_ = 0;
  BinIncrements bin_incs_;
  // Pending events: the flows' generations and the batch check in the calendar queue (ids: flow
  // index, the check nflows), the ports' departures in a tournament tree (slot and id: port index).
  // Keys are unique (sequence numbers), so the smaller of the two minima is exactly the event a
  // single queue would pop.
  EventQueue events_{1, 1.0, 64};  // sized in run()
  KeyTree departures_{1};          // sized in run()
  std::uint64_t seq_ = 0;
  SimCounters c_;
  std::uint64_t in_flight_ = 0;
};

void Sim::check_config() const {
  if (!(cfg_.sim_time_s > 0.0) || !std::isfinite(cfg_.sim_time_s)) {
    fail("SimConfig.sim_time_s must be a positive number of seconds, got " + std::to_string(cfg_.sim_time_s));
  }
  if (!(cfg_.warmup_s >= 0.0) || !std::isfinite(cfg_.warmup_s)) {
    fail("SimConfig.warmup_s must be >= 0, got " + std::to_string(cfg_.warmup_s));
  }
  if (!(cfg_.drr_quantum_bits > 0.0)) {
    fail("SimConfig.drr_quantum_bits must be > 0, got " + std::to_string(cfg_.drr_quantum_bits));
  }
  if (!(cfg_.confidence >= 0.5 && cfg_.confidence <= 0.999)) {
    fail("SimConfig.confidence must be in [0.5, 0.999], got " + std::to_string(cfg_.confidence));
  }
  if (!(cfg_.batch_s >= 0.0) || !std::isfinite(cfg_.batch_s)) {
    fail("SimConfig.batch_s must be >= 0 (0: automatic), got " + std::to_string(cfg_.batch_s));
  }
  if (cfg_.queue_limit_packets > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) {
    fail("SimConfig.queue_limit_packets must be <= " + std::to_string(std::numeric_limits<std::int32_t>::max()) +
         " (0: no packet limit, buffers in bits only), got " + std::to_string(cfg_.queue_limit_packets));
  }
  if (cfg_.stop != StopRule::FixedTime) {
    if (!(cfg_.check_interval_s > 0.0) || !std::isfinite(cfg_.check_interval_s)) {
      fail("SimConfig.check_interval_s must be > 0, got " + std::to_string(cfg_.check_interval_s));
    }
    if (!(cfg_.max_sim_time_s > 0.0) || !std::isfinite(cfg_.max_sim_time_s)) {
      fail("SimConfig.max_sim_time_s must be a positive number of seconds, got " +
           std::to_string(cfg_.max_sim_time_s));
    }
  }
  if (cfg_.stop == StopRule::PacketCount && cfg_.max_packets == 0) {
    fail("SimConfig.max_packets must be > 0 with StopRule::PacketCount");
  }
  if (cfg_.stop == StopRule::Converged) {
    if (!(cfg_.rel_precision > 0.0)) {
      fail("SimConfig.rel_precision must be > 0, got " + std::to_string(cfg_.rel_precision));
    }
    if (!(cfg_.min_sim_time_s >= 0.0) || cfg_.min_sim_time_s > cfg_.max_sim_time_s) {
      fail("SimConfig.min_sim_time_s must be in [0, max_sim_time_s], got " + std::to_string(cfg_.min_sim_time_s));
    }
    if (cfg_.min_batches < 2) fail("SimConfig.min_batches must be >= 2, got " + std::to_string(cfg_.min_batches));
  }
}

void Sim::build_ports() {
  const auto& topo = s_.topology;
  const int n = topo.num_nodes();
  for (int i = 0; i < n; ++i) {
    const net::Node& node = topo.nodes[static_cast<std::size_t>(i)];
    if (node.num_queues() < 1) fail("node " + std::to_string(i) + ": has no queues (bufferSizes is empty)");
    if (node.queue_tos.size() != node.buffer_bits.size()) {
      fail("node " + std::to_string(i) + ": tosToQoSqueue has " + std::to_string(node.queue_tos.size()) +
           " groups but bufferSizes has " + std::to_string(node.buffer_bits.size()) + " queues");
    }
    if ((node.policy == Policy::WFQ || node.policy == Policy::DRR) && !node.weights.empty()) {
      if (node.weights.size() != node.buffer_bits.size()) {
        fail("node " + std::to_string(i) + ": " + net::to_string(node.policy) + " has " +
             std::to_string(node.weights.size()) + " weights for " + std::to_string(node.buffer_bits.size()) +
             " queues");
      }
      for (const double w : node.weights) {
        if (!(w > 0.0)) fail("node " + std::to_string(i) + ": weights must be > 0, got " + std::to_string(w));
      }
    }
  }
  ports_.resize(topo.links.size());
  for (std::size_t li = 0; li < topo.links.size(); ++li) {
    const net::Link& l = topo.links[li];
    if (l.src < 0 || l.src >= n || l.dst < 0 || l.dst >= n) {
      fail("link " + std::to_string(li) + ": endpoints " + std::to_string(l.src) + "->" + std::to_string(l.dst) +
           " are outside 0.." + std::to_string(n - 1));
    }
    if (!(l.bandwidth_bps > 0.0) || !std::isfinite(l.bandwidth_bps)) {
      fail("link " + std::to_string(l.src) + "->" + std::to_string(l.dst) + ": bandwidth must be > 0 bit/s, got " +
           std::to_string(l.bandwidth_bps));
    }
    const net::Node& node = topo.nodes[static_cast<std::size_t>(l.src)];
    Port& p = ports_[li];
    port_bw_.push_back(l.bandwidth_bps);
    vtime_.push_back(0.0);
    p.inv_bw = 1.0 / l.bandwidth_bps;
    p.policy = node.policy;
    p.q0 = static_cast<std::int32_t>(queues_.size());
    p.busy_q = p.q0;
    p.nq = node.num_queues();
    double max_w = 0.0;
    double sum_w = 0.0;
    for (int q = 0; q < p.nq; ++q) {
      const double w = node.weights.empty() ? 1.0 : node.weights[static_cast<std::size_t>(q)];
      max_w = std::max(max_w, w);
      sum_w += w;
    }
    const double scale = cfg_.drr_scale == DrrQuantumScale::MaxWeight ? max_w : sum_w;
    for (int q = 0; q < p.nq; ++q) {
      Queue qu;
      qu.buffer = node.buffer_bits[static_cast<std::size_t>(q)];
      qu.weight = node.weights.empty() ? 1.0 : node.weights[static_cast<std::size_t>(q)];
      qu.quantum = cfg_.drr_quantum_bits * qu.weight / scale;
      qu.inv_share = sum_w / qu.weight;
      queues_.push_back(qu);
      busy_.push_back(0.0);
    }
  }
}

void Sim::setup_flow(FlowState& f, const net::Flow& fl, const std::string& where) {
  const double avg_size = fl.avg_pkt_size_bits;
  const auto& tp = fl.time_params;
  auto rate = [&]() {
    double lam = param(tp, 0, 0.0);
    if (!(lam > 0.0) && avg_size > 0.0) lam = fl.eq_lambda_bps / avg_size;
    return lam;
  };
  f.td = fl.time_dist;
  switch (fl.time_dist) {
    case TimeDist::Poisson:
      f.lambda = rate();
      f.cap = param(tp, 1, 0.0);
      break;
    case TimeDist::CBR: f.lambda = rate(); break;
    case TimeDist::Uniform: {
      const double lo = param(tp, 0, 0.0);
      const double hi = param(tp, 1, 0.0);
      if (!(lo > 0.0) || !(hi >= lo)) {
        fail(where + ": Uniform time distribution needs 0 < MinPktLambda <= MaxPktLambda, got " + std::to_string(lo) +
             ", " + std::to_string(hi));
      }
      f.gap_lo = 1.0 / hi;
      f.gap_hi = 1.0 / lo;
      f.lambda = 2.0 / (f.gap_lo + f.gap_hi);
      break;
    }
    case TimeDist::OnOff:
      if (tp.size() < 3) fail(where + ": ON-OFF needs PktsLambdaOn, AvgTOff, AvgTOn");
      f.lambda = tp[0];
      f.t_off = tp[1];
      f.t_on = tp[2];
      f.cap = param(tp, 3, 0.0);
      f.gaps = cfg_.onoff_gaps;
      f.start_on = cfg_.onoff_start == OnOffStart::On;
      if (!(f.t_off >= 0.0) || !(f.t_on > 0.0)) {
        fail(where + ": ON-OFF needs AvgTOff >= 0 and AvgTOn > 0, got " + std::to_string(f.t_off) + ", " +
             std::to_string(f.t_on));
      }
      break;
    default:
      fail(where + ": time distribution code " + std::to_string(static_cast<int>(fl.time_dist)) +
           " is not supported (expected Poisson 0, CBR 1, Uniform 2 or ON-OFF 4)");
  }
  if (fl.time_dist != TimeDist::Uniform) {
    if (!(f.lambda >= 0.0) || !std::isfinite(f.lambda)) fail(where + ": packet rate must be >= 0");
    f.mean_gap = f.lambda > 0.0 ? 1.0 / f.lambda : 0.0;
  }
  f.active = f.lambda > 0.0;

  f.sd = fl.size_dist;
  switch (fl.size_dist) {
    case SizeDist::Deterministic: f.size_a = avg_size; break;
    case SizeDist::Uniform:
    case SizeDist::Binomial:
      if (fl.size_params.size() < 2) fail(where + ": size distribution needs two size parameters");
      f.size_a = fl.size_params[0];
      f.size_b = fl.size_params[1];
      if (fl.size_dist == SizeDist::Uniform && f.size_b < f.size_a) {
        fail(where + ": Uniform sizes need MinSize <= MaxSize");
      }
      if (!(std::min(f.size_a, f.size_b) >= 1.0)) fail(where + ": packet sizes must be >= 1 bit");
      break;
    case SizeDist::Generic: {
      if (fl.candidates.empty()) fail(where + ": Generic size distribution has no candidates");
      // The (size, cumulative probability) table; identical tables are stored once, so that the
      // flows of a sample share a few hot tables.
      std::vector<double> key;  // sizes, then cumulative probabilities
      key.reserve(2 * fl.candidates.size());
      double cum = 0.0;
      for (const net::SizeProb& c : fl.candidates) {
        if (!(c.size_bits > 0.0) || !(c.prob >= 0.0)) {
          fail(where + ": Generic candidates need size > 0 and prob >= 0");
        }
        key.push_back(c.size_bits);
      }
      for (const net::SizeProb& c : fl.candidates) {
        cum += c.prob;
        key.push_back(cum);
      }
      if (!(cum > 0.0)) fail(where + ": Generic candidate probabilities sum to 0");
      const auto nc = fl.candidates.size();
      if (cand_size_.size() + nc > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        fail(where + ": too many Generic size candidates in the sample");
      }
      const auto [it, inserted] = cand_index_.try_emplace(std::move(key), static_cast<std::int32_t>(cand_size_.size()));
      if (inserted) {
        cand_size_.insert(cand_size_.end(), it->first.begin(), it->first.begin() + static_cast<std::ptrdiff_t>(nc));
        cand_cum_.insert(cand_cum_.end(), it->first.begin() + static_cast<std::ptrdiff_t>(nc), it->first.end());
      }
      f.cand_off = it->second;
      f.cand_n = static_cast<std::int32_t>(nc);
      break;
    }
    default:
      fail(where + ": size distribution code " + std::to_string(static_cast<int>(fl.size_dist)) +
           " is not supported (expected Deterministic 0, Uniform 1, Binomial 2 or Generic 3)");
  }
  if (fl.size_dist == SizeDist::Deterministic && !(avg_size > 0.0)) {
    fail(where + ": Deterministic size needs AvgPktSize > 0");
  }
}

void Sim::build_flows() {
  const auto& topo = s_.topology;
  const int n = topo.num_nodes();
  const auto nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  if (s_.traffic.pairs.size() != nn) {
    fail("traffic has " + std::to_string(s_.traffic.pairs.size()) + " pair entries, expected N*N = " +
         std::to_string(nn));
  }
  std::vector<std::int32_t> link_of(nn, kNone);
  for (std::size_t li = 0; li < topo.links.size(); ++li) {
    const net::Link& l = topo.links[li];
    link_of[static_cast<std::size_t>(l.src) * static_cast<std::size_t>(n) + static_cast<std::size_t>(l.dst)] =
        static_cast<std::int32_t>(li);
  }
  for (std::size_t k = 0; k < nn; ++k) {
    const auto& pair_flows = s_.traffic.pairs[k];
    if (!pair_flows.empty()) {
      acc_.emplace_back();
      open_.emplace_back();
      slot_pair_.push_back(static_cast<std::int32_t>(k));
    }
    for (std::size_t j = 0; j < pair_flows.size(); ++j) {
      const net::Flow& fl = pair_flows[j];
      const std::string where = pair_name(static_cast<int>(k), n) + " flow " + std::to_string(j);
      FlowState f(cfg_.histogram_rel_width);
      f.rng = RandomStream(cfg_.seed, k, j);
      f.pair = static_cast<std::int32_t>(k);
      f.slot = static_cast<std::int32_t>(acc_.size() - 1);
      setup_flow(f, fl, where);
      // The path: routing.paths[k] from src to dst, hop by hop.
      const int src = static_cast<int>(k) / n;
      const int dst = static_cast<int>(k) % n;
      if (src == dst) fail(where + ": traffic from a node to itself");
      if (s_.routing.paths.size() != nn || s_.routing.paths[k].size() < 2) {
        fail(where + ": has traffic but routing gives no path");
      }
      const auto& path = s_.routing.paths[k];
      if (path.front() != src || path.back() != dst) {
        fail(where + ": routing path does not run from " + std::to_string(src) + " to " + std::to_string(dst));
      }
      f.hop_off = static_cast<std::int32_t>(hops_.size());
      for (std::size_t h = 0; h + 1 < path.size(); ++h) {
        const int a = path[h];
        const int b = path[h + 1];
        const std::int32_t li = (a >= 0 && a < n && b >= 0 && b < n)
                                    ? link_of[static_cast<std::size_t>(a) * static_cast<std::size_t>(n) +
                                              static_cast<std::size_t>(b)]
                                    : kNone;
        if (li == kNone) {
          fail(where + ": routing path uses " + std::to_string(a) + "->" + std::to_string(b) +
               ", which is not a link of the topology");
        }
        const int q = topo.nodes[static_cast<std::size_t>(a)].queue_of_tos(fl.tos);
        if (q < 0) {
          fail(where + ": ToS " + std::to_string(fl.tos) + " maps to no queue of node " + std::to_string(a) +
               " (tosToQoSqueue)");
        }
        hops_.push_back(Hop{ports_[static_cast<std::size_t>(li)].q0 + q, li});
      }
      f.nhops = static_cast<std::int32_t>(path.size() - 1);
      first_hop_.push_back(hops_[static_cast<std::size_t>(f.hop_off)]);
      flows_.push_back(std::move(f));
    }
  }
}

std::int32_t Sim::select(Port& port) {
  const std::int32_t q0 = port.q0;
  const std::int32_t nq = port.nq;
  if (port.policy != Policy::DRR && nq <= Port::kMaskedQueues) {
    // A packet is waiting, so nonempty != 0. One nonempty queue: FIFO, SP and WFQ all pick it; else
    // SP picks the first, FIFO and WFQ the smallest key (the first of equal ones), over the
    // nonempty queues only (the same choice as the scan below).
    std::uint64_t m = port.nonempty;
    const std::int32_t first = q0 + std::countr_zero(m);
    if (port.policy == Policy::SP || (m & (m - 1)) == 0) return first;
    std::int32_t best = kNone;
    double best_key = 0.0;
    for (; m != 0; m &= m - 1) {
      const std::int32_t q = q0 + std::countr_zero(m);
      const Packet& h = pkts_[static_cast<std::size_t>(queues_[static_cast<std::size_t>(q)].head)];
      const double key = port.policy == Policy::WFQ ? h.tag : h.port_arr_t;
      if (best == kNone || key < best_key) {
        best = q;
        best_key = key;
      }
    }
    return best;
  }
  auto head = [&](std::int32_t q) -> const Packet& {
    return pkts_[static_cast<std::size_t>(queues_[static_cast<std::size_t>(q)].head)];
  };
  auto nonempty = [&](std::int32_t q) { return queues_[static_cast<std::size_t>(q)].head != kNone; };
  switch (port.policy) {
    case Policy::SP:
      for (std::int32_t q = q0; q < q0 + nq; ++q) {
        if (nonempty(q)) return q;
      }
      break;
    case Policy::FIFO:
    case Policy::WFQ: {
      std::int32_t best = kNone;
      double best_key = 0.0;
      for (std::int32_t q = q0; q < q0 + nq; ++q) {
        if (!nonempty(q)) continue;
        const double key = port.policy == Policy::WFQ ? head(q).tag : head(q).port_arr_t;
        if (best == kNone || key < best_key) {
          best = q;
          best_key = key;
        }
      }
      return best;
    }
    case Policy::DRR:
      for (;;) {
        const std::int32_t q = q0 + port.drr_ptr;
        Queue& qu = queues_[static_cast<std::size_t>(q)];
        if (qu.head == kNone) {
          qu.deficit = 0.0;
        } else {
          if (port.drr_fresh) {
            qu.deficit += qu.quantum;
            port.drr_fresh = false;
          }
          const double size = pkts_[static_cast<std::size_t>(qu.head)].size;
          if (size <= qu.deficit) {
            qu.deficit -= size;
            return q;
          }
        }
        port.drr_ptr = (port.drr_ptr + 1) % nq;
        port.drr_fresh = true;
      }
  }
  return kNone;
}

void Sim::start_service(Port& port, double now, std::int32_t port_idx) {
  const std::int32_t q = select(port);
  Queue& qu = queues_[static_cast<std::size_t>(q)];
  const std::int32_t pid = qu.head;
  Packet& p = pkts_[static_cast<std::size_t>(pid)];
  qu.head = p.next;
  if (qu.head == kNone) {
    qu.tail = kNone;
    if (port.nq <= Port::kMaskedQueues) port.nonempty &= ~(std::uint64_t{1} << static_cast<unsigned>(q - port.q0));
    if (port.policy == Policy::DRR) {  // an emptied queue leaves the round with no deficit
      qu.deficit = 0.0;
      port.drr_ptr = (port.drr_ptr + 1) % port.nq;
      port.drr_fresh = true;
    }
  }
  --port.waiting;
  port.in_service = pid;
  port.in_service_q = q;
  port.next_queue = p.next_queue;  // on the last hop meaningless: the departure delivers
  port.next_port = p.next_port;
  if (port.policy == Policy::WFQ && (cfg_.wfq == WfqVariant::SCFQ || cfg_.wfq == WfqVariant::StartTime)) {
    vtime_[static_cast<std::size_t>(port_idx)] = p.tag;
  }
  const double t_dep = now + p.size * port.inv_bw;
  const auto slot = static_cast<std::uint32_t>(port_idx);
  const u128 k = EventQueue::key(t_dep, seq_++, slot);
  if (k <= departures_.key(slot)) {
    departures_.lower(slot, k);  // the port was idle (its slot empty)
  } else {
    departures_.set(slot, k);    // after a departure: replaces the key just popped
  }
}

void Sim::generate(std::int32_t fi, double now) {
  FlowState& f = flows_[static_cast<std::size_t>(fi)];
  const std::int32_t pid = alloc();
  Packet& p = pkts_[static_cast<std::size_t>(pid)];
  p.gen_t = now;
  p.size = f.draw_size(cand_cum_.data(), cand_size_.data());
  p.flow = fi;
  p.hop_idx = f.hop_off;
  p.hops_left = f.nhops;
  p.counted = now >= t_begin_;
  if (p.counted) {
    ++f.gen;
    f.bits_gen += p.size;
    ++window_gen_;
    if (cfg_.stop == StopRule::PacketCount && !stopped_ && window_gen_ >= cfg_.max_packets) stop_at(now);
  }
  ++c_.packets_generated;
  ++in_flight_;
  c_.max_packets_in_flight = std::max(c_.max_packets_in_flight, in_flight_);
  arrive(pid, first_hop_[static_cast<std::size_t>(fi)], now);
}

// The packet arrives at its hop `hop` (hops_[p.hop_idx], passed by the caller).
void Sim::arrive(std::int32_t pid, Hop hop, double now) {
  Packet& p = pkts_[static_cast<std::size_t>(pid)];
  const std::int32_t q = hop.queue;
  Queue& qu = queues_[static_cast<std::size_t>(q)];
  const bool in_window = now >= t_begin_ && now < t_end_;  // ports: arrivals in [warmup, warmup + T)
  const bool pkts_full = cfg_.queue_limit_packets > 0 &&
                         static_cast<std::uint32_t>(qu.occ_pkts) >= cfg_.queue_limit_packets;
  if (qu.occ_bits + p.size > qu.buffer || pkts_full) {  // tail drop
    if (in_window) ++qu.drops;
    if (p.counted) ++flows_[static_cast<std::size_t>(p.flow)].drops;
    ++c_.packets_dropped;
    --in_flight_;
    release(pid);
    return;
  }
  qu.occ_bits += p.size;
  ++qu.occ_pkts;
  {
    const Hop& nh = hops_[static_cast<std::size_t>(p.hop_idx + (p.hops_left > 1 ? 1 : 0))];
    p.next_queue = nh.queue;
    p.next_port = nh.port;
  }
  p.port_arr_t = now;
  p.port_counted = in_window;
  if (in_window) {
    ++qu.accepted;
    qu.bits += p.size;
    qu.max_occ = std::max(qu.max_occ, qu.occ_bits);
  }
  const std::int32_t port_idx = hop.port;
  Port& port = ports_[static_cast<std::size_t>(port_idx)];
  if (port.policy == Policy::WFQ) {
    switch (cfg_.wfq) {
      case WfqVariant::SCFQ:
        p.tag = std::max(vtime_[static_cast<std::size_t>(hop.port)], qu.last_finish) + p.size / qu.weight;
        qu.last_finish = p.tag;
        break;
      case WfqVariant::StartTime:
        p.tag = std::max(vtime_[static_cast<std::size_t>(hop.port)], qu.last_finish);
        qu.last_finish = p.tag + p.size / qu.weight;
        break;
      case WfqVariant::VirtualClock:
        p.tag = std::max(now, qu.last_finish) + p.size * qu.inv_share * port.inv_bw;
        qu.last_finish = p.tag;
        break;
      case WfqVariant::Cumulative:  // no virtual time: bits / weight accepted since t = 0 (the reference)
        p.tag = qu.last_finish + p.size / qu.weight;
        qu.last_finish = p.tag;
        break;
    }
  }
  p.next = kNone;
  if (qu.tail == kNone) {
    qu.head = pid;
    if (port.nq <= Port::kMaskedQueues) port.nonempty |= std::uint64_t{1} << static_cast<unsigned>(q - port.q0);
  } else {
    pkts_[static_cast<std::size_t>(qu.tail)].next = pid;
  }
  qu.tail = pid;
  ++port.waiting;
  if (port.in_service == kNone) start_service(port, now, port_idx);
}

void Sim::depart(std::int32_t port_idx, double now) {
  Port& port = ports_[static_cast<std::size_t>(port_idx)];
  const std::int32_t pid = port.in_service;
  const std::int32_t q = port.in_service_q;
  const Hop next{port.next_queue, port.next_port};
  // Everything below hangs off these four lines; request them together.
  __builtin_prefetch(&pkts_[static_cast<std::size_t>(pid)], 1);
  __builtin_prefetch(&queues_[static_cast<std::size_t>(q)], 1);
  __builtin_prefetch(&queues_[static_cast<std::size_t>(next.queue)], 1);
  __builtin_prefetch(reinterpret_cast<const char*>(&queues_[static_cast<std::size_t>(next.queue)]) + 64, 1);
  __builtin_prefetch(&ports_[static_cast<std::size_t>(next.port)], 1);
  Packet& p = pkts_[static_cast<std::size_t>(pid)];
  Queue& qu = queues_[static_cast<std::size_t>(q)];
  // The packet that this queue serves next (start_service below, unless another queue of the port
  // wins); packet 0 when the queue is empty (harmless).
  __builtin_prefetch(&pkts_[static_cast<std::size_t>(std::max(qu.head, 0))]);
  qu.occ_bits -= p.size;
  --qu.occ_pkts;
  if (qu.head == kNone) qu.occ_bits = 0.0;  // no rounding drift once the queue is empty
  if (p.port_counted) qu.sojourn_sum += now - p.port_arr_t;
  {
    const double start = std::max(now - p.size * port.inv_bw, t_begin_);
    const double stop = std::min(now, t_end_);
    if (stop > start) {
      if (q != port.busy_q) {
        busy_[static_cast<std::size_t>(port.busy_q)] = port.busy_s;
        port.busy_s = busy_[static_cast<std::size_t>(q)];
        port.busy_q = q;
      }
      port.busy_s += stop - start;
    }
  }
  port.in_service = kNone;
  port.in_service_q = kNone;
  ++c_.transmissions;

  ++p.hop_idx;
  if (--p.hops_left == 0) {
    if (p.counted) {
      deliveries_[n_deliveries_++] = Delivery{p.flow, now - p.gen_t, 0.0};  // ln in flush_deliveries()
      if (n_deliveries_ == deliveries_.size()) flush_deliveries();
    }
    ++c_.packets_delivered;
    --in_flight_;
    release(pid);
  } else {
    arrive(pid, next, now);
  }
  if (port.in_service == kNone) {
    if (port.waiting > 0) {
      start_service(port, now, port_idx);  // replaces the port's key in departures_
    } else {
      departures_.set(static_cast<std::uint32_t>(port_idx), KeyTree::kNoKey);
      if (port.policy == Policy::WFQ && cfg_.wfq != WfqVariant::Cumulative) {  // idle: restart virtual time
        vtime_[static_cast<std::size_t>(port_idx)] = 0.0;
        for (std::int32_t q = port.q0; q < port.q0 + port.nq; ++q) queues_[static_cast<std::size_t>(q)].last_finish = 0.0;
      }
    }
  }
}

// A delivery's statistics (the flow's delay moments and histogram, the pair's open batch) are
// scattered over memory that the event loop does not otherwise touch, so deliveries are logged
// and counted here in batches: first the cache lines of the whole batch are requested, then the
// updates run in delivery order (so every floating-point sum is formed exactly as one by one),
// and the histogram bin counts go through BinIncrements. Nothing reads these statistics before
// a flush (the batch check and the results flush first).
void Sim::flush_deliveries() {
  const std::span<Delivery> batch(deliveries_.data(), n_deliveries_);
  for (Delivery& e : batch) {
    const FlowState& f = flows_[static_cast<std::size_t>(e.flow)];
    __builtin_prefetch(&f.delay, 1);
    __builtin_prefetch(&f.hist, 1);
    e.ln_delay = std::log(e.delay);
  }
  const bool exact = cfg_.percentiles == PercentileMode::Exact;
  for (const Delivery& e : batch) {
    FlowState& f = flows_[static_cast<std::size_t>(e.flow)];
    f.delay.add(e.delay, e.ln_delay);
    BatchOpen& a = open_[static_cast<std::size_t>(f.slot)];
    a.s += e.delay;
    a.n += 1.0;
    if (exact) {
      f.exact.push_back(e.delay);
    } else {
      f.hist.add_ln_deferred(e.delay, e.ln_delay, bin_incs_);
    }
  }
  n_deliveries_ = 0;
  bin_incs_.flush();
}

// The calendar's bucket width: one mean inter-event time, from the expected rate of its events
// (the generations; departures are in the tree), so that a bucket's list is short; its size: a
// horizon of many buckets, so that few flow gaps overflow it. Only the speed depends on these,
// never the event order.
EventQueue Sim::make_event_queue(std::uint32_t num_ids) const {
  double rate = 0.0;  // events per simulated second
  for (const FlowState& f : flows_) {
    if (!f.active) continue;
    double lambda = f.lambda;
    if (f.td == TimeDist::OnOff) lambda *= f.t_on / (f.t_on + f.t_off);
    rate += lambda;
  }
  constexpr double kEventsPerBucket = 1.0;
  constexpr double kBucketsPerId = 8.0;
  const double w = kEventsPerBucket / rate;
  const double width = rate > 0.0 && std::isfinite(w) && w > 0.0 ? w : 1.0;
  const auto buckets = static_cast<std::uint32_t>(std::min<double>(kBucketsPerId * num_ids, 1U << 22U));
  return EventQueue(num_ids, width, buckets);
}

double Sim::t_quantile() const {
  const double nu = batches_ > 1 ? static_cast<double>(batches_ - 1) : 1.0;
  return student_t_quantile(0.5 + 0.5 * cfg_.confidence, nu);
}

void Sim::check(double now) {
  close_batches();
  ++batches_;
  if (stopped_) return;
  const double window = now - t_begin_;
  if (cfg_.stop == StopRule::FixedTime) return;
  if (window >= cfg_.max_sim_time_s * (1.0 - 1e-12)) {
    stop_at(now);
    return;
  }
  if (cfg_.stop != StopRule::Converged || window < cfg_.min_sim_time_s || batches_ < cfg_.min_batches) return;
  const double tq = t_quantile();
  for (const BatchAcc& a : acc_) {
    if (a.tot_n <= 0.0) continue;  // nothing delivered (yet): no estimate to wait for
    if (a.half_width(batches_, tq) > cfg_.rel_precision * a.mean()) return;
  }
  stop_at(now);
}

net::PathStats path_stats(std::uint64_t gen, std::uint64_t drops, double bits, const DelayStats& d,
                          const LogHistogram& hist, std::vector<double>& exact, bool use_exact, double T) {
  net::PathStats ps;
  ps.avg_bw_bps = bits / T;
  ps.pkts_gen = static_cast<double>(gen) / T;
  ps.pkts_drop = static_cast<double>(drops) / T;
  if (d.n > 0) {
    ps.avg_delay = d.mean;
    ps.avg_ln_delay = d.sum_ln / static_cast<double>(d.n);
    ps.jitter = d.m2 / static_cast<double>(d.n);
    constexpr std::array<double, 5> kPs{0.1, 0.2, 0.5, 0.8, 0.9};
    std::array<double, 5> qs{};
    if (use_exact) {
      for (std::size_t i = 0; i < kPs.size(); ++i) qs[i] = exact_quantile(exact, kPs[i]);
    } else {
      hist.quantiles(kPs, qs);
    }
    ps.p10 = qs[0];
    ps.p20 = qs[1];
    ps.p50 = qs[2];
    ps.p80 = qs[3];
    ps.p90 = qs[4];
  }
  return ps;
}

SimOutput Sim::run() {
  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  t_begin_ = cfg_.warmup_s;
  const bool fixed = cfg_.stop == StopRule::FixedTime;
  t_end_ = cfg_.warmup_s + (fixed ? cfg_.sim_time_s : cfg_.max_sim_time_s);
  // Generation runs over [0, warmup + T], with a relative slack of 1e-12 so that a CBR packet due
  // exactly at the end (k / lambda == T up to rounding) is generated: its count is floor(lambda T).
  gen_end_ = t_end_ * (1.0 + 1e-12);
  batch_len_ = fixed ? (cfg_.batch_s > 0.0 ? cfg_.batch_s : cfg_.sim_time_s / 32.0) : cfg_.check_interval_s;
  if (std::max(flows_.size() + 1, ports_.size()) > EventQueue::kIdMask) {
    fail("too many flows or ports for the event queue (" + std::to_string(flows_.size()) + " flows, " +
         std::to_string(ports_.size()) + " ports)");
  }
  const auto nflows = static_cast<std::uint32_t>(flows_.size());
  const auto check_id = nflows;
  events_ = make_event_queue(check_id + 1);
  departures_ = KeyTree(std::max<std::uint32_t>(1, static_cast<std::uint32_t>(ports_.size())));
  for (std::uint32_t i = 0; i < nflows; ++i) {
    FlowState& f = flows_[i];
    if (!f.active) continue;
    const double t = f.first_time();
    if (t <= gen_end_) push(t, i);
  }
  push(t_begin_ + batch_len_, check_id);
  std::uint32_t fetched = check_id;  // the flow whose lines were last requested ahead
  for (;;) {
    const u128 dep = departures_.min();
    const u128 cal = events_.peek();
    {  // the calendar's next event is known exactly: request its flow's lines (no effect on results)
      const std::uint32_t next = EventQueue::id_of(cal);
      if (next != fetched && next < nflows) {
        __builtin_prefetch(&flows_[next]);
        __builtin_prefetch(reinterpret_cast<const char*>(&flows_[next]) + 64);
        __builtin_prefetch(&first_hop_[next]);
        fetched = next;
      }
    }
    if (dep < cal) {
      ++c_.events;
      depart(static_cast<std::int32_t>(EventQueue::id_of(dep)), EventQueue::time_of(dep));
      continue;
    }
    if (cal == EventQueue::kNoKey) break;  // both empty
    const u128 ev = events_.pop();
    ++c_.events;
    const std::uint32_t id = EventQueue::id_of(ev);
    const double now = EventQueue::time_of(ev);
    if (id < nflows) {
      if (now <= gen_end_) {  // else: scheduled before an early stop
        {  // the lines the new packet's arrival touches, requested before the size and gap draws
          const Hop h = first_hop_[id];
          __builtin_prefetch(&queues_[static_cast<std::size_t>(h.queue)], 1);
          __builtin_prefetch(reinterpret_cast<const char*>(&queues_[static_cast<std::size_t>(h.queue)]) + 64, 1);
          __builtin_prefetch(&ports_[static_cast<std::size_t>(h.port)], 1);
        }
        generate(static_cast<std::int32_t>(id), now);
        const double t = flows_[id].next_time(now);
        if (t <= gen_end_) push(t, id);
      }
    } else {  // the batch check
      check(now);
      if (!stopped_) {
        const double next = t_begin_ + batch_len_ * static_cast<double>(batches_ + 1);
        if (next <= t_end_ * (1.0 + 1e-12)) push(next, check_id);
      }
    }
  }
  flush_deliveries();
  // The drain (and any partial batch) joins the last closed batch.
  if (batches_ == 0) {
    close_batches();
    batches_ = 1;
  } else {
    for (std::size_t i = 0; i < acc_.size(); ++i) acc_[i].merge_open_into_last(open_[i]);
  }
  c_.peak_packet_slots = pkts_.size();

  // ---- results ----
  const double T = t_end_ - t_begin_;
  if (!(T > 0.0)) fail("the statistics window is empty (the stop rule ended it at its start)");
  const bool use_exact = cfg_.percentiles == PercentileMode::Exact;
  const int n = s_.topology.num_nodes();
  const auto nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  SimOutput out;
  net::Results& r = out.results;
  r.pairs.assign(nn, net::PathStats{});
  {
    std::size_t fi = 0;
    for (std::size_t k = 0; k < nn; ++k) {
      const std::size_t nf = s_.traffic.pairs[k].size();
      if (nf == 0) continue;
      std::uint64_t gen = 0, drops = 0;
      double bits = 0.0;
      DelayStats d;
      LogHistogram hist(cfg_.histogram_rel_width);
      std::vector<double> exact;
      for (std::size_t j = 0; j < nf; ++j, ++fi) {
        FlowState& f = flows_[fi];
        gen += f.gen;
        drops += f.drops;
        bits += f.bits_gen;
        d.merge(f.delay);
        if (use_exact) {
          exact.insert(exact.end(), f.exact.begin(), f.exact.end());
        } else if (nf > 1) {  // one flow: its own histogram serves the pair (no copy)
          hist.merge(f.hist);
        }
        if (cfg_.per_flow_results) {
          r.flows.push_back(path_stats(f.gen, f.drops, f.bits_gen, f.delay, f.hist, f.exact, use_exact, T));
        }
      }
      r.pairs[k] = path_stats(gen, drops, bits, d, nf == 1 ? flows_[fi - 1].hist : hist,
                              nf == 1 && use_exact ? flows_[fi - 1].exact : exact, use_exact, T);
    }
  }
  double delivered_sum = 0.0;
  double delay_sum = 0.0;
  for (const net::PathStats& ps : r.pairs) {
    r.global_packets += ps.pkts_gen;
    r.global_losses += ps.pkts_drop;
    const double delivered = ps.pkts_gen - ps.pkts_drop;
    if (delivered > 0.0 && ps.avg_delay >= 0.0) {
      delivered_sum += delivered;
      delay_sum += delivered * ps.avg_delay;
    }
  }
  r.global_delay = delivered_sum > 0.0 ? delay_sum / delivered_sum : 0.0;

  for (const Port& port : ports_) busy_[static_cast<std::size_t>(port.busy_q)] = port.busy_s;
  r.ports.resize(ports_.size());
  for (std::size_t pi = 0; pi < ports_.size(); ++pi) {
    const Port& port = ports_[pi];
    net::PortStats& ps = r.ports[pi];
    std::uint64_t arrivals = 0, drops = 0, accepted = 0;
    double bits = 0.0;
    for (std::int32_t q = port.q0; q < port.q0 + port.nq; ++q) {
      const Queue& qu = queues_[static_cast<std::size_t>(q)];
      const std::uint64_t q_arrivals = qu.accepted + qu.drops;
      net::QueueStats qs;
      qs.utilization = busy_[static_cast<std::size_t>(q)] / T;
      if (q_arrivals > 0) {
        qs.loss = static_cast<double>(qu.drops) / static_cast<double>(q_arrivals);
        if (qu.accepted > 0) {
          qs.avg_occupancy = qu.sojourn_sum / static_cast<double>(qu.accepted) * port_bw_[pi];
          qs.avg_pkt_size = qu.bits / static_cast<double>(qu.accepted);
        }
        qs.max_occupancy = qu.max_occ;
      }
      ps.utilization += qs.utilization;
      ps.queues.push_back(qs);
      arrivals += q_arrivals;
      drops += qu.drops;
      accepted += qu.accepted;
      bits += qu.bits;
    }
    ps.loss = arrivals > 0 ? static_cast<double>(drops) / static_cast<double>(arrivals) : 0.0;
    ps.avg_pkt_size = accepted > 0 ? bits / static_cast<double>(accepted) : 0.0;
  }
  out.batches = batches_;
  out.delay_half_width.assign(nn, -1.0);
  double metric = 0.0;
  {
    const double tq = t_quantile();
    for (std::size_t i = 0; i < acc_.size(); ++i) {
      const double hw = acc_[i].half_width(batches_, tq);
      out.delay_half_width[static_cast<std::size_t>(slot_pair_[i])] = hw;
      if (hw >= 0.0 && acc_[i].mean() > 0.0) metric = std::max(metric, hw / acc_[i].mean());
    }
  }
  r.run.sim_time = T;
  r.run.metric = metric;
  r.run.status = "OK";
  out.counters = c_;
  out.counters.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  out.counters.cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  return out;
}

}  // namespace

SimOutput run_simulation(const net::Sample& s, const SimConfig& cfg) {
  Sim sim(s, cfg);
  return sim.run();
}

net::Results simulate(const net::Sample& s, const SimConfig& cfg) { return run_simulation(s, cfg).results; }

}  // namespace autoopt::sim
