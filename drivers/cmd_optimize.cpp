// autoopt optimize: Stage 2 alone on an existing dataset (GNNet folder or HDF5 store): keep a fraction
// of it by seed selection + incremental optimization, and report the accuracy lost against training on
// all of it (and against a random selection of the same size). Thin: parse, call
// pipeline::optimize_dataset, print.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "net/error.hpp"
#include "pipeline/optimize.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNotes =
    "\n"
    "Stage-2 and model settings come from the preset or --config (the same keys as autoopt run; the pool\n"
    "and generation keys are ignored, n_max = round(fraction x |pool|)). The model trained on the whole\n"
    "pool is both a method of the comparison and the feature extractor of seed selection.\n"
    "--fraction takes one fraction or several separated by commas (0.1,0.25,0.5): the all-pool model\n"
    "(= feature extractor) is trained once, then Stage 2 and the AutoOPT/random models run per fraction.\n"
    "Writes into --out: models/all-pool/, optimize.txt, and per fraction f<F>/ (selected.csv, table2.csv,\n"
    "models/<autoopt|random>/, report/, result.txt, summary.txt). Rerunning with the same --out resumes:\n"
    "the all-pool model and every fraction with a summary.txt are reused. Under mpirun the pool's\n"
    "per-sample losses, embeddings and exact-influence retrainings are shared among the ranks.\n";

}  // namespace

int cmd_optimize(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"pool", "dataset to select from (GNNet folder or HDF5 store, with results)", false, ""},
      {"fraction", "share(s) of the pool to keep, in (0, 1]; several: 0.1,0.25,0.5", false, ""},
      {"val", "validation set (early stopping, filter model)", false, ""},
      {"test", "test set: Table I is measured on it when given (else on --val)", false, ""},
      {"out", "output folder", false, ""},
      {"preset", "configs/run-<preset>.conf for the Stage-2 and model settings", false, "quick"},
      {"config", "a run config file instead of a preset", false, ""},
      {"seed", "seed (overrides the config's)", false, ""},
      {"rules", "expert rules file (overrides the config's rules; e.g. configs/expert_rules_gnnet2023.conf)", false, ""},
      {"threads", "torch threads (0: the cores shared among the ranks)", false, ""},
      {"device", "cpu or cuda", false, ""},
      {"quiet", "no progress lines", true, ""},
  };
  const Args a("optimize", specs, argc, argv, 2);
  const std::string synopsis =
      "--pool DATA --fraction F[,F...] --val DATA [--test DATA] --out DIR [--preset quick|paper | --config FILE] [--seed S]";
  if (a.help() || !a.positional().empty() || a.get("pool").empty() || a.get("fraction").empty() ||
      a.get("val").empty() || a.get("out").empty()) {
    std::fputs((a.usage(synopsis) + kNotes).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  if (a.given("preset") && a.given("config")) throw Error("autoopt optimize: give --preset or --config, not both");
  const fs::path file = a.given("config") ? fs::path(a.get("config")) : pipeline::find_preset(a.get("preset"), exe_dir(argv));
  pipeline::OptimizeOptions o;
  o.settings = pipeline::load_run_config(file);
  if (a.given("seed")) o.settings.seed = static_cast<std::uint64_t>(a.get_int("seed", 0, 1LL << 62));
  if (a.given("rules")) o.settings.rules = fs::absolute(a.get("rules"));
  if (a.given("threads")) o.settings.threads = static_cast<int>(a.get_int("threads", 0, 4096));
  if (a.given("device")) {
    o.settings.device = a.get("device");
    if (o.settings.device != "cpu" && o.settings.device != "cuda") {
      throw Error("autoopt optimize: --device: expected cpu or cuda, got '" + o.settings.device + "'");
    }
  }
  // --fraction F or F1,F2,...: each a number in (0, 1].
  const std::string fl = a.get("fraction");
  o.fractions.clear();  // replaces OptimizeOptions' default
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = fl.find(',', start);
    const std::string f = fl.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto v = parse_finite(f);
    if (!v || !(*v > 0.0 && *v <= 1.0)) {
      throw Error("autoopt optimize: --fraction: expected numbers in (0, 1] separated by commas, got '" + f + "'");
    }
    o.fractions.push_back(*v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  o.pool = a.get("pool");
  o.val = a.get("val");
  o.test = a.get("test");
  o.out = a.get("out");
  o.progress = !a.flag("quiet");
  o.command_line = command_line(argc, argv);
  o.dist = io::Distribution{mpi.rank(), mpi.size(), mpi.active() ? mpi.comm() : MPI_COMM_NULL};
  const pipeline::OptimizeResult r = pipeline::optimize_dataset(o);
  if (mpi.rank() == 0) {
    for (const auto& f : r.fractions) {
      if (!f.resumed) std::printf("\n== fraction %g\n%s", f.fraction, pipeline::run_report_text(f.report).c_str());
    }
    std::printf("\n%-9s %9s %12s %12s %12s %14s %14s\n", "fraction", "kept", "AutoOPT %", "random %", "all-pool %",
                "AutoOPT lost", "random lost");
    for (const auto& f : r.fractions) {
      std::printf("%-9g %4zu/%-4zu %12.2f %12.2f %12.2f %+14.2f %+14.2f%s\n", f.fraction, f.selected.size(), r.pool_size,
                  f.autoopt_delay_mape * 100, f.random_delay_mape * 100, f.all_pool_delay_mape * 100,
                  f.delay_mape_lost * 100, f.random_delay_mape_lost * 100, f.resumed ? "  (earlier call)" : "");
    }
    std::printf("(overall delay MAPE on the %s set; lost = points against the all-pool model)\n",
                o.test.empty() ? "validation" : "test");
    for (const auto& f : r.fractions) {
      std::printf("report -> %s\n", (f.dir / "report" / "report.html").string().c_str());
    }
  }
  return 0;
}

}  // namespace autoopt::cli
