// Locating the shared data (../shared by default, AUTOOPT_SHARED to override) from tests.
// A test that needs it calls AUTOOPT_REQUIRE_SHARED(path): outside CI a missing path skips the test
// with the reason; inside CI (CI=true) it fails.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace autoopt::testing {

inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("AUTOOPT_SHARED"); env != nullptr && *env != '\0') return env;
  return AUTOOPT_DEFAULT_SHARED_DIR;
}

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

}  // namespace autoopt::testing

#define AUTOOPT_REQUIRE_SHARED(path)                                                          \
  do {                                                                                        \
    if (!std::filesystem::exists(path)) {                                                     \
      if (::autoopt::testing::in_ci()) {                                                      \
        FAIL() << "shared data missing in CI: " << (path);                                    \
      } else {                                                                                \
        GTEST_SKIP() << "shared data not found at " << (path)                                 \
                     << " (set AUTOOPT_SHARED to the shared folder)";                          \
      }                                                                                       \
    }                                                                                         \
  } while (0)
