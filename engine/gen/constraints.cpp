#include "gen/constraints.hpp"

#include <cmath>
#include <map>
#include <sstream>

namespace autoopt::gen {
namespace {

std::string num(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

// Collects the offenders of one rule; emits one Violation naming the first and the count.
class Rule {
 public:
  Rule(std::vector<Violation>& out, std::string name, std::string noun_plural)
      : out_(out), name_(std::move(name)), plural_(std::move(noun_plural)) {}
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;
  ~Rule() {
    if (count_ == 0) return;
    std::string msg = first_;
    if (count_ > 1) msg += " (" + std::to_string(count_) + " " + plural_ + ")";
    out_.push_back({name_, std::move(msg)});
  }
  void fail(const std::string& what) {
    if (count_++ == 0) first_ = what;
  }

 private:
  std::vector<Violation>& out_;
  std::string name_, plural_, first_;
  int count_ = 0;
};

bool is_integer(double v) { return std::isfinite(v) && v == std::floor(v); }

std::string pair_name(std::size_t k, std::size_t n, std::size_t f) {
  return "flow " + std::to_string(k / n) + "->" + std::to_string(k % n) + (f > 0 ? " #" + std::to_string(f) : "");
}

}  // namespace

std::vector<Violation> check_training_rules(const net::Sample& s) {
  std::vector<Violation> out;
  const net::Topology& topo = s.topology;
  const int n = topo.num_nodes();
  {
    Rule r(out, "node_count", "");
    if (n > 10 || n < 1) r.fail(std::to_string(n) + " nodes, expected 1..10");
  }
  {
    Rule r(out, "isolated_node", "isolated nodes");
    std::vector<int> deg(static_cast<std::size_t>(std::max(n, 0)), 0);
    for (const auto& l : topo.links) {
      if (l.src >= 0 && l.src < n) ++deg[static_cast<std::size_t>(l.src)];
      if (l.dst >= 0 && l.dst < n) ++deg[static_cast<std::size_t>(l.dst)];
    }
    for (int i = 0; i < n; ++i) {
      if (deg[static_cast<std::size_t>(i)] == 0) r.fail("node " + std::to_string(i) + " has no link, expected none isolated");
    }
  }
  {
    Rule r(out, "bidirectional", "one-way links");
    for (const auto& l : topo.links) {
      if (topo.find_link(l.dst, l.src) < 0) {
        r.fail("link " + std::to_string(l.src) + "->" + std::to_string(l.dst) + " has no reverse link " +
               std::to_string(l.dst) + "->" + std::to_string(l.src) + ", expected every link bidirectional");
      }
    }
  }
  {
    Rule pol(out, "policy", "nodes");
    Rule wts(out, "weights", "nodes");
    Rule buf(out, "buffer", "queues");
    Rule tosq(out, "tos_levels", "problems");
    if (topo.levels_tos != 3) tosq.fail("levelsToS is " + std::to_string(topo.levels_tos) + ", expected 3 (ToS 0, 1, 2)");
    for (int i = 0; i < n; ++i) {
      const net::Node& node = topo.nodes[static_cast<std::size_t>(i)];
      const std::string who = "node " + std::to_string(i);
      const auto p = static_cast<int>(node.policy);
      if (p < 0 || p > 3) {
        pol.fail(who + ": scheduling policy code " + std::to_string(p) + ", expected FIFO, SP, WFQ or DRR");
      } else if (node.policy == net::Policy::WFQ || node.policy == net::Policy::DRR) {
        double sum = 0.0;
        bool ints = node.weights.size() == 3;
        for (const double w : node.weights) {
          sum += w;
          ints = ints && is_integer(w) && w >= 0;
        }
        if (!ints || sum != 100.0) {
          std::string list;
          for (const double w : node.weights) {
            if (!list.empty()) list += ',';
            list += num(w);
          }
          wts.fail(who + " (" + net::to_string(node.policy) + "): weights \"" + list +
                   "\", expected 3 integers summing to 100");
        }
      } else if (!node.weights.empty()) {
        wts.fail(who + " (" + net::to_string(node.policy) + "): has " + std::to_string(node.weights.size()) +
                 " weights, expected none");
      }
      for (std::size_t q = 0; q < node.buffer_bits.size(); ++q) {
        const double b = node.buffer_bits[q];
        if (!(b >= 8000 && b <= 64000)) {
          buf.fail(who + " queue " + std::to_string(q) + ": buffer " + num(b) + " bits, expected 8000..64000");
        }
      }
      for (int t = 0; t < 3; ++t) {
        if (node.queue_of_tos(t) < 0) tosq.fail(who + ": ToS " + std::to_string(t) + " has no queue, expected ToS 0..2 mapped");
      }
    }
  }
  {
    Rule r(out, "capacity", "links");
    for (const auto& l : topo.links) {
      const double c = l.bandwidth_bps;
      if (!(c >= 10000 && c <= 400000) || !is_integer(c / 1000.0)) {
        r.fail("link " + std::to_string(l.src) + "->" + std::to_string(l.dst) + ": capacity " + num(c) +
               " bit/s, expected 10000..400000 and a multiple of 1000");
      }
    }
  }
  const auto nn = static_cast<std::size_t>(std::max(n, 0));
  {
  Rule per_pair(out, "flows_per_pair", "pairs");
  Rule bw(out, "avg_bw", "flows");
  Rule td(out, "time_dist", "flows");
  Rule sz(out, "pkt_size", "flows");
  Rule tos(out, "tos", "flows");
  for (std::size_t k = 0; k < s.traffic.pairs.size(); ++k) {
    const auto& flows = s.traffic.pairs[k];
    if (flows.size() > 1 && nn > 0) {
      per_pair.fail("pair " + std::to_string(k / nn) + "->" + std::to_string(k % nn) + " has " +
                    std::to_string(flows.size()) + " flows, expected at most 1");
    }
    for (std::size_t fi = 0; fi < flows.size(); ++fi) {
      const net::Flow& f = flows[fi];
      const std::string who = nn > 0 ? pair_name(k, nn, fi) : "flow " + std::to_string(k);
      if (!(f.eq_lambda_bps >= 10 && f.eq_lambda_bps <= 10000)) {
        bw.fail(who + ": avg_bw " + num(f.eq_lambda_bps) + " bit/s, expected 10..10000");
      }
      if (f.time_dist == net::TimeDist::OnOff) {
        if (f.time_params.size() < 3 || !(f.time_params[1] > 0) || !(f.time_params[2] > 0)) {
          td.fail(who + ": ON-OFF without positive on and off times");
        }
      } else if (f.time_dist != net::TimeDist::Poisson && f.time_dist != net::TimeDist::CBR) {
        td.fail(who + ": time distribution code " + std::to_string(static_cast<int>(f.time_dist)) +
                ", expected Poisson (0), CBR (1) or ON-OFF (4; input code 2)");
      }
      if (f.size_dist != net::SizeDist::Generic) {
        sz.fail(who + ": size distribution code " + std::to_string(static_cast<int>(f.size_dist)) +
                ", expected generic (3; input pkt_dist 0)");
      } else if (f.candidates.empty() || f.candidates.size() > 5) {
        sz.fail(who + ": " + std::to_string(f.candidates.size()) + " packet sizes, expected 1..5");
      } else {
        double psum = 0.0;
        bool ok = true;
        std::string bad;
        for (const auto& c : f.candidates) {
          psum += c.prob;
          if (!(c.size_bits >= 256 && c.size_bits <= 2000)) {
            ok = false;
            bad = "packet size " + num(c.size_bits) + " bits, expected 256..2000";
          } else if (!(c.prob >= 0 && c.prob <= 1)) {
            ok = false;
            bad = "probability " + num(c.prob) + ", expected 0..1";
          }
        }
        if (ok && std::fabs(psum - 1.0) > 1e-6) {
          ok = false;
          bad = "probabilities sum to " + num(psum) + ", expected 1";
        }
        if (!ok) sz.fail(who + ": " + bad);
      }
      if (f.tos < 0 || f.tos > 2) tos.fail(who + ": ToS " + std::to_string(f.tos) + ", expected 0, 1 or 2");
    }
  }
  }  // the traffic rules report here (destructors: in reverse declaration order)
  if (s.results) {
    Rule r(out, "mean_pkt_size", "pairs");
    for (std::size_t k = 0; k < s.results->pairs.size(); ++k) {
      const net::PathStats& ps = s.results->pairs[k];
      if (!(ps.pkts_gen > 0)) continue;
      const double m = ps.avg_bw_bps / ps.pkts_gen;
      if (!(m >= 256 * (1 - 1e-3) && m <= 2000 * (1 + 1e-3))) {
        r.fail("pair " + (nn > 0 ? std::to_string(k / nn) + "->" + std::to_string(k % nn) : std::to_string(k)) +
               ": AvgBw/PktsGen = " + num(m) + " bits, expected 256..2000");
      }
    }
  }
  return out;
}

std::string format_violations(const std::vector<Violation>& v) {
  std::string s;
  for (const auto& x : v) s += x.rule + ": " + x.message + "\n";
  return s;
}

}  // namespace autoopt::gen
