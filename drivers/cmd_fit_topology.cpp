// autoopt fit-topology: fits the PLOD topology generator's (alpha, beta) to real topologies (the
// Internet Topology Zoo GML files of a folder) and writes them as a config file. Thin: parse, call
// gen::fit_plod / gen::format_plod_conf, write.
#include <cstdio>
#include <fstream>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "gen/topology.hpp"
#include "net/error.hpp"

namespace autoopt::cli {

int cmd_fit_topology(int argc, char** argv, const run::MpiSession& mpi) {
  const std::vector<OptionSpec> specs = {
      {"zoo", "folder of Topology Zoo GML files (*.gml)", false, ""},
      {"out", "config file to write (e.g. configs/plod.conf)", false, ""},
      {"min-nodes", "only graphs with at least this many connected nodes", false, "4"},
      {"max-nodes", "only graphs with at most this many connected nodes", false, "30"},
  };
  const Args a("fit-topology", specs, argc, argv, 2);
  const std::string synopsis = "--zoo DIR --out FILE [--min-nodes N] [--max-nodes N]";
  if (a.help() || !a.positional().empty() || a.get("zoo").empty() || a.get("out").empty()) {
    std::fputs(a.usage(synopsis).c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  const int min_nodes = static_cast<int>(a.get_int("min-nodes", 2, 100000000));
  const int max_nodes = static_cast<int>(a.get_int("max-nodes", 2, 100000000));
  const auto graphs = gen::read_zoo_folder(a.get("zoo"));
  const gen::PlodFit fit = gen::fit_plod(graphs, min_nodes, max_nodes);
  if (mpi.rank() != 0) return 0;
  const std::string command = "autoopt fit-topology --zoo " + a.get("zoo") + " --out " + a.get("out") +
                              " --min-nodes " + std::to_string(min_nodes) + " --max-nodes " + std::to_string(max_nodes);
  const std::string text = gen::format_plod_conf(fit, command);
  {
    std::ofstream out(a.get("out"), std::ios::binary | std::ios::trunc);
    if (!out) throw Error("autoopt fit-topology: --out: cannot write " + a.get("out"));
    out << text;
    if (!out) throw Error("autoopt fit-topology: --out: write failed for " + a.get("out"));
  }
  std::printf("fitted %zu graphs (%d skipped): alpha = %.4f (IQR %.4f..%.4f), beta = %.4f (IQR %.4f..%.4f) -> %s\n",
              fit.per_graph.size(), fit.skipped, fit.params.alpha, fit.alpha_p25, fit.alpha_p75, fit.params.beta,
              fit.beta_p25, fit.beta_p75, a.get("out").c_str());
  return 0;
}

}  // namespace autoopt::cli
