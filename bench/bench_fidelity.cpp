// Simulator fidelity against the reference: re-simulates the inputs of shared validation samples
// and compares our results with the reference labels (spec §5, §6, §8): per-path delay MAPE, jitter
// MAPE, loss MAE (percentage points), link-utilisation MAE, overall and by the source node's
// scheduling policy, ToS and time distribution; and the per-queue mean sojourn (occ / bandwidth)
// by policy and queue index against the reference linkUsage, as in the spec §8.2 table.
//
//   bench_fidelity [--data DIR] [--sizes 50,75] [--max-samples K] [--sim-time S] [--threads 2]
//                  [--seed N] [--warmup S] [--wfq scfq|stf|vc|cum] [--drr-quantum BITS]
//                  [--drr-scale max|sum] [--onoff-gaps exp|det|phase] [--onoff-start off|on] [--noise]
//                  [--dump FILE.csv]
//
// The run length of each sample is min(reference T, --sim-time). Simulated values are truncated to
// 6 decimals like the format writes them. --noise also runs every sample with a second seed and
// prints the simulator-vs-itself errors: the statistical floor of each figure at this run length.
// --dump FILE.csv writes one line per compared path (reference and simulated records, hop count,
// the policies along the path, the busiest reference port utilisation) and FILE.csv.queues.csv one
// line per queue (weights, reference and simulated u, occ, max, s), for breakdowns the tables lack.
// A plain main(), no Google Benchmark.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/gnnet.hpp"
#include "net/error.hpp"
#include "net/sample.hpp"
#include "sim/simulator.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

struct Options {
  fs::path data;
  std::vector<int> sizes{50, 75};
  std::size_t max_samples = 1000;
  double sim_time = 2000.0;
  unsigned threads = 2;
  sim::SimConfig cfg;
  bool noise = false;
  fs::path dump;  // --dump: per-path CSV of the reference and simulated records
};

// One compared path.
struct PathRec {
  int size = 0;
  net::Policy policy = net::Policy::FIFO;  // of the source node
  int tos = 0;
  net::TimeDist td = net::TimeDist::Poisson;
  double ref_delay = -1, sim_delay = -1;
  double ref_jitter = -1, sim_jitter = -1;
  double ref_loss = 0, sim_loss = 0;  // fractions
  // For --dump: the pair, its hop count, the full records and the path's busiest port (reference).
  int src = 0, dst = 0, hops = 0;
  std::string path_policies;  // one letter per hop: F S W D
  double ref_max_u = 0;
  net::PathStats ref, sim;
};

// One compared queue.
struct QueueRec {
  net::Policy policy = net::Policy::FIFO;
  int q = 0;
  double ref_port_u = 0, ref_port_loss = 0, sim_port_loss = 0;
  double ref_occ = 0, sim_occ = 0, ref_s = 0, sim_s = 0;
  double ref_max = 0, sim_max = 0, buffer = 0;
  double ref_u = 0, sim_u = 0;
  // For --dump: the port and its node's weights.
  int src = 0, dst = 0;
  double bw = 0;
  std::string weights;
};

struct PortRec {
  net::Policy policy = net::Policy::FIFO;
  double ref_u = 0, sim_u = 0;
};

struct SampleResult {
  std::string name;
  int size = 0;
  double ref_T = 0, T = 0;
  double wall = 0;
  std::uint64_t packets = 0;
  std::vector<PathRec> paths;
  std::vector<QueueRec> queues;
  std::vector<PortRec> ports;
};

double trunc6(double x) { return std::trunc(x * 1e6) / 1e6; }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const char* td_name(net::TimeDist td) {
  switch (td) {
    case net::TimeDist::Poisson: return "Poisson";
    case net::TimeDist::CBR: return "CBR";
    case net::TimeDist::OnOff: return "ON-OFF";
    case net::TimeDist::Uniform: return "Uniform";
    default: return "other";
  }
}

