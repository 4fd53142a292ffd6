// Simulator speed on one core (Google Benchmark):
//   SimTenNode       the 10-node training-like test sample (every policy and source), T = 500 s
//   SimValidation50  a shared 50-node validation sample, short run (T = 200 s); goal >= 1e6 packets/s
//   SimValidation50CoarseHistogram  the same with 1 % percentile bins instead of 0.2 %
//   SimMemory300     a shared 300-node validation sample, short run (T = 5 s); reports the process
//                    peak resident memory (getrusage maxrss, sample loading included); goal < 2 GiB
// Counters (per CPU second): packets/s (generated packets), delivered/s (delivered packets),
// events/s, hops/s (packet transmissions). The shared data is found through AUTOOPT_SHARED
// (default ../shared).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../tests/sim/sim_fixtures.hpp"
#include "io/gnnet.hpp"
#include "sim/simulator.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

fs::path validation(int n) {
  const char* env = std::getenv("AUTOOPT_SHARED");
  const fs::path shared = env != nullptr && *env != '\0' ? fs::path(env) : fs::path(AUTOOPT_DEFAULT_SHARED_DIR);
  return shared / "data/gnnet2022/validation" / std::to_string(n);
}

// The first sample of the N-node validation folder, inputs only.
net::Sample load_first(int n) {
  io::GnnetDataset ds(validation(n));
  net::Sample s = ds.load(0);
  s.results.reset();
  return s;
}

void run(benchmark::State& state, const net::Sample& s, double T, double hist_width = 0.002) {
  sim::SimConfig cfg;
  cfg.sim_time_s = T;
  cfg.histogram_rel_width = hist_width;
  double packets = 0, delivered = 0, events = 0, hops = 0;
  for (auto _ : state) {
    const sim::SimOutput out = sim::run_simulation(s, cfg);
    packets += static_cast<double>(out.counters.packets_generated);
    delivered += static_cast<double>(out.counters.packets_delivered);
    events += static_cast<double>(out.counters.events);
    hops += static_cast<double>(out.counters.transmissions);
    benchmark::DoNotOptimize(out.results.global_delay);
  }
  state.counters["packets/s"] = benchmark::Counter(packets, benchmark::Counter::kIsRate);
  state.counters["delivered/s"] = benchmark::Counter(delivered, benchmark::Counter::kIsRate);
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["hops/s"] = benchmark::Counter(hops, benchmark::Counter::kIsRate);
}

void SimTenNode(benchmark::State& state) {
  static const net::Sample s = sim::testing::ten_node(2.0);
  run(state, s, 500.0);
}
BENCHMARK(SimTenNode)->Unit(benchmark::kMillisecond);

void SimValidation50(benchmark::State& state) {
  if (!fs::exists(validation(50))) {
    state.SkipWithError("shared validation data not found (set AUTOOPT_SHARED)");
    return;
  }
  static const net::Sample s = load_first(50);
  run(state, s, 200.0);
}
BENCHMARK(SimValidation50)->Unit(benchmark::kMillisecond);

// The same with 1 % histogram bins (percentiles within 0.5 %): the cost of the per-flow histograms.
void SimValidation50CoarseHistogram(benchmark::State& state) {
  if (!fs::exists(validation(50))) {
    state.SkipWithError("shared validation data not found (set AUTOOPT_SHARED)");
    return;
  }
  static const net::Sample s = load_first(50);
  run(state, s, 200.0, 0.01);
}
BENCHMARK(SimValidation50CoarseHistogram)->Unit(benchmark::kMillisecond);

void SimMemory300(benchmark::State& state) {
  if (!fs::exists(validation(300))) {
    state.SkipWithError("shared validation data not found (set AUTOOPT_SHARED)");
    return;
  }
  static const net::Sample s = load_first(300);
  run(state, s, 5.0);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;  // maxrss is in KiB
}
BENCHMARK(SimMemory300)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
