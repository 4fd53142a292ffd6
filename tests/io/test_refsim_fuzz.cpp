// Randomised robustness of the reference-input loader: thousands of mutated copies of the spec §10
// example (byte flips, deletions, insertions, duplicated lines, extreme numbers in conf.yml,
// simulation.txt, the graph, the routing and the TM). Loading must either give a sample that passes
// net::validate or throw autoopt::Error — never another exception, a crash or a sanitizer report.
// Seeded: the same mutations on every run.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "io/refsim.hpp"
#include "io/refsim_example.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"

namespace autoopt::io::refsim {
namespace {
using autoopt::testing::refsim_example_files;
using autoopt::testing::TempDir;
using autoopt::testing::write_files;
using autoopt::testing::write_text;

constexpr int kIterations = 3000;

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  std::string mutate(std::string s) {
    const int ops = 1 + pick(3);
    for (int i = 0; i < ops; ++i) one(s);
    return s;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  std::size_t pos(const std::string& s) { return s.empty() ? 0 : rng_() % (s.size() + 1); }

  char interesting() {
    static constexpr std::array<char, 20> chars = {'0', '1', '9', ',', '\n', '-', '.', ' ', '[', ']',
                                                   '"', '#', ':', '/', '\0', '\xff', ';', 'e', '\'', '\r'};
    return pick(3) == 0 ? static_cast<char>(rng_() & 0xff) : chars[static_cast<std::size_t>(pick(chars.size()))];
  }

  void one(std::string& s) {
    switch (pick(6)) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng_() % s.size()] = interesting();
        break;
      case 1: {  // delete a range
        if (s.empty()) break;
        const std::size_t p = rng_() % s.size();
        s.erase(p, 1 + rng_() % 8);
        break;
      }
      case 2: {  // insert bytes
        const std::size_t p = pos(s);
        std::string ins;
        for (int k = 0, n = 1 + pick(4); k < n; ++k) ins += interesting();
        s.insert(p, ins);
        break;
      }
      case 3: {  // duplicate a line
        if (s.empty()) break;
        std::size_t p = rng_() % s.size();
        const std::size_t b = s.rfind('\n', p);
        const std::size_t start = b == std::string::npos ? 0 : b + 1;
        const std::size_t e = s.find('\n', start);
        const std::string line = s.substr(start, e == std::string::npos ? std::string::npos : e - start + 1);
        s.insert(start, line);
        break;
      }
      case 4: {  // replace a number with an extreme one
        static constexpr std::array<const char*, 10> nums = {"99999999999999999999", "-1", "1e308", "nan", "inf",
                                                             "0", "2147483648", "-0", "1e-320", "4096"};
        std::size_t p = pos(s);
        while (p < s.size() && (s[p] < '0' || s[p] > '9')) ++p;
        if (p >= s.size()) break;
        std::size_t e = p;
        while (e < s.size() && ((s[e] >= '0' && s[e] <= '9') || s[e] == '.')) ++e;
        s.replace(p, e - p, nums[static_cast<std::size_t>(pick(nums.size()))]);
        break;
      }
      default: {  // truncate
        s.resize(pos(s));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
};

TEST(RefsimFuzz, MutatedInputsLoadOrThrowError) {
  TempDir dir("refsim-fuzz");
  const auto base = refsim_example_files();
  write_files(dir.path(), base);
  std::vector<std::string> names;
  for (const auto& [name, text] : base) names.push_back(name);

  Mutator m(20220707);
  std::mt19937_64 choose(42);
  int loaded = 0, refused = 0;
  for (int it = 0; it < kIterations; ++it) {
    const std::string& name = names[choose() % names.size()];
    const std::string text = m.mutate(base.at(name));
    write_text(dir.path() / name, text);
    LoadOptions opt;
    opt.tm.on_off = (it % 2 == 0) ? OnOffOrder::OffThenOn : OnOffOrder::OnThenOff;
    try {
      const RefInput in(dir.path(), opt);
      for (std::size_t i = 0; i < in.size(); ++i) {
        try {
          const net::Sample s = in.load(i);
          const auto problems = net::validate(s);
          EXPECT_TRUE(problems.empty()) << "iteration " << it << ", " << name << ":\n"
                                        << text << "\n" << net::format_problems(problems);
          ++loaded;
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()), "");
          ++refused;
        }
      }
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()), "");
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << it << ", " << name << ": not an autoopt::Error: " << e.what() << "\n" << text;
    }
    write_text(dir.path() / name, base.at(name));
    if (HasFailure()) break;
  }
  // Both outcomes occur (the mutations are neither all harmless nor all fatal).
  EXPECT_GT(loaded, kIterations / 20);
  EXPECT_GT(refused, kIterations / 4);
  std::printf("refsim fuzz: %d iterations, %d samples loaded, %d refused\n", kIterations, loaded, refused);
}

}  // namespace
}  // namespace autoopt::io::refsim
