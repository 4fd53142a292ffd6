// autoopt optimize (placeholder until the pipeline lands).
#include <cstdio>

#include "commands.hpp"

namespace autoopt::cli {

int cmd_optimize(int, char**, const run::MpiSession&) {
  std::fputs("autoopt optimize: not built yet\n", stderr);
  return 2;
}

}  // namespace autoopt::cli
