#include "run/progress.hpp"

#include <cstdio>

namespace autoopt::run {

Progress::Progress(std::string label, std::int64_t total, bool enabled, std::chrono::milliseconds interval)
    : label_(std::move(label)), total_(total), enabled_(enabled), interval_(interval),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::line() const {
  const double t = elapsed_s();
  const double rate = t > 0 ? static_cast<double>(done_) / t : 0.0;
  char buf[160];
  if (total_ > 0) {
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
    std::snprintf(buf, sizeof buf, "%lld/%lld (%.1f%%), %.3g/s, ETA %.0f s", static_cast<long long>(done_),
                  static_cast<long long>(total_), 100.0 * static_cast<double>(done_) / static_cast<double>(total_),
                  rate, eta);
  } else {
    std::snprintf(buf, sizeof buf, "%lld, %.3g/s", static_cast<long long>(done_), rate);
  }
  return buf;
}

void Progress::advance(std::int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ >= interval_ || done_ == total_) {
    last_print_ = now;
    std::fprintf(stderr, "%s: %s\n", label_.c_str(), line().c_str());
  }
}

}  // namespace autoopt::run
