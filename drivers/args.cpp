#include "args.hpp"

#include <charconv>
#include <cmath>
#include <exception>

#include "net/error.hpp"

namespace autoopt::cli {

Args::Args(std::string command, std::vector<OptionSpec> specs, int argc, char** argv, int first)
    : command_(std::move(command)), specs_(std::move(specs)) {
  for (int i = first; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.size() > 2 && a.substr(0, 2) == "--") {
      std::string name(a.substr(2));
      std::optional<std::string> value;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      const OptionSpec& s = spec(name);
      if (s.is_flag) {
        if (value) throw Error("autoopt " + command_ + ": --" + name + " takes no value");
        values_[name] = "1";
        continue;
      }
      if (!value) {
        if (i + 1 >= argc) throw Error("autoopt " + command_ + ": --" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = *value;
      continue;
    }
    positional_.emplace_back(a);
  }
}

const OptionSpec& Args::spec(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name == name) return s;
  }
  throw Error("autoopt " + command_ + ": unknown option --" + name + " (see autoopt " + command_ +
              " --help)");
}

bool Args::flag(const std::string& name) const { return values_.count(spec(name).name) > 0; }

bool Args::given(const std::string& name) const { return values_.count(spec(name).name) > 0; }

std::string Args::get(const std::string& name) const {
  const auto& s = spec(name);
  const auto it = values_.find(name);
  return it == values_.end() ? s.default_value : it->second;
}

long long Args::get_int(const std::string& name, long long min, long long max) const {
  const std::string v = get(name);
  long long out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size()) {
    throw Error("autoopt " + command_ + ": --" + name + ": expected an integer, got '" + v + "'");
  }
  if (out < min || out > max) {
    throw Error("autoopt " + command_ + ": --" + name + ": " + v + " is outside [" +
                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return out;
}

std::filesystem::path exe_dir(char** argv) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) return self.parent_path();
  return std::filesystem::absolute(argv[0], ec).parent_path();
}

std::string command_line(int argc, char** argv) {
  std::string s = "autoopt";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

std::optional<double> parse_finite(const std::string& text) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (text.empty() || used != text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<double> Args::number_in(const std::string& name, double min, double max) const {
  const auto d = parse_finite(get(name));
  if (!d || *d < min || *d > max) return std::nullopt;
  return d;
}

double Args::get_double(const std::string& name, double min) const {
  if (const auto d = number_in(name, min, HUGE_VAL)) return *d;
  throw Error("autoopt " + command_ + ": --" + name + ": expected a number >= " + std::to_string(min) + ", got '" +
              get(name) + "'");
}

double Args::get_double(const std::string& name, double min, double max) const {
  if (const auto d = number_in(name, min, max)) return *d;
  throw Error("autoopt " + command_ + ": --" + name + ": expected a number in [" + std::to_string(min) + ", " +
              std::to_string(max) + "], got '" + get(name) + "'");
}

std::string Args::usage(std::string_view synopsis) const {
  std::string out = "usage: autoopt " + command_ + " " + std::string(synopsis) + "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name + (s.is_flag ? "" : " V");
    if (left.size() < 26) left.resize(26, ' ');
    out += left + s.help;
    if (!s.default_value.empty()) out += " (default: " + s.default_value + ")";
    out += "\n";
  }
  return out;
}

}  // namespace autoopt::cli
