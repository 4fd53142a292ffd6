// Number formatting and parsing helpers for the GNNet text formats: C printf-compatible %g / %f,
// "truncate to 6 decimals then %g" (simulationResults, traffic), Python float repr (GML floats),
// shortest round-trip text, and allocation-free std::from_chars parsing of string_views.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace autoopt::io::numfmt {

// Appends v as printf("%g") would (6 significant digits, C locale).
void append_g(std::string& out, double v);
// Appends v as printf("%f") would (6 decimals, C locale).
void append_f(std::string& out, double v);
// Appends a decimal integer.
void append_int(std::string& out, std::int64_t v);
// Appends the shortest text that reads back as v; integral values have no ".0" ("70", "33.3").
void append_shortest(std::string& out, double v);
// Appends v as Python's repr(float) would: "10000.0", "0.0001", "1e-05", "1e+16", "inf", "nan".
void append_py_float(std::string& out, double v);

// v truncated toward zero to 6 decimal places. A value within a tiny relative distance (1e-10) of
// a multiple of 1e-6 is first snapped onto it, so a parsed "2.34132" (binary 2.3413199999...)
// stays 2.34132 instead of dropping to 2.341319. Non-finite values are returned unchanged.
[[nodiscard]] double truncate6(double v) noexcept;
// append_g(truncate6(v)): the number format of simulationResults.txt and traffic.txt.
void append_trunc_g(std::string& out, double v);

// Convenience wrappers returning a string.
[[nodiscard]] std::string format_g(double v);
[[nodiscard]] std::string format_trunc_g(double v);
[[nodiscard]] std::string format_py_float(double v);

// Parses a number at [first, last) like std::from_chars (C locale, no leading '+' or spaces) and
// returns the end pointer, or nullptr if there is no number. Plain decimals of up to 19 digits and
// a small exponent take an exact fast path (correctly rounded); anything else goes to from_chars.
[[nodiscard]] const char* parse_double_prefix(const char* first, const char* last, double& out) noexcept;

// Parses the whole of `text` as a number (no surrounding spaces, no leading '+'); false on failure.
[[nodiscard]] bool parse_double(std::string_view text, double& out) noexcept;
[[nodiscard]] bool parse_int(std::string_view text, std::int64_t& out) noexcept;
[[nodiscard]] bool parse_int(std::string_view text, int& out) noexcept;

}  // namespace autoopt::io::numfmt
