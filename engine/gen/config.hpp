// A reader for autoopt's config files: a flat `key: value` subset of YAML.
//
// Syntax: one `key: value` per line; `#` starts a comment (outside double quotes); blank lines are
// ignored; keys are [A-Za-z0-9_.-]+; a value is a number, a string (bare or in double quotes) or a
// comma list (`0.5, 1.0`). Typed getters take a default for a missing key; a present key with a bad
// value throws autoopt::Error naming the file, the line, the key and what was expected. Every getter
// marks its key as known; reject_unknown() then throws for any key nobody asked for (a typo).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::gen {

class ConfigFile {
 public:
  struct Entry {
    std::string key;
    std::string value;  // unquoted, trimmed
    std::size_t line = 0;
    bool quoted = false;
  };

  // Parses `text`; `file` names it in error messages. Throws autoopt::Error on a syntax error or a
  // duplicate key.
  static ConfigFile parse(std::string_view text, std::string file);
  // Reads and parses a file; a missing or unreadable file throws autoopt::Error naming it.
  static ConfigFile load(const std::filesystem::path& file);

  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

  // Typed getters: the default when the key is absent; autoopt::Error for a present bad value.
  [[nodiscard]] double get_double(std::string_view key, double def) const;
  // A number in [min, max].
  [[nodiscard]] double get_double(std::string_view key, double def, double min, double max) const;
  [[nodiscard]] std::int64_t get_int(std::string_view key, std::int64_t def, std::int64_t min,
                                     std::int64_t max) const;
  [[nodiscard]] bool get_bool(std::string_view key, bool def) const;  // true/false, yes/no, y/n, 1/0
  [[nodiscard]] std::string get_string(std::string_view key, const std::string& def) const;
  // One of `allowed`.
  [[nodiscard]] std::string get_choice(std::string_view key, const std::string& def,
                                       const std::vector<std::string>& allowed) const;
  // A comma list of numbers (at least one).
  [[nodiscard]] std::vector<double> get_doubles(std::string_view key, const std::vector<double>& def) const;
  // A comma list of strings (items trimmed, at least one, none empty).
  [[nodiscard]] std::vector<std::string> get_strings(std::string_view key,
                                                     const std::vector<std::string>& def) const;

  // "<file>:<line>: key '<key>': <what>" for the key's line (the file alone for a missing key).
  [[nodiscard]] std::string where(std::string_view key) const;

  // Throws autoopt::Error naming the file, line and key of the first key no getter asked for, and
  // listing the known keys.
  void reject_unknown() const;

 private:
  std::string file_;
  std::vector<Entry> entries_;
  mutable std::vector<std::string> known_;
  [[nodiscard]] const Entry* find(std::string_view key) const;
  [[noreturn]] void fail(const Entry& e, const std::string& what) const;
};

// Parses a number (the whole string, finite); nullopt otherwise.
[[nodiscard]] std::optional<double> parse_number(std::string_view s);

}  // namespace autoopt::gen
