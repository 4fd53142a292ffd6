// Progress of long work on stderr: done/total, rate and ETA, at most one line per `interval`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace autoopt::run {

class Progress {
 public:
  // `label` starts every line ("convert", "simulate"); `rank_prefix` e.g. "[rank 1] " or "".
  Progress(std::string label, std::int64_t total, bool enabled = true,
           std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  // Records `n` more finished items and prints a line if the interval has passed (or at the end).
  void advance(std::int64_t n = 1);
  [[nodiscard]] std::int64_t done() const noexcept { return done_; }
  [[nodiscard]] double elapsed_s() const;
  // "12/130 (9.2%), 3.1/s, ETA 38 s" — exposed for tests.
  [[nodiscard]] std::string line() const;

 private:
  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool enabled_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace autoopt::run
