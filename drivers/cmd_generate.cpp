// autoopt generate: Stage 1 of AutoOPT. Generates n candidate samples of small networks
// (gen::generate_sample), labels them with the simulator and stores them in a resumable run folder
// (HDF5 shards, SQLite ledger, GNNet export). Thin: parse, call run::generate_job.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "gen/config.hpp"
#include "gen/generator.hpp"
#include "net/error.hpp"
#include "run/generate_job.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNotes =
    "\n"
    "Candidate k (0 <= k < n) is generated with a seed derived from (--seed, k) and the id cand-<k>,\n"
    "then simulated; results do not depend on the number of MPI ranks or threads. Under mpirun the\n"
    "candidates are shared among ranks round-robin.\n"
    "\n"
    "Run folder (--out):\n"
    "  run.json                        the run's identity: n, seed, generator and simulator hashes\n"
    "  ledger/rank-<r>.sqlite          one row per finished candidate (status, error, timings, indicators)\n"
    "  shards/                         HDF5 store of the ok samples (`autoopt info RUN/shards`)\n"
    "  results/<name>/                 GNNet dataset of the ok samples\n"
    "\n"
    "Resume: rerun the same command after a kill or a preemption; finished candidates are not redone.\n"
    "A larger --n extends the run. Another --seed, generator config (--config, --max-nodes) or\n"
    "simulator option is refused unless --force, which discards the run and starts over. Failed\n"
    "candidates are recorded and not retried unless --retry-failed. docs/generate.md has the details.\n"
    "\n"
    "Job arrays: --shard i/n does only shard i (0-based) of n, into the same run folder as the other\n"
    "shards (they may run at the same time; e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).\n"
    "Shards write no manifest and no GNNet export: when all have finished, rerun the same command\n"
    "without --shard to merge (it finds every candidate done and writes shards/manifest.json and\n"
    "results/). The samples equal a plain run's. slurm/generate-array.sbatch does this.\n"
    "\n"
    "Run length: --sim-time fixes the statistics window (--stop fixed, the default); --stop packets\n"
    "stops after --max-packets packets; --stop converged stops when every path's mean delay has a\n"
    "relative confidence half-width <= --rel-precision (checked every --check-interval s, from\n"
    "--min-sim-time on); both are capped at --max-sim-time.\n";

// The generator: configs file (or the built-in defaults of configs/generator.conf) with the
// command-line overrides. `fingerprint` receives a canonical text of what was read (key=value pairs
// in key order, then the overrides), so reformatting the file does not change the run's identity.
gen::GeneratorConfig generator_config(const Args& a, std::string& fingerprint) {
  gen::GeneratorConfig cfg;
  fingerprint = "autoopt generator\n";
  if (!a.get("config").empty()) {
    const fs::path file = a.get("config");
    cfg = gen::load_generator_config(file);
    const gen::ConfigFile parsed = gen::ConfigFile::load(file);
    std::vector<std::string> pairs;
    for (const auto& e : parsed.entries()) pairs.push_back(e.key + "=" + e.value);
    std::sort(pairs.begin(), pairs.end());
    for (const auto& p : pairs) fingerprint += p + "\n";
  } else {
    fingerprint += "built-in defaults\n";
  }
  if (a.given("max-nodes")) cfg.max_nodes = static_cast<int>(a.get_int("max-nodes", 2, 100000));
  fingerprint += "max_nodes=" + std::to_string(cfg.max_nodes) + "\n";
  return cfg;
}

// "--shard i/n" -> (i, n), 0 <= i < n.
std::pair<int, int> parse_shard(const std::string& v) {
  const std::size_t slash = v.find('/');
  const auto number = [&](const std::string& t, long long& out) {
    if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return false;
    }
    out = std::stoll(t);
    return true;
  };
  long long i = 0, n = 0;
  if (slash == std::string::npos || !number(v.substr(0, slash), i) || !number(v.substr(slash + 1), n) || n < 1 ||
      i >= n) {
    throw Error("autoopt generate: --shard: expected INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 3/8), got '" + v +
                "'");
  }
  return {static_cast<int>(i), static_cast<int>(n)};
}

// The generator callback of the job.
run::MakeSample make_sample_fn(gen::GeneratorConfig cfg) {
  return [cfg = std::move(cfg)](std::uint64_t seed, const std::string& id) {
    return gen::generate_sample(cfg, seed, id);
  };
}

}  // namespace

