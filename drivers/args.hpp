// A small command-line parser for the autoopt subcommands: `--name value`, `--name=value`, flags and
// positionals, with every option declared up front so that a typo is an error, not a silent default.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::cli {

// The whole text as a finite number (std::stod syntax), or nothing (empty, trailing characters,
// out of range, inf, nan).
[[nodiscard]] std::optional<double> parse_finite(const std::string& text);

// The folder of the running executable (/proc/self/exe, else argv[0]): where presets are looked for.
[[nodiscard]] std::filesystem::path exe_dir(char** argv);

// "autoopt <arguments>" as typed, for reports and logs.
[[nodiscard]] std::string command_line(int argc, char** argv);

struct OptionSpec {
  std::string name;      // without the leading "--"
  std::string help;
  bool is_flag = false;  // takes no value
  std::string default_value;
};

class Args {
 public:
  // Parses argv[first..argc). Throws autoopt::Error for unknown options or a missing value.
  Args(std::string command, std::vector<OptionSpec> specs, int argc, char** argv, int first);

  [[nodiscard]] bool help() const noexcept { return help_; }
  [[nodiscard]] std::string usage(std::string_view synopsis) const;
  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return positional_; }
  [[nodiscard]] bool flag(const std::string& name) const;
  [[nodiscard]] std::string get(const std::string& name) const;  // value or the default
  [[nodiscard]] bool given(const std::string& name) const;
  // Integer / floating values, with an error naming the option on a bad number or out of range.
  [[nodiscard]] long long get_int(const std::string& name, long long min, long long max) const;
  // A finite number >= min; the error says "expected a number >= MIN".
  [[nodiscard]] double get_double(const std::string& name, double min) const;
  // A finite number in [min, max] (max may be HUGE_VAL); the error says "expected a number in [MIN, MAX]".
  [[nodiscard]] double get_double(const std::string& name, double min, double max) const;

 private:
  std::string command_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
  [[nodiscard]] const OptionSpec& spec(const std::string& name) const;
  // The value of `name` as a finite number in [min, max], or nothing.
  [[nodiscard]] std::optional<double> number_in(const std::string& name, double min, double max) const;
};

}  // namespace autoopt::cli