// Compares `sim` (our results) with `ref` for sample s.
void compare(const net::Sample& s, const net::Results& ref, const net::Results& sim, SampleResult& out) {
  const int n = s.num_nodes();
  for (std::size_t k = 0; k < ref.pairs.size(); ++k) {
    const auto& flows = s.traffic.pairs[k];
    if (flows.empty()) continue;
    const net::PathStats& a = ref.pairs[k];
    const net::PathStats& b = sim.pairs[k];
    PathRec r;
    r.size = n;
    r.policy = s.topology.nodes[k / static_cast<std::size_t>(n)].policy;
    r.tos = flows[0].tos;
    r.td = flows[0].time_dist;
    const bool a_del = a.pkts_gen - a.pkts_drop > 0 && a.avg_delay > 0;
    const bool b_del = b.pkts_gen - b.pkts_drop > 0 && b.avg_delay > 0;
    if (a_del) {
      r.ref_delay = a.avg_delay;
      r.ref_jitter = a.jitter;
    }
    if (b_del) {
      r.sim_delay = trunc6(b.avg_delay);
      r.sim_jitter = trunc6(b.jitter);
    }
    r.ref_loss = a.loss_ratio();
    r.sim_loss = b.loss_ratio();
    r.src = static_cast<int>(k) / n;
    r.dst = static_cast<int>(k) % n;
    const auto& path = s.routing.paths[k];
    r.hops = path.empty() ? 0 : static_cast<int>(path.size()) - 1;
    for (std::size_t h = 0; h + 1 < path.size(); ++h) {
      r.path_policies += net::to_string(s.topology.nodes[static_cast<std::size_t>(path[h])].policy)[0];
      const int li = s.topology.find_link(path[h], path[h + 1]);
      if (li >= 0) r.ref_max_u = std::max(r.ref_max_u, ref.ports[static_cast<std::size_t>(li)].utilization);
    }
    r.ref = a;
    r.sim = b;
    out.paths.push_back(r);
  }
  for (std::size_t li = 0; li < s.topology.links.size(); ++li) {
    const net::Link& l = s.topology.links[li];
    const net::Node& node = s.topology.nodes[static_cast<std::size_t>(l.src)];
    const net::PortStats& a = ref.ports[li];
    const net::PortStats& b = sim.ports[li];
    out.ports.push_back({node.policy, a.utilization, b.utilization});
    for (std::size_t q = 0; q < a.queues.size() && q < b.queues.size(); ++q) {
      QueueRec r;
      r.policy = node.policy;
      r.q = static_cast<int>(q);
      r.ref_port_u = a.utilization;
      r.ref_port_loss = a.loss;
      r.sim_port_loss = b.loss;
      r.ref_occ = a.queues[q].avg_occupancy;
      r.sim_occ = b.queues[q].avg_occupancy;
      r.ref_s = a.queues[q].avg_pkt_size;
      r.sim_s = b.queues[q].avg_pkt_size;
      r.ref_max = a.queues[q].max_occupancy;
      r.sim_max = b.queues[q].max_occupancy;
      r.buffer = node.buffer_bits[q];
      r.ref_u = a.queues[q].utilization;
      r.sim_u = b.queues[q].utilization;
      r.src = l.src;
      r.dst = l.dst;
      r.bw = l.bandwidth_bps;
      for (std::size_t w = 0; w < node.weights.size(); ++w) {
        if (w > 0) r.weights.push_back('/');
        r.weights.append(fmt("%g", node.weights[w]));
      }
      out.queues.push_back(r);
    }
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

struct Errors {
  std::size_t n_delay = 0, n_jit = 0, n_loss = 0;
  double delay_ape = 0, delay_bias = 0, jit_ape = 0, jit_bias = 0, loss_ae = 0, loss_bias = 0;
  void add(const PathRec& r) {
    if (r.ref_delay > 0 && r.sim_delay > 0) {
      ++n_delay;
      delay_ape += std::abs(r.sim_delay - r.ref_delay) / r.ref_delay;
      delay_bias += (r.sim_delay - r.ref_delay) / r.ref_delay;
    }
    // Jitter is written truncated to 1e-6 s^2: compare only where that keeps 2+ digits.
    if (r.ref_jitter >= 1e-4 && r.sim_jitter >= 0) {
      ++n_jit;
      jit_ape += std::abs(r.sim_jitter - r.ref_jitter) / r.ref_jitter;
      jit_bias += (r.sim_jitter - r.ref_jitter) / r.ref_jitter;
    }
    ++n_loss;
    loss_ae += std::abs(r.sim_loss - r.ref_loss) * 100.0;
    loss_bias += (r.sim_loss - r.ref_loss) * 100.0;
  }
};

void print_path_table(const std::vector<const SampleResult*>& res, const char* title) {
  std::map<std::string, Errors> groups;
  std::vector<std::string> order;
  auto add = [&](const std::string& key, const PathRec& r) {
    if (groups.find(key) == groups.end()) order.push_back(key);
    groups[key].add(r);
  };
  for (const SampleResult* s : res) {
    for (const PathRec& r : s->paths) {
      add("all", r);
      add("N=" + std::to_string(r.size), r);
      add(std::string("src policy ") + net::to_string(r.policy), r);
      add("ToS " + std::to_string(r.tos), r);
      add(std::string("time dist ") + td_name(r.td), r);
      const bool via_wfq = r.path_policies.find('W') != std::string::npos;
      const bool via_drr = r.path_policies.find('D') != std::string::npos;
      add(std::string("path via ") + (via_drr ? (via_wfq ? "DRR+WFQ" : "DRR") : (via_wfq ? "WFQ" : "FIFO/SP")), r);
    }
  }
  std::sort(order.begin() + 1, order.end());
  std::cout << "\n" << title << "\n";
  std::cout << "group                 paths  delay MAPE  delay bias  jitter MAPE  jitter bias (n)       loss MAE pp  loss bias pp\n";
  for (const std::string& k : order) {
    const Errors& e = groups[k];
    const double nd = std::max<double>(1, static_cast<double>(e.n_delay));
    const double nj = std::max<double>(1, static_cast<double>(e.n_jit));
    const double nl = std::max<double>(1, static_cast<double>(e.n_loss));
    std::printf("%-20s %6zu  %9.2f%%  %+9.2f%%  %9.2f%%  %+9.2f%% (%6zu)  %9.3f  %+9.3f\n", k.c_str(), e.n_loss,
                100 * e.delay_ape / nd, 100 * e.delay_bias / nd, 100 * e.jit_ape / nj, 100 * e.jit_bias / nj, e.n_jit,
                e.loss_ae / nl, e.loss_bias / nl);
  }
}

void print_port_tables(const std::vector<const SampleResult*>& res) {
  // Link utilisation MAE by policy.
  std::map<std::string, std::pair<double, std::size_t>> umae;
  double ubias = 0;
  std::size_t un = 0;
  for (const SampleResult* s : res) {
    for (const PortRec& p : s->ports) {
      ubias += p.sim_u - p.ref_u;
      ++un;
    }
  }
  for (const SampleResult* s : res) {
    for (const PortRec& p : s->ports) {
      for (const std::string& k : {std::string("all"), std::string(net::to_string(p.policy))}) {
        umae[k].first += std::abs(p.sim_u - p.ref_u);
        ++umae[k].second;
      }
    }
  }
  std::cout << "\nlink utilisation MAE (absolute):";
  for (const auto& [k, v] : umae) std::cout << "  " << k << " " << fmt("%.5f", v.first / static_cast<double>(v.second));
  std::cout << "  (mean signed " << fmt("%+.5f", ubias / std::max<double>(1, static_cast<double>(un))) << ")\n";

  // Per-queue mean sojourn (occ / bandwidth) relative to the queue's mean transmission time (occ / s),
  // medians on loss-free ports in utilisation bands (the spec §8.2 table), reference vs ours; and the
  // MAPE of occ per policy and queue on ports where the queue carries traffic.
  const double bands[4] = {0.3, 0.5, 0.7, 0.9};
  std::cout << "\nper-queue median sojourn / mean transmission time on loss-free ports (ref -> ours),"
               " by port utilisation U\n";
  std::cout << "policy q   0.3<=U<0.5          0.5<=U<0.7          0.7<=U<0.9       | occ MAPE  occ bias   (queues)\n";
  for (int pol = 0; pol < 4; ++pol) {
    const int nq = pol == 0 ? 1 : 3;
    for (int q = 0; q < nq; ++q) {
      std::printf("%-6s %d", net::to_string(static_cast<net::Policy>(pol)), q);
      for (int b = 0; b < 3; ++b) {
        std::vector<double> a, c;
        for (const SampleResult* s : res) {
          for (const QueueRec& r : s->queues) {
            if (static_cast<int>(r.policy) != pol || r.q != q) continue;
            if (r.ref_port_loss > 0 || r.ref_port_u < bands[b] || r.ref_port_u >= bands[b + 1]) continue;
            if (r.ref_s > 0 && r.ref_occ > 0) a.push_back(r.ref_occ / r.ref_s);
            if (r.sim_s > 0 && r.sim_occ > 0) c.push_back(r.sim_occ / r.sim_s);
          }
        }
        std::printf("   %5.2f -> %5.2f (%4zu)", median(a), median(c), a.size());
      }
      double ape = 0, bias = 0;
      std::size_t m = 0;
      for (const SampleResult* s : res) {
        for (const QueueRec& r : s->queues) {
          if (static_cast<int>(r.policy) != pol || r.q != q || r.ref_occ <= 0 || r.sim_occ <= 0) continue;
          if (r.ref_u < 0.01) continue;  // too few packets for a stable mean
          ape += std::abs(r.sim_occ - r.ref_occ) / r.ref_occ;
          bias += (r.sim_occ - r.ref_occ) / r.ref_occ;
          ++m;
        }
      }
      const double mm = std::max<double>(1, static_cast<double>(m));
      std::printf(" | %7.2f%%  %+7.2f%%  (%5zu)\n", 100 * ape / mm, 100 * bias / mm, m);
    }
  }
  // Tail drop: how often the largest occupancy equals the buffer (possible only with <=).
  std::size_t busy = 0, ref_full = 0, sim_full = 0, ref_over = 0, sim_over = 0;
  for (const SampleResult* s : res) {
    for (const QueueRec& r : s->queues) {
      if (r.ref_u <= 0) continue;
      ++busy;
      ref_full += r.ref_max == r.buffer ? 1U : 0U;
      sim_full += r.sim_max == r.buffer ? 1U : 0U;
      ref_over += r.ref_max > r.buffer ? 1U : 0U;
      sim_over += r.sim_max > r.buffer ? 1U : 0U;
    }
  }
  std::printf("\nqueues with max occupancy == buffer: ref %zu, ours %zu of %zu busy queues (> buffer: ref %zu, ours %zu)\n",
              ref_full, sim_full, busy, ref_over, sim_over);
}

// One CSV line per compared path: identification, then the reference and the simulated record
// (sim values truncated to 6 decimals like the format).
void write_dump(const std::vector<const SampleResult*>& res, const fs::path& file) {
  std::FILE* f = std::fopen(file.string().c_str(), "w");
  if (f == nullptr) throw Error("bench_fidelity: cannot write " + file.string());
  std::fprintf(f, "sample,N,src,dst,hops,policies,tos,td,ref_max_u");
  for (const char* who : {"ref", "sim"}) {
    for (const char* field : {"gen", "drop", "avg", "ln", "p10", "p20", "p50", "p80", "p90", "jit"}) {
      std::fprintf(f, ",%s_%s", who, field);
    }
  }
  std::fprintf(f, "\n");
  for (const SampleResult* s : res) {
    for (const PathRec& r : s->paths) {
      std::fprintf(f, "%s,%d,%d,%d,%d,%s,%d,%s,%.6f", s->name.c_str(), r.size, r.src, r.dst, r.hops,
                   r.path_policies.c_str(), r.tos, td_name(r.td), r.ref_max_u);
      for (const net::PathStats* p : {&r.ref, &r.sim}) {
        for (const double v : {p->pkts_gen, p->pkts_drop, p->avg_delay, p->avg_ln_delay, p->p10, p->p20, p->p50,
                               p->p80, p->p90, p->jitter}) {
          std::fprintf(f, ",%.9g", p == &r.sim ? trunc6(v) : v);
        }
      }
      std::fprintf(f, "\n");
    }
  }
  std::fclose(f);
  // The queues, next to it: <file>.queues.csv.
  const fs::path qfile = fs::path(file.string() + ".queues.csv");
  f = std::fopen(qfile.string().c_str(), "w");
  if (f == nullptr) throw Error("bench_fidelity: cannot write " + qfile.string());
  std::fprintf(f, "sample,src,dst,policy,weights,q,bw,buffer,ref_port_u,ref_port_loss,sim_port_loss,ref_u,sim_u,"
                  "ref_occ,sim_occ,ref_max,sim_max,ref_s,sim_s\n");
  for (const SampleResult* s : res) {
    for (const QueueRec& r : s->queues) {
      std::fprintf(f, "%s,%d,%d,%s,%s,%d,%.0f,%.0f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.0f,%.0f,%.3f,%.3f\n",
                   s->name.c_str(), r.src, r.dst, net::to_string(r.policy), r.weights.empty() ? "-" : r.weights.c_str(),
                   r.q, r.bw, r.buffer, r.ref_port_u, r.ref_port_loss, r.sim_port_loss, r.ref_u, r.sim_u, r.ref_occ,
                   r.sim_occ, r.ref_max, r.sim_max, r.ref_s, r.sim_s);
    }
  }
  std::fclose(f);
}

std::vector<int> parse_sizes(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoi(item));
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("AUTOOPT_SHARED");
  o.data = fs::path(env != nullptr && *env != '\0' ? env : AUTOOPT_DEFAULT_SHARED_DIR) / "data/gnnet2022/validation";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw Error("bench_fidelity: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--data") o.data = val();
    else if (a == "--sizes") o.sizes = parse_sizes(val());
    else if (a == "--max-samples") o.max_samples = std::stoul(val());
    else if (a == "--sim-time") o.sim_time = std::stod(val());
    else if (a == "--threads") o.threads = static_cast<unsigned>(std::stoul(val()));
    else if (a == "--seed") o.cfg.seed = std::stoull(val());
    else if (a == "--warmup") o.cfg.warmup_s = std::stod(val());
    else if (a == "--drr-quantum") o.cfg.drr_quantum_bits = std::stod(val());
    else if (a == "--noise") o.noise = true;
    else if (a == "--dump") o.dump = val();
    else if (a == "--onoff-gaps") {
      const std::string v = val();
      if (v == "exp") o.cfg.onoff_gaps = sim::OnOffGaps::Exponential;
      else if (v == "det") o.cfg.onoff_gaps = sim::OnOffGaps::Deterministic;
      else if (v == "phase") o.cfg.onoff_gaps = sim::OnOffGaps::DeterministicPhase;
      else throw Error("bench_fidelity: --onoff-gaps expects exp, det or phase, got " + v);
    } else if (a == "--onoff-start") {
      const std::string v = val();
      if (v == "off") o.cfg.onoff_start = sim::OnOffStart::Off;
      else if (v == "on") o.cfg.onoff_start = sim::OnOffStart::On;
      else throw Error("bench_fidelity: --onoff-start expects off or on, got " + v);
    }
    else if (a == "--drr-scale") {
      const std::string v = val();
      if (v == "max") o.cfg.drr_scale = sim::DrrQuantumScale::MaxWeight;
      else if (v == "sum") o.cfg.drr_scale = sim::DrrQuantumScale::SumWeight;
      else throw Error("bench_fidelity: --drr-scale expects max or sum, got " + v);
    } else if (a == "--wfq") {
      const std::string v = val();
      if (v == "scfq") o.cfg.wfq = sim::WfqVariant::SCFQ;
      else if (v == "stf") o.cfg.wfq = sim::WfqVariant::StartTime;
      else if (v == "vc") o.cfg.wfq = sim::WfqVariant::VirtualClock;
      else if (v == "cum") o.cfg.wfq = sim::WfqVariant::Cumulative;
      else throw Error("bench_fidelity: --wfq expects scfq, stf, vc or cum, got " + v);
    } else {
      throw Error("bench_fidelity: unknown option " + a +
                  " (expected --data --sizes --max-samples --sim-time --threads --seed --warmup --wfq"
                  " --drr-quantum --drr-scale --onoff-gaps --onoff-start --noise --dump)");
    }
  }
  if (o.threads == 0) o.threads = 1;
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  struct Item {
    int size;
    std::size_t index;
  };
  std::vector<Item> items;
  for (const int n : o.sizes) {
    const fs::path dir = o.data / std::to_string(n);
    if (!fs::exists(dir)) throw Error("bench_fidelity: no validation folder " + dir.string());
    const io::GnnetDataset ds(dir);
    for (std::size_t i = 0; i < ds.size() && i < o.max_samples; ++i) items.push_back({n, i});
  }
  std::vector<SampleResult> results(items.size());
  std::vector<SampleResult> noise(o.noise ? items.size() : 0);
  std::atomic<std::size_t> next{0};
  std::mutex io_mu;
  std::vector<std::string> errors;
  auto worker = [&]() {
    std::map<int, std::unique_ptr<io::GnnetDataset>> sets;
    for (;;) {
      const std::size_t w = next.fetch_add(1);
      if (w >= items.size()) return;
      const Item it = items[w];
      try {
        auto& ds = sets[it.size];
        if (!ds) ds = std::make_unique<io::GnnetDataset>(o.data / std::to_string(it.size));
        net::Sample s = ds->load(it.index);
        if (!s.results) throw Error("sample has no results");
        const net::Results ref = std::move(*s.results);
        s.results.reset();
        sim::SimConfig cfg = o.cfg;
        cfg.sim_time_s = std::min(ref.run.sim_time, o.sim_time);
        const sim::SimOutput out = sim::run_simulation(s, cfg);
        SampleResult& r = results[w];
        r.name = ds->samples()[it.index].archive.filename().string();
        r.size = it.size;
        r.ref_T = ref.run.sim_time;
        r.T = cfg.sim_time_s;
        r.wall = out.counters.wall_s;
        r.packets = out.counters.packets_generated;
        compare(s, ref, out.results, r);
        if (o.noise) {
          sim::SimConfig c2 = cfg;
          c2.seed = cfg.seed + 1000003;
          const net::Results other = sim::simulate(s, c2);
          compare(s, other, out.results, noise[w]);
          noise[w].size = it.size;
        }
        const std::lock_guard lock(io_mu);
        std::printf("  N=%d %-34s T=%.0f (ref %.0f)  %.2e packets  %.1f s\n", it.size, r.name.c_str(), r.T, r.ref_T,
                    static_cast<double>(r.packets), r.wall);
        std::fflush(stdout);
      } catch (const std::exception& e) {
        const std::lock_guard lock(io_mu);
        errors.push_back("N=" + std::to_string(it.size) + " #" + std::to_string(it.index) + ": " + e.what());
      }
    }
  };
  std::printf("bench_fidelity: %zu samples, sim time min(ref T, %.0f s), wfq=%d drr_quantum=%.0f drr_scale=%s onoff gaps=%d start=%d seed=%llu\n",
              items.size(), o.sim_time, static_cast<int>(o.cfg.wfq), o.cfg.drr_quantum_bits,
              o.cfg.drr_scale == sim::DrrQuantumScale::MaxWeight ? "max" : "sum", static_cast<int>(o.cfg.onoff_gaps),
              static_cast<int>(o.cfg.onoff_start),
              static_cast<unsigned long long>(o.cfg.seed));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < o.threads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  for (const std::string& e : errors) std::cerr << "error: " << e << "\n";
  std::vector<const SampleResult*> ok;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].paths.empty()) ok.push_back(&results[i]);
  }
  if (!o.dump.empty()) write_dump(ok, o.dump);
  print_path_table(ok, "ours vs reference (per path)");
  print_port_tables(ok);
  if (o.noise) {
    std::vector<const SampleResult*> nk;
    for (const SampleResult& r : noise) {
      if (!r.paths.empty()) nk.push_back(&r);
    }
    print_path_table(nk, "noise floor: ours vs ours with another seed (per path)");
  }
  return errors.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
