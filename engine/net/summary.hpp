// Summary statistics of a set of samples (what `autoopt info` prints): sizes, flows, scheduling
// policies, time distributions, ToS, and the ranges of the labels. Samples are added one at a time,
// so a dataset never has to be in memory at once.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::net {

// Min / quantiles / max of a set of values (kept exactly; sizes here are modest).
struct Distribution {
  std::vector<double> values;
  void add(double v) { values.push_back(v); }
  // {min, p10, p50, p90, max}; all NaN when empty.
  [[nodiscard]] std::array<double, 5> quantiles() const;
};

class DatasetSummary {
 public:
  void add(const Sample& s);

  [[nodiscard]] std::int64_t samples() const noexcept { return samples_; }
  [[nodiscard]] std::int64_t labelled() const noexcept { return labelled_; }
  [[nodiscard]] std::int64_t flows() const noexcept { return flows_; }
  [[nodiscard]] const std::map<int, std::int64_t>& sizes() const noexcept { return sizes_; }
  [[nodiscard]] const std::array<std::int64_t, 4>& policies() const noexcept { return policies_; }
  [[nodiscard]] const std::map<int, std::int64_t>& time_dists() const noexcept { return time_dists_; }
  [[nodiscard]] const std::map<int, std::int64_t>& tos() const noexcept { return tos_; }

  // Human-readable multi-line report.
  [[nodiscard]] std::string to_text() const;

 private:
  std::int64_t samples_ = 0, labelled_ = 0, flows_ = 0, links_ = 0;
  std::map<int, std::int64_t> sizes_;        // nodes -> samples
  std::array<std::int64_t, 4> policies_{};   // nodes per Policy
  std::map<int, std::int64_t> time_dists_;   // TimeDist code -> flows
  std::map<int, std::int64_t> tos_;          // ToS -> flows
  Distribution bandwidth_, path_len_, eq_lambda_, delay_, jitter_, loss_, link_util_, sim_time_;
};

}  // namespace autoopt::net
