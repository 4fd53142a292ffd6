// A hand-made 3-node sample with results whose indicators are worked out by hand in
// test_indicators.cpp (shared with the report tests).
//
//   0 <--10 kbit/s--> 1 <--20 kbit/s--> 2      links in order: 0->1, 1->0, 1->2, 2->1
//   node 0: FIFO, 1 queue of 32000 bits; node 1: SP, 3 queues of 16000; node 2: FIFO, 8000
//   traffic (EqLambda bit/s, AvgPktSize bits): 0->1 2000/1000, 0->2 1500/750, 1->0 900/1000,
//   2->0 600/1000 (every packet dropped), 2->1 1000/500; 1->2 carries nothing.
#pragma once

#include <cmath>

#include "net/sample.hpp"

namespace autoopt::testing {

inline net::Sample indicator_sample() {
  net::Sample s;
  s.id = 7;
  s.graph_name = "hand-made";
  net::Topology& t = s.topology;
  net::Node fifo32{net::Policy::FIFO, {}, {32000}, {{0, 1, 2}}};
  net::Node sp16{net::Policy::SP, {}, {16000, 16000, 16000}, {{0}, {1}, {2}}};
  net::Node fifo8{net::Policy::FIFO, {}, {8000}, {{0, 1, 2}}};
  t.nodes = {fifo32, sp16, fifo8};
  t.links = {{0, 1, 0, 10000}, {1, 0, 0, 10000}, {1, 2, 1, 20000}, {2, 1, 0, 20000}};
  const int n = 3;
  s.routing.paths.assign(n * n, {});
  s.routing.paths[0 * n + 1] = {0, 1};
  s.routing.paths[0 * n + 2] = {0, 1, 2};
  s.routing.paths[1 * n + 0] = {1, 0};
  s.routing.paths[1 * n + 2] = {1, 2};
  s.routing.paths[2 * n + 0] = {2, 1, 0};
  s.routing.paths[2 * n + 1] = {2, 1};
  s.traffic.max_avg_lambda = 2000;
  s.traffic.pairs.assign(n * n, {});
  const auto flow = [](double rate, double size) {
    net::Flow f;
    f.time_dist = net::TimeDist::Poisson;
    f.eq_lambda_bps = rate;
    f.time_params = {rate / size, 10};
    f.size_dist = net::SizeDist::Deterministic;
    f.avg_pkt_size_bits = size;
    return f;
  };
  s.traffic.pairs[0 * n + 1] = {flow(2000, 1000)};
  s.traffic.pairs[0 * n + 2] = {flow(1500, 750)};
  s.traffic.pairs[1 * n + 0] = {flow(900, 1000)};
  s.traffic.pairs[2 * n + 0] = {flow(600, 1000)};
  s.traffic.pairs[2 * n + 1] = {flow(1000, 500)};

  net::Results r;
  r.pairs.assign(n * n, net::PathStats{});  // empty records (pkts_gen 0, delays -1)
  const auto stats = [](double bw, double gen, double drop, double delay, double jitter) {
    net::PathStats p;
    p.avg_bw_bps = bw;
    p.pkts_gen = gen;
    p.pkts_drop = drop;
    p.avg_delay = delay;
    p.jitter = jitter;
    if (delay > 0) {
      p.avg_ln_delay = std::log(delay);
      p.p10 = p.p20 = p.p50 = p.p80 = p.p90 = delay;
    }
    return p;
  };
  r.pairs[0 * n + 1] = stats(2000, 2, 0.1, 0.25, 0.01);
  r.pairs[0 * n + 2] = stats(1500, 2, 0, 0.3, 0.0225);
  r.pairs[1 * n + 0] = stats(900, 0.9, 0, 0.2, 0);
  r.pairs[2 * n + 0] = stats(600, 0.6, 0.6, -1, -1);  // every packet dropped
  r.pairs[2 * n + 1] = stats(1000, 2, 0.5, 0.05, 0.0004);
  const auto queue = [](double u, double occ) { return net::QueueStats{u, 0.0, occ, occ, 1000}; };
  const net::QueueStats idle{};
  r.ports = {
      {0.35, 0.05, 1000, {queue(0.35, 1600)}},
      {0.15, 0.0, 1000, {idle, queue(0.15, 2400), idle}},
      {0.075, 0.0, 750, {queue(0.075, 800), idle, idle}},
      {0.08, 0.2, 500, {queue(0.08, 4000)}},
  };
  r.run.sim_time = 1000;
  s.results = r;
  return s;
}

}  // namespace autoopt::testing
