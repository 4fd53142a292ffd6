// Number formatting and parsing helpers for the GNNet text formats (see numfmt.hpp).
#include "io/numfmt.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace autoopt::io::numfmt {
namespace {

constexpr std::size_t kBuf = 64;

// 10^0 .. 10^22: every one is exact in a double.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// printf("%g") for the common magnitudes, without the general (slow) to_chars path. Returns false
// when the value is not handled (the caller then uses to_chars): zero, non-finite, very small or
// large values, and values too close to a rounding tie to decide with one multiplication.
bool fast_g(std::string& out, double v) {
  if (!(v != 0.0) || !std::isfinite(v)) return false;
  const double a = std::fabs(v);
  if (a < 1e-9 || a >= 1e15) return false;
  // X = floor(log10(a)) by table comparison.
  int x = 0;
  if (a >= 1.0) {
    while (x < 15 && a >= kPow10[x + 1]) ++x;
  } else {
    x = -1;
    while (a < 1.0 / kPow10[-x]) --x;  // 1/10^k is inexact, so confirm below
  }
  const int shift = 5 - x;  // digits to the right of the 6th significant digit
  double scaled = 0;
  if (shift >= 0) {
    if (shift > 22) return false;
    scaled = a * kPow10[shift];
  } else {
    scaled = a / kPow10[-shift];
  }
  // [99999.5, 1e6) rounds to 6 digits (1e6 itself is handled below); outside it the table guess of
  // X was off (1/10^k is inexact), so leave it to to_chars.
  if (scaled < 99999.5 || scaled >= 1000000.0) return false;
  const double fl = std::floor(scaled);
  const double frac = scaled - fl;
  if (std::fabs(frac - 0.5) < 1e-6) return false;  // near a tie: let to_chars decide exactly
  std::int64_t r = static_cast<std::int64_t>(fl) + (frac > 0.5 ? 1 : 0);
  if (r < 100000) return false;
  if (r >= 1000000) {  // 999999.7 -> 1000000: one more digit before the point
    r /= 10;
    ++x;
  }
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + r % 10);
    r /= 10;
  }
  int nd = 6;
  while (nd > 1 && digits[nd - 1] == '0') --nd;  // %g strips trailing zeros
  if (v < 0) out += '-';
  if (x < -4 || x >= 6) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, static_cast<std::size_t>(nd - 1));
    }
    out += 'e';
    out += x < 0 ? '-' : '+';
    const int ax = x < 0 ? -x : x;
    if (ax < 10) out += '0';
    append_int(out, ax);
  } else if (x >= 0) {
    const int ip = x + 1;
    out.append(digits, static_cast<std::size_t>(ip));
    if (nd > ip) {
      out += '.';
      out.append(digits + ip, static_cast<std::size_t>(nd - ip));
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-x - 1), '0');
    out.append(digits, static_cast<std::size_t>(nd));
  }
  return true;
}

void append_chars(std::string& out, const char* first, std::to_chars_result r) {
  // The buffers below are large enough for any double in these formats; r.ec is never set.
  out.append(first, static_cast<std::size_t>(r.ptr - first));
}

}  // namespace

void append_g(std::string& out, double v) {
  if (fast_g(out, v)) return;
  std::array<char, kBuf> buf{};
  // Specified as printf with the same precision in the "C" locale.
  append_chars(out, buf.data(),
               std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::general, 6));
}

void append_f(std::string& out, double v) {
  if (!std::isfinite(v) || std::fabs(v) >= 1e30) {
    std::array<char, 400> big{};
    append_chars(out, big.data(),
                 std::to_chars(big.data(), big.data() + big.size(), v, std::chars_format::fixed, 6));
    return;
  }
  std::array<char, kBuf> buf{};
  append_chars(out, buf.data(),
               std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, 6));
}

void append_int(std::string& out, std::int64_t v) {
  std::array<char, 24> buf{};
  append_chars(out, buf.data(), std::to_chars(buf.data(), buf.data() + buf.size(), v));
}

void append_shortest(std::string& out, double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15) {
    append_int(out, static_cast<std::int64_t>(v));  // to_chars would pick "1e+06" for 1000000
    return;
  }
  std::array<char, kBuf> buf{};
  append_chars(out, buf.data(), std::to_chars(buf.data(), buf.data() + buf.size(), v));
}