int cmd_generate(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"n", "number of candidates", false, ""},
      {"out", "run folder (created; rerun the same command to resume)", false, ""},
      {"config", "generator config file (default: built-in defaults, as in configs/generator.conf)", false, ""},
      {"max-nodes", "largest network size (overrides the config's max_nodes)", false, ""},
      {"seed", "global seed; candidate k uses a seed derived from (seed, k)", false, "1"},
      {"sim-time", "simulated seconds per sample (statistics window, --stop fixed)", false, "1000"},
      {"warmup", "simulated seconds before the statistics window", false, "0"},
      {"stop", "run length: fixed, packets or converged", false, "fixed"},
      {"max-packets", "--stop packets: packets generated in the window", false, "0"},
      {"rel-precision", "--stop converged: target half-width / mean of every path's delay", false, "0.01"},
      {"confidence", "--stop converged: confidence level of the half-widths", false, "0.95"},
      {"check-interval", "--stop converged/packets: check period (batch length), s", false, "25"},
      {"min-sim-time", "--stop converged: no stop before this window length, s", false, "0"},
      {"max-sim-time", "--stop converged/packets: cap on the window length, s", false, "100000"},
      {"threads", "worker threads per rank (0: cores per rank)", false, "0"},
      {"batch", "samples per shard batch file (the resume granularity)", false, "16"},
      {"name", "GNNet dataset name, results/<name>/ (default: the config's dataset_tag)", false, ""},
      {"samples-per-file", "samples per GNNet results archive", false, "100"},
      {"force", "discard an existing run made with other options and start over", true, ""},
      {"retry-failed", "redo candidates recorded as failed", true, ""},
      {"no-export", "skip the GNNet export (results/<name>/)", true, ""},
      {"quiet", "no progress lines", true, ""},
      {"shard", "do only shard INDEX/COUNT of the candidates (job arrays; rerun without it to merge)", false, ""},
  };
  const Args a("generate", specs, argc, argv, 2);
  const std::string synopsis =
      "--n N --out RUN [--config FILE] [--max-nodes N] [--seed S] [--sim-time T | --stop converged ...] "
      "[--threads K]";
  if (a.help() || !a.positional().empty() || a.get("n").empty() || a.get("out").empty()) {
    std::fputs((a.usage(synopsis) + kNotes).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  run::GenerateOptions o;
  o.n = static_cast<std::size_t>(a.get_int("n", 1, 1LL << 40));
  o.out = a.get("out");
  o.seed = static_cast<std::uint64_t>(a.get_int("seed", 0, (1LL << 62)));
  o.sim.sim_time_s = a.get_double("sim-time", 1e-9, HUGE_VAL);
  o.sim.warmup_s = a.get_double("warmup", 0, HUGE_VAL);
  const std::string stop = a.get("stop");
  if (stop == "fixed") {
    o.sim.stop = sim::StopRule::FixedTime;
  } else if (stop == "packets") {
    o.sim.stop = sim::StopRule::PacketCount;
    o.sim.max_packets = static_cast<std::uint64_t>(a.get_int("max-packets", 1, 1LL << 62));
  } else if (stop == "converged") {
    o.sim.stop = sim::StopRule::Converged;
  } else {
    throw Error("autoopt generate: --stop: expected fixed, packets or converged, got '" + stop + "'");
  }
  if (o.sim.stop != sim::StopRule::FixedTime) {
    o.sim.rel_precision = a.get_double("rel-precision", 1e-6, 1);
    o.sim.confidence = a.get_double("confidence", 0.5, 0.999);
    o.sim.check_interval_s = a.get_double("check-interval", 1e-9, HUGE_VAL);
    o.sim.min_sim_time_s = a.get_double("min-sim-time", 0, HUGE_VAL);
    o.sim.max_sim_time_s = a.get_double("max-sim-time", 1e-9, HUGE_VAL);
  }
  o.threads = static_cast<int>(a.get_int("threads", 0, 4096));
  o.batch_size = static_cast<std::size_t>(a.get_int("batch", 1, 1000000));
  o.samples_per_file = static_cast<std::size_t>(a.get_int("samples-per-file", 1, 1000000));
  o.force = a.flag("force");
  o.retry_failed = a.flag("retry-failed");
  o.export_gnnet = !a.flag("no-export");
  o.progress = !a.flag("quiet");
  if (!a.get("shard").empty()) std::tie(o.shard_index, o.shard_count) = parse_shard(a.get("shard"));

  const gen::GeneratorConfig cfg = generator_config(a, o.generator_fingerprint);
  o.dataset_name = a.get("name").empty() ? cfg.dataset_tag : a.get("name");
  o.make_sample = make_sample_fn(cfg);

  const io::Distribution dist = mpi.distribution();
  const run::GenerateReport r = run::generate_job(o, dist);
  if (mpi.rank() == 0 && o.shard_count > 1) {
    std::printf("shard %d/%d: %zu candidates: %zu ok, %zu failed; %zu done now, %zu done before%s; %d rank(s) x %d "
                "thread(s); %.2f s\nledger: %s\nmerge: rerun without --shard once every shard has finished\n",
                o.shard_index, o.shard_count, r.n, r.ok, r.failed, r.done_now, r.previously_done,
                r.extended ? " (run extended)" : "", mpi.size(), r.threads, r.seconds, r.ledger_dir.string().c_str());
  } else if (mpi.rank() == 0) {
    std::printf("%zu candidates: %zu ok, %zu failed; %zu done now, %zu done before%s; %d rank(s) x %d thread(s); "
                "%.2f s\nshards: %s\nledger: %s\nresults: %s\n",
                r.n, r.ok, r.failed, r.done_now, r.previously_done, r.extended ? " (run extended)" : "", mpi.size(),
                r.threads, r.seconds, r.shards_dir.string().c_str(), r.ledger_dir.string().c_str(),
                o.export_gnnet ? r.results_dir.string().c_str() : "(not exported)");
  }
  return r.failed > 0 ? 1 : 0;
}

}  // namespace autoopt::cli
