// JSON text helpers shared by the reports (indicator report, run report): string literals with the
// JSON escapes.
#pragma once

#include <string>
#include <string_view>

namespace autoopt::gen {

// `s` as a quoted JSON string: " \ newline tab CR escaped as \" \\ \n \t \r, other control
// characters as \u00XX; everything else (UTF-8 bytes included) copied as is.
[[nodiscard]] std::string json_string(std::string_view s);

}  // namespace autoopt::gen
