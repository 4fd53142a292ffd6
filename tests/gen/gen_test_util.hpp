// Small helpers shared by the gen tests: the repository's configs/ folder and the message of the
// autoopt::Error a call throws.
#pragma once

#include <filesystem>
#include <string>

#include "net/error.hpp"

namespace autoopt::testing {

inline std::filesystem::path configs_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "configs";
}

// The what() of the autoopt::Error fn() throws, or "(no error)".
inline std::string error_of(const auto& fn) {
  try {
    fn();
  } catch (const autoopt::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace autoopt::testing
