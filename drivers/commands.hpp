// The subcommands of `autoopt`; each returns the process exit code.
#pragma once

#include "run/mpi.hpp"

namespace autoopt::cli {

int cmd_info(int argc, char** argv, const run::MpiSession& mpi);
int cmd_convert(int argc, char** argv, const run::MpiSession& mpi);
int cmd_simulate(int argc, char** argv, const run::MpiSession& mpi);
int cmd_generate(int argc, char** argv, const run::MpiSession& mpi);      // cmd_generate.cpp
int cmd_fit_topology(int argc, char** argv, const run::MpiSession& mpi);  // cmd_fit_topology.cpp
int cmd_report(int argc, char** argv, const run::MpiSession& mpi);        // cmd_report.cpp
// train / evaluate / predict (drivers/cmd_model.cpp; built when libtorch is, AUTOOPT_WITH_MODEL).
int cmd_train(int argc, char** argv, const run::MpiSession& mpi);
int cmd_evaluate(int argc, char** argv, const run::MpiSession& mpi);
int cmd_predict(int argc, char** argv, const run::MpiSession& mpi);
int cmd_run(int argc, char** argv, const run::MpiSession& mpi);       // cmd_run.cpp: the whole pipeline
int cmd_optimize(int argc, char** argv, const run::MpiSession& mpi);  // cmd_optimize.cpp: Stage 2 alone

}  // namespace autoopt::cli
