// The subcommands of `autoopt`; each returns the process exit code.
#pragma once

#include "run/mpi.hpp"

namespace autoopt::cli {

int cmd_info(int argc, char** argv, const run::MpiSession& mpi);
int cmd_convert(int argc, char** argv, const run::MpiSession& mpi);

}  // namespace autoopt::cli