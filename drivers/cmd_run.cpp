// autoopt run: the whole AutoOPT pipeline (Stage 1 -> Stage 2 -> final model -> baselines -> evaluation
// -> report) in one resumable run folder. Thin: parse, read the preset or config, call
// pipeline::run_pipeline, print the report's tables.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "net/error.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNotes =
    "\n"
    "Presets (configs/run-<name>.conf): quick (the default: a small pool, a self-made evaluation set of\n"
    "larger networks, a few minutes on 2 cores, no external data) and paper (N_max 100, X_tra 10, a pool\n"
    "of 500; give --val, e.g. ../shared/data/gnnet2022/validation). --config FILE reads another file.\n"
    "\n"
    "Run folder (--out RUN): pool/ (Stage 1), eval/ (self-made evaluation set), stage2/ (extractor,\n"
    "embeddings, seeds, selection, table2.csv), models/<method>/, evaluation/<method>.csv, report/\n"
    "(report.html, table1.csv, table2.csv, report.json), stages.json (finished stages and their times),\n"
    "run-config.txt (the configuration's identity).\n"
    "\n"
    "Resume: rerun the same command; finished stages are skipped (generation resumes sample by sample).\n"
    "A rerun with another configuration is refused unless --force (which deletes the run folder's\n"
    "contents). Under mpirun, generation and the incremental stage's pool scoring are shared among the\n"
    "ranks; the other stages run on rank 0.\n"
    "docs/pipeline.md has the details.\n";

}  // namespace

int cmd_run(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"out", "run folder (created; rerun the same command to resume)", false, ""},
      {"preset", "configs/run-<preset>.conf: quick or paper", false, "quick"},
      {"config", "a run config file instead of a preset", false, ""},
      {"seed", "global seed (overrides the config's seed)", false, ""},
      {"pool", "pool size |D_can| (overrides pool_size)", false, ""},
      {"n-max", "N_max, the training-set budget (overrides n_max)", false, ""},
      {"val", "validation set D_val: GNNet folder or HDF5 store (instead of the self-made set)", false, ""},
      {"test", "test set: Table I is measured on it when given", false, ""},
      {"threads", "torch and generation threads per rank (0: the cores shared among the ranks)", false, ""},
      {"device", "where the models run: cpu or cuda", false, ""},
      {"force", "discard a run folder made with another configuration and start over", true, ""},
      {"quiet", "no progress lines", true, ""},
  };
  const Args a("run", specs, argc, argv, 2);
  const std::string synopsis =
      "--out RUN [--preset quick|paper | --config FILE] [--seed S] [--pool N] [--n-max N] [--val DATA] "
      "[--test DATA] [--threads K] [--device cpu|cuda] [--force]";
  if (a.help() || !a.positional().empty() || a.get("out").empty()) {
    std::fputs((a.usage(synopsis) + kNotes).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  if (a.given("preset") && a.given("config")) throw Error("autoopt run: give --preset or --config, not both");
  const fs::path file = a.given("config") ? fs::path(a.get("config")) : pipeline::find_preset(a.get("preset"), exe_dir(argv));
  pipeline::RunConfig cfg = pipeline::load_run_config(file);
  pipeline::RunOverrides ov;
  if (a.given("seed")) ov.seed = static_cast<std::uint64_t>(a.get_int("seed", 0, 1LL << 62));
  if (a.given("pool")) ov.pool_size = static_cast<std::size_t>(a.get_int("pool", 1, 1LL << 40));
  if (a.given("n-max")) ov.n_max = static_cast<std::size_t>(a.get_int("n-max", 1, 1LL << 40));
  if (a.given("val")) ov.val = fs::path(a.get("val"));
  if (a.given("test")) ov.test = fs::path(a.get("test"));
  if (a.given("threads")) ov.threads = static_cast<int>(a.get_int("threads", 0, 4096));
  if (a.given("device")) ov.device = a.get("device");
  pipeline::apply_overrides(cfg, ov);

  pipeline::RunOptions o;
  o.run_dir = a.get("out");
  o.force = a.flag("force");
  o.progress = !a.flag("quiet");
  o.command_line = command_line(argc, argv);
  o.dist = io::Distribution{mpi.rank(), mpi.size(), mpi.active() ? mpi.comm() : MPI_COMM_NULL};
  if (mpi.rank() == 0) {
    std::printf("autoopt run: config %s, run folder %s, %d rank(s)\n", file.string().c_str(), o.run_dir.string().c_str(),
                mpi.size());
    std::fflush(stdout);
  }
  const pipeline::RunResult r = pipeline::run_pipeline(cfg, o);
  if (mpi.rank() == 0) {
    std::printf("\n%s", pipeline::run_report_text(r.report).c_str());
    std::printf("\nstage times:\n");
    double total = 0;
    for (const auto& s : r.stages) {
      std::printf("  %-22s %9.1f s%s\n", s.stage.c_str(), s.seconds, s.resumed ? "  (finished before)" : "");
      total += s.seconds;
    }
    std::printf("  %-22s %9.1f s\nreport -> %s\n", "total", total, (r.report_dir / "report.html").string().c_str());
  }
  return 0;
}

}  // namespace autoopt::cli
