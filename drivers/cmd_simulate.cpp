// autoopt simulate: a drop-in for the reference simulator's Docker image (reference input folder ->
// GNNet dataset), which also re-simulates the inputs of any dataset. Thin: parse, call run::simulate_job.
#include <cstdio>
#include <filesystem>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "io/refsim.hpp"
#include "net/error.hpp"
#include "run/simulate_job.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNotes =
    "\n"
    "--in is either a reference input folder (conf.yml + simulation.txt, as bind-mounted into the\n"
    "reference Docker image) or a dataset (GNNet folder or HDF5 store) whose inputs are re-simulated.\n"
    "\n"
    "Output (--out; default for a reference folder: the folder itself, like the Docker image; required\n"
    "for a dataset):\n"
    "  <out>/results/<dataset_name>/   GNNet dataset root (graphs/, routings/, results_<name>_<a>_<b>.tar.gz)\n"
    "  <out>/out.log                   one line per sample: the simulation line, then Ok or the error\n"
    "  <out>/shards/                   HDF5 shard store of the simulated samples (one shard per rank)\n"
    "\n"
    "Reference input conventions: ON-OFF flows are `2,<off>,<on>` (2022 notebooks; --on-off-order\n"
    "on-off for the later image's order); AvgPktSize = floor(sum size*prob); maxAvgLambda = the largest\n"
    "avg_bw of the TM; the 2022 limits are enforced (avg_bw 10-10000 bit/s, <= 5 sizes of 256-2000 bits,\n"
    "ToS 0-2, one flow per pair). conf.yml `threads` caps the default thread count; --threads overrides.\n"
    "Sample k (line k of simulation.txt) uses a seed derived from (--seed, k): results do not depend on\n"
    "the number of MPI ranks or threads. Under mpirun the samples are shared among ranks round-robin.\n"
    "A failed sample is logged in out.log and the run goes on; the exit status is then 1.\n";

}  // namespace

int cmd_simulate(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"in", "reference input folder or dataset (GNNet folder / HDF5 store)", false, ""},
      {"out", "output folder (default: --in for a reference input folder)", false, ""},
      {"sim-time", "simulated seconds per sample (the statistics window T)", false, "1000"},
      {"warmup", "simulated seconds before the statistics window", false, "0"},
      {"seed", "global seed; sample k uses a seed derived from (seed, k)", false, "1"},
      {"threads", "simulation threads per rank (0: cores per rank, capped by conf.yml threads)", false, "0"},
      {"min-nodes", "only networks with at least this many nodes", false, "0"},
      {"max-nodes", "only networks with at most this many nodes", false, "1000000"},
      {"name", "output dataset name (default: conf.yml dataset_name, or 'resimulated')", false, ""},
      {"samples-per-file", "samples per results archive (0: conf.yml samples_per_file, or 1)", false, "0"},
      {"rm-prev-results", "remove previous results/<name>/ and out.log (also conf.yml rm_prev_results: y)", true, ""},
      {"on-off-order", "ON-OFF parameter order in TM files: off-on (2022) or on-off (later image)", false, "off-on"},
      {"quiet", "no progress lines", true, ""},
  };
  const Args a("simulate", specs, argc, argv, 2);
  const std::string synopsis = "--in DIR [--out DIR] [--sim-time S] [--seed N] [--threads N] [--min-nodes N] [--max-nodes N]";
  if (a.help() || !a.positional().empty() || a.get("in").empty()) {
    std::fputs((a.usage(synopsis) + kNotes).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  run::SimulateOptions o;
  o.in = a.get("in");
  if (std::error_code ec; !fs::exists(o.in, ec)) {
    throw Error("autoopt simulate: --in: " + o.in.string() + ": no such file or folder");
  }
  const bool reference = io::refsim::is_reference_input(o.in);
  if (a.get("out").empty()) {
    if (!reference) throw Error("autoopt simulate: --out is required when --in is a dataset");
    o.out = o.in;
  } else {
    o.out = a.get("out");
  }
  o.sim.sim_time_s = a.get_double("sim-time", 1e-9);
  o.sim.warmup_s = a.get_double("warmup", 0);
  o.sim.seed = static_cast<std::uint64_t>(a.get_int("seed", 0, (1LL << 62)));
  o.threads = static_cast<int>(a.get_int("threads", 0, 4096));
  o.filter = {static_cast<int>(a.get_int("min-nodes", 0, 1000000)), static_cast<int>(a.get_int("max-nodes", 0, 1000000))};
  o.dataset_name = a.get("name");
  o.samples_per_file = static_cast<std::size_t>(a.get_int("samples-per-file", 0, 1000000));
  if (a.flag("rm-prev-results")) o.rm_prev_results = true;
  const std::string order = a.get("on-off-order");
  if (order == "on-off") {
    o.ref.tm.on_off = io::refsim::OnOffOrder::OnThenOff;
  } else if (order != "off-on") {
    throw Error("autoopt simulate: --on-off-order: expected off-on or on-off, got '" + order + "'");
  }
  o.progress = !a.flag("quiet");
  const io::Distribution dist = mpi.distribution();
  const run::SimulateReport r = run::simulate_job(o, dist);
  if (mpi.rank() == 0) {
    for (const auto& w : r.warnings) std::fprintf(stderr, "autoopt simulate: warning: %s\n", w.c_str());
    std::printf("%zu samples: %zu ok, %zu failed, %zu skipped; %d rank(s) x %d thread(s); %.2f s\n"
                "results: %s\nlog: %s\n",
                r.total, r.ok, r.failed, r.skipped, mpi.size(), r.threads, r.seconds, r.results_dir.string().c_str(),
                r.log_file.string().c_str());
  }
  return r.failed > 0 ? 1 : 0;
}

}  // namespace autoopt::cli
