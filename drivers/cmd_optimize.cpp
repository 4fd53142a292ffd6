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
    "Writes into --out: selected.csv, table2.csv, models/<autoopt|all-pool|random>/, report/, summary.txt.\n";

fs::path exe_dir(char** argv) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) return self.parent_path();
  return fs::absolute(argv[0], ec).parent_path();
}

}  // namespace

int cmd_optimize(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"pool", "dataset to select from (GNNet folder or HDF5 store, with results)", false, ""},
      {"fraction", "share of the pool to keep, in (0, 1]", false, ""},
      {"val", "validation set (early stopping, filter model)", false, ""},
      {"test", "test set: Table I is measured on it when given (else on --val)", false, ""},
      {"out", "output folder", false, ""},
      {"preset", "configs/run-<preset>.conf for the Stage-2 and model settings", false, "quick"},
      {"config", "a run config file instead of a preset", false, ""},
      {"seed", "seed (overrides the config's)", false, ""},
      {"threads", "torch threads (0: the cores shared among the ranks)", false, ""},
      {"device", "cpu or cuda", false, ""},
      {"quiet", "no progress lines", true, ""},
  };
  const Args a("optimize", specs, argc, argv, 2);
  const std::string synopsis =
      "--pool DATA --fraction F --val DATA [--test DATA] --out DIR [--preset quick|paper | --config FILE] [--seed S]";
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
  if (a.given("threads")) o.settings.threads = static_cast<int>(a.get_int("threads", 0, 4096));
  if (a.given("device")) {
    o.settings.device = a.get("device");
    if (o.settings.device != "cpu" && o.settings.device != "cuda") {
      throw Error("autoopt optimize: --device: expected cpu or cuda, got '" + o.settings.device + "'");
    }
  }
  const std::string f = a.get("fraction");
  std::size_t used = 0;
  try {
    o.fraction = std::stod(f, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != f.size() || !(o.fraction > 0.0 && o.fraction <= 1.0)) {
    throw Error("autoopt optimize: --fraction: expected a number in (0, 1], got '" + f + "'");
  }
  o.pool = a.get("pool");
  o.val = a.get("val");
  o.test = a.get("test");
  o.out = a.get("out");
  o.progress = !a.flag("quiet");
  std::string cl = "autoopt";
  for (int i = 1; i < argc; ++i) cl += std::string(" ") + argv[i];
  o.command_line = cl;
  o.dist = io::Distribution{mpi.rank(), mpi.size(), mpi.active() ? mpi.comm() : MPI_COMM_NULL};
  const pipeline::OptimizeResult r = pipeline::optimize_dataset(o);
  if (mpi.rank() == 0) {
    std::printf("\n%s", pipeline::run_report_text(r.report).c_str());
    std::printf("\n%zu of %zu samples kept; accuracy lost (overall delay MAPE, AutoOPT - all-pool): %+.2f points "
                "(random selection: %+.2f); jitter: %+.2f points\nreport -> %s\n",
                r.selected.size(), r.pool_size, r.delay_mape_lost * 100, r.random_delay_mape_lost * 100,
                r.jitter_mape_lost * 100, (o.out / "report" / "report.html").string().c_str());
  }
  return 0;
}

}  // namespace autoopt::cli
