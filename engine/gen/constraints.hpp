// The GNNet 2022 challenge's rules for training samples (spec §9.1, from
// training_dataset_constraints.md and data_generator.py), checked on a canonical sample.
//
// One Violation per violated rule: the message names the first offender (node, link, pair), the value
// and the allowed set or range, and how many offenders there are. Rules (Violation::rule):
//   node_count      at most 10 nodes (and at least 1)
//   isolated_node   every node has a link
//   bidirectional   every link src->dst has a link dst->src
//   policy          FIFO, SP, WFQ or DRR
//   weights         WFQ/DRR: 3 integer weights summing to 100; FIFO/SP: none
//   buffer          every queue's buffer in [8000, 64000] bits
//   capacity        every link's bandwidth in [10000, 400000] bit/s and a multiple of 1000
//   tos_levels      levelsToS 3 and every ToS 0..2 mapped to a queue of each node
//   flows_per_pair  at most one flow per src-dst pair
//   avg_bw          every flow's avg_bw (EqLambda) in [10, 10000] bit/s
//   time_dist       Poisson, CBR or ON-OFF (input codes 0, 1, 2); ON-OFF with on and off times > 0
//   pkt_size        generic size distribution (pkt_dist 0) of 1..5 sizes in [256, 2000] bits with
//                   probabilities in [0, 1] summing to 1
//   tos             every flow's ToS in {0, 1, 2}
//   mean_pkt_size   (simulated samples only) every flow's AvgBw / PktsGen in [256, 2000] bits
//                   (relative tolerance 1e-3), the check data_generator.py applies
#pragma once

#include <string>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::gen {

struct Violation {
  std::string rule;     // one of the names above
  std::string message;  // e.g. "link 0->1: capacity 5000 bit/s, expected 10000..400000 and a multiple of 1000 (3 links)"
  friend bool operator==(const Violation&, const Violation&) = default;
};

[[nodiscard]] std::vector<Violation> check_training_rules(const net::Sample& s);

// "rule: message" lines.
[[nodiscard]] std::string format_violations(const std::vector<Violation>& v);

}  // namespace autoopt::gen
