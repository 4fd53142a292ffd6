// The `autoopt` command: parses arguments, calls engine/, prints. Nothing here that the library
// cannot do.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "args.hpp"
#include "commands.hpp"
#include "net/error.hpp"
#include "run/mpi.hpp"

namespace {

constexpr const char* kUsage =
    "usage: autoopt <command> [options]   (autoopt <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  info      summarise a dataset (GNNet folder or HDF5 store)\n"
    "  convert   GNNet <-> HDF5 shard store (shares samples among MPI ranks)\n"
    "  simulate  simulate a reference-simulator input folder (or re-simulate a dataset) into a GNNet\n"
    "            dataset (shares samples among MPI ranks and threads)\n"
    "  generate  Stage 1: generate, simulate and store small-network candidates (resumable)\n"
    "  fit-topology  fit the power-law topology generator to real topologies (Topology Zoo)\n"
    "  report    report indicators RUN [--reference DIR]: indicator plots (HTML) and distances;\n"
    "            report table4 RESULTS.csv: Table IV of optimize runs (HTML with plots, CSV)\n"
#ifdef AUTOOPT_WITH_MODEL
    "  train     train a RouteNet-Fermi model on a dataset with results\n"
    "  evaluate  per-size error table of a model on a dataset with results (CSV, JSON, SVG)\n"
    "  predict   per-path predictions of a model as CSV (shares samples among MPI ranks)\n"
    "  run       the whole pipeline: Stage 1 -> Stage 2 -> final model -> evaluation -> report\n"
    "            (presets in configs/: quick, paper; resumable)\n"
    "  optimize  Stage 2 alone on an existing dataset: keep a fraction of it, report the accuracy lost\n"
#endif
    ;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    autoopt::run::MpiSession mpi(&argc, &argv);
    const std::string_view cmd = argv[1];
    if (cmd == "info") return autoopt::cli::cmd_info(argc, argv, mpi);
    if (cmd == "convert") return autoopt::cli::cmd_convert(argc, argv, mpi);
    if (cmd == "simulate") return autoopt::cli::cmd_simulate(argc, argv, mpi);
    if (cmd == "generate") return autoopt::cli::cmd_generate(argc, argv, mpi);
    if (cmd == "fit-topology") return autoopt::cli::cmd_fit_topology(argc, argv, mpi);
    if (cmd == "report") return autoopt::cli::cmd_report(argc, argv, mpi);
#ifdef AUTOOPT_WITH_MODEL
    if (cmd == "train") return autoopt::cli::cmd_train(argc, argv, mpi);
    if (cmd == "evaluate") return autoopt::cli::cmd_evaluate(argc, argv, mpi);
    if (cmd == "predict") return autoopt::cli::cmd_predict(argc, argv, mpi);
    if (cmd == "run") return autoopt::cli::cmd_run(argc, argv, mpi);
    if (cmd == "optimize") return autoopt::cli::cmd_optimize(argc, argv, mpi);
#endif
    std::fprintf(stderr, "autoopt: unknown command '%s'\n\n%s", argv[1], kUsage);
    return 2;
  } catch (const autoopt::Error& e) {
    std::fprintf(stderr, "autoopt: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "autoopt: internal error: %s\n", e.what());
    return 1;
  }
}
