// autoopt run (placeholder until the pipeline lands).
#include <cstdio>

#include "commands.hpp"

namespace autoopt::cli {

int cmd_run(int, char**, const run::MpiSession&) {
  std::fputs("autoopt run: not built yet\n", stderr);
  return 2;
}

}  // namespace autoopt::cli
