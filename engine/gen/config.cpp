#include "gen/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "net/error.hpp"

namespace autoopt::gen {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

std::string fmt_num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

ConfigFile ConfigFile::parse(std::string_view text, std::string file) {
  ConfigFile cfg;
  cfg.file_ = std::move(file);
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::string_view raw = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() + 1 : eol + 1;
    ++line_no;
    // Strip a comment: '#' outside double quotes.
    std::string_view line = raw;
    bool in_quotes = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '"') in_quotes = !in_quotes;
      if (raw[i] == '#' && !in_quotes) {
        line = raw.substr(0, i);
        break;
      }
    }
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = cfg.file_ + ":" + std::to_string(line_no) + ": ";
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw Error(where + "expected 'key: value', got '" + std::string(line) + "'");
    }
    const std::string_view key = trim(line.substr(0, colon));
    if (key.empty() || !std::all_of(key.begin(), key.end(), key_char)) {
      throw Error(where + "bad key '" + std::string(key) + "', expected letters, digits, '_', '.' or '-'");
    }
    std::string_view value = trim(line.substr(colon + 1));
    bool quoted = false;
    if (!value.empty() && value.front() == '"') {
      if (value.size() < 2 || value.back() != '"' ||
          value.substr(1, value.size() - 2).find('"') != std::string_view::npos) {
        throw Error(where + "key '" + std::string(key) + "': unterminated or misplaced double quote in value");
      }
      value = value.substr(1, value.size() - 2);
      quoted = true;
    }
    if (cfg.find(key) != nullptr) {
      throw Error(where + "key '" + std::string(key) + "' given twice (first on line " +
                  std::to_string(cfg.find(key)->line) + ")");
    }
    cfg.entries_.push_back(Entry{std::string(key), std::string(value), line_no, quoted});
  }
  return cfg;
}

ConfigFile ConfigFile::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open config file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(file.string() + ": cannot read config file");
  return parse(ss.str(), file.string());
}

const ConfigFile::Entry* ConfigFile::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

bool ConfigFile::has(std::string_view key) const { return find(key) != nullptr; }

std::string ConfigFile::where(std::string_view key) const {
  if (const Entry* e = find(key)) return file_ + ":" + std::to_string(e->line) + ": key '" + e->key + "'";
  return file_ + ": key '" + std::string(key) + "'";
}

void ConfigFile::fail(const Entry& e, const std::string& what) const {
  throw Error(file_ + ":" + std::to_string(e.line) + ": key '" + e.key + "': " + what + ", got '" + e.value + "'");
}

#define AUTOOPT_CONFIG_LOOKUP(key, def)                                     \
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key); \
  const Entry* e = find(key);                                               \
  if (e == nullptr) return def

double ConfigFile::get_double(std::string_view key, double def) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  const auto v = parse_number(e->value);
  if (!v) fail(*e, "expected a number");
  return *v;
}

double ConfigFile::get_double(std::string_view key, double def, double min, double max) const {
  const double v = get_double(key, def);
  if (const Entry* e = find(key); e != nullptr && !(v >= min && v <= max)) {
    fail(*e, "expected a number in [" + fmt_num(min) + ", " + fmt_num(max) + "]");
  }
  return v;
}

std::int64_t ConfigFile::get_int(std::string_view key, std::int64_t def, std::int64_t min, std::int64_t max) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  const std::string_view s = e->value;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
    fail(*e, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

bool ConfigFile::get_bool(std::string_view key, bool def) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  const std::string& s = e->value;
  if (s == "true" || s == "yes" || s == "y" || s == "1") return true;
  if (s == "false" || s == "no" || s == "n" || s == "0") return false;
  fail(*e, "expected true/false (or yes/no, y/n, 1/0)");
}

std::string ConfigFile::get_string(std::string_view key, const std::string& def) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  return e->value;
}

std::string ConfigFile::get_choice(std::string_view key, const std::string& def,
                                   const std::vector<std::string>& allowed) const {
  const std::string v = get_string(key, def);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    fail(*find(key), "expected one of " + list);
  }
  return v;
}

std::vector<double> ConfigFile::get_doubles(std::string_view key, const std::vector<double>& def) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  std::vector<double> out;
  const auto items = split_commas(e->value);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto v = parse_number(items[i]);
    if (!v) fail(*e, "expected a comma list of numbers (item " + std::to_string(i + 1) + " is not a number)");
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> ConfigFile::get_strings(std::string_view key, const std::vector<std::string>& def) const {
  AUTOOPT_CONFIG_LOOKUP(key, def);
  std::vector<std::string> out;
  const auto items = split_commas(e->value);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].empty()) fail(*e, "expected a comma list of non-empty items (item " + std::to_string(i + 1) + " is empty)");
    out.emplace_back(items[i]);
  }
  return out;
}

#undef AUTOOPT_CONFIG_LOOKUP

void ConfigFile::reject_unknown() const {
  for (const Entry& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::vector<std::string> sorted = known_;
    std::sort(sorted.begin(), sorted.end());
    std::string list;
    for (const auto& k : sorted) {
      if (!list.empty()) list += ", ";
      list += k;
    }
    throw Error(file_ + ":" + std::to_string(e.line) + ": unknown key '" + e.key + "' (known keys: " + list + ")");
  }
}

}  // namespace autoopt::gen
