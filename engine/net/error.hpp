// The one exception type the engine throws for bad input and failed operations.
// Messages name the file, the line or the field, and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace autoopt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace autoopt