void append_py_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  // Shortest round-trip digits in scientific form: [-]d[.ddd]e[+-]XX
  std::array<char, kBuf> buf{};
  const auto r =
      std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  std::string_view s(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  const std::size_t e = s.find('e');
  std::string digits;
  for (const char c : s.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp10 = 0;
  std::string_view es = s.substr(e + 1);
  if (!es.empty() && es.front() == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp10);
  const int decpt = exp10 + 1;  // digits d1 d2 ... with the point after decpt digits
  const int n = static_cast<int>(digits.size());
  if (neg) out += '-';
  if (decpt <= -4 || decpt > 16) {  // Python's repr switches to exponent notation here
    out += digits[0];
    if (n > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    const int x = decpt - 1;
    out += x < 0 ? '-' : '+';
    const int ax = x < 0 ? -x : x;
    if (ax < 10) out += '0';
    append_int(out, ax);
    return;
  }
  if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-decpt), '0');
    out += digits;
  } else if (decpt >= n) {
    out += digits;
    out.append(static_cast<std::size_t>(decpt - n), '0');
    out += ".0";
  } else {
    out.append(digits, 0, static_cast<std::size_t>(decpt));
    out += '.';
    out.append(digits, static_cast<std::size_t>(decpt));
  }
}

double truncate6(double v) noexcept {
  if (!std::isfinite(v)) return v;
  const double x = v * 1e6;
  if (std::fabs(x) >= 4e15) return v;  // no digits below 1e-6 are representable any more
  const double r = std::nearbyint(x);
  const double t = (std::fabs(x - r) <= 1e-10 * std::fabs(x)) ? r : std::trunc(x);
  if (t == 0.0) return std::signbit(v) ? -0.0 : 0.0;
  return t / 1e6;
}

void append_trunc_g(std::string& out, double v) { append_g(out, truncate6(v)); }

std::string format_g(double v) {
  std::string s;
  append_g(s, v);
  return s;
}
std::string format_trunc_g(double v) {
  std::string s;
  append_trunc_g(s, v);
  return s;
}
std::string format_py_float(double v) {
  std::string s;
  append_py_float(s, v);
  return s;
}

const char* parse_double_prefix(const char* first, const char* last, double& out) noexcept {
  const char* p = first;
  const bool neg = (p != last && *p == '-');
  if (neg) ++p;
  std::uint64_t mant = 0;
  int ndigits = 0;
  int exp10 = 0;
  bool any = false;
  while (p != last && static_cast<unsigned>(*p - '0') < 10U) {
    mant = mant * 10 + static_cast<unsigned>(*p - '0');
    ++ndigits;
    any = true;
    ++p;
  }
  if (p != last && *p == '.') {
    ++p;
    while (p != last && static_cast<unsigned>(*p - '0') < 10U) {
      mant = mant * 10 + static_cast<unsigned>(*p - '0');
      ++ndigits;
      --exp10;
      any = true;
      ++p;
    }
  }
  if (!any || ndigits > 19) {
    const auto r = std::from_chars(first, last, out);
    return r.ec == std::errc{} ? r.ptr : nullptr;
  }
  if (p != last && (*p == 'e' || *p == 'E')) {
    const char* q = p + 1;
    const bool eneg = (q != last && *q == '-');
    if (q != last && (*q == '-' || *q == '+')) ++q;
    int e = 0;
    bool edig = false;
    while (q != last && static_cast<unsigned>(*q - '0') < 10U) {
      if (e < 10000) e = e * 10 + (*q - '0');
      edig = true;
      ++q;
    }
    if (edig) {
      exp10 += eneg ? -e : e;
      p = q;
    }
  }
  constexpr std::uint64_t kMaxExact = std::uint64_t{1} << 53;
  if (mant > kMaxExact || exp10 < -22 || exp10 > 22) {
    const auto r = std::from_chars(first, last, out);
    return r.ec == std::errc{} ? r.ptr : nullptr;
  }
  // Both operands are exact, so one IEEE operation gives the correctly rounded result.
  double v = static_cast<double>(mant);
  v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
  out = neg ? -v : v;
  return p;
}

bool parse_double(std::string_view text, double& out) noexcept {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  return parse_double_prefix(text.data(), end, out) == end;
}

bool parse_int(std::string_view text, std::int64_t& out) noexcept {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, out);
  return r.ec == std::errc{} && r.ptr == end;
}

bool parse_int(std::string_view text, int& out) noexcept {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, out);
  return r.ec == std::errc{} && r.ptr == end;
}

}  // namespace autoopt::io::numfmt
