// gen::ConfigFile: the flat `key: value` reader, typed getters and their error texts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gen/config.hpp"
#include "net/error.hpp"
#include "gen/gen_test_util.hpp"

using autoopt::Error;
using autoopt::gen::ConfigFile;

namespace {

using autoopt::testing::error_of;

}  // namespace

TEST(GenConfig, ParsesValuesCommentsListsAndQuotes) {
  const ConfigFile f = ConfigFile::parse(
      "# header\n"
      "\n"
      "alpha: 0.75   # trailing comment\n"
      "count: 12\n"
      "name: \"a # not a comment\"\n"
      "bare: hello world\n"
      "list: 0.5, 1.0 ,2\n"
      "words: a/b, c\n"
      "flag: yes\n"
      "neg: -3e2\r\n",
      "test.conf");
  EXPECT_DOUBLE_EQ(f.get_double("alpha", 0), 0.75);
  EXPECT_EQ(f.get_int("count", 0, 0, 100), 12);
  EXPECT_EQ(f.get_string("name", ""), "a # not a comment");
  EXPECT_EQ(f.get_string("bare", ""), "hello world");
  EXPECT_EQ(f.get_doubles("list", {}), (std::vector<double>{0.5, 1.0, 2.0}));
  EXPECT_EQ(f.get_strings("words", {}), (std::vector<std::string>{"a/b", "c"}));
  EXPECT_TRUE(f.get_bool("flag", false));
  EXPECT_DOUBLE_EQ(f.get_double("neg", 0), -300.0);
  // Defaults for missing keys.
  EXPECT_DOUBLE_EQ(f.get_double("missing", 4.5), 4.5);
  EXPECT_EQ(f.get_doubles("missing_list", {1, 2}), (std::vector<double>{1, 2}));
  EXPECT_NO_THROW(f.reject_unknown());
}

TEST(GenConfig, SyntaxErrorsNameFileAndLine) {
  EXPECT_EQ(error_of([] { (void)ConfigFile::parse("a: 1\njust words\n", "x.conf"); }),
            "x.conf:2: expected 'key: value', got 'just words'");
  EXPECT_EQ(error_of([] { (void)ConfigFile::parse("a: 1\n\na: 2\n", "x.conf"); }),
            "x.conf:3: key 'a' given twice (first on line 1)");
  EXPECT_EQ(error_of([] { (void)ConfigFile::parse("bad key: 1\n", "x.conf"); }),
            "x.conf:1: bad key 'bad key', expected letters, digits, '_', '.' or '-'");
  EXPECT_EQ(error_of([] { (void)ConfigFile::parse("s: \"open\n", "x.conf"); }),
            "x.conf:1: key 's': unterminated or misplaced double quote in value");
}

TEST(GenConfig, BadValuesNameFileLineAndKey) {
  const ConfigFile f = ConfigFile::parse("a: 1\nn: 2.5\nx: abc\nl: 1, two\nr: 7\nb: maybe\nc: red\n", "k.conf");
  EXPECT_EQ(error_of([&] { (void)f.get_int("n", 0, 0, 10); }),
            "k.conf:2: key 'n': expected an integer in [0, 10], got '2.5'");
  EXPECT_EQ(error_of([&] { (void)f.get_double("x", 0); }), "k.conf:3: key 'x': expected a number, got 'abc'");
  EXPECT_EQ(error_of([&] { (void)f.get_doubles("l", {}); }),
            "k.conf:4: key 'l': expected a comma list of numbers (item 2 is not a number), got '1, two'");
  EXPECT_EQ(error_of([&] { (void)f.get_double("r", 0, 0, 5); }),
            "k.conf:5: key 'r': expected a number in [0, 5], got '7'");
  EXPECT_EQ(error_of([&] { (void)f.get_bool("b", false); }),
            "k.conf:6: key 'b': expected true/false (or yes/no, y/n, 1/0), got 'maybe'");
  EXPECT_EQ(error_of([&] { (void)f.get_choice("c", "red", {"green", "blue"}); }),
            "k.conf:7: key 'c': expected one of green, blue, got 'red'");
}

TEST(GenConfig, UnknownKeysAreErrors) {
  const ConfigFile f = ConfigFile::parse("alpha: 1\nbeta: 2\nalhpa: 3\n", "u.conf");
  (void)f.get_double("alpha", 0);
  (void)f.get_double("beta", 0);
  EXPECT_EQ(error_of([&] { f.reject_unknown(); }), "u.conf:3: unknown key 'alhpa' (known keys: alpha, beta)");
}

TEST(GenConfig, LoadMissingFile) {
  const auto p = std::filesystem::temp_directory_path() / "autoopt_gen_no_such_config.conf";
  std::filesystem::remove(p);
  EXPECT_EQ(error_of([&] { (void)ConfigFile::load(p); }), p.string() + ": cannot open config file");
}

TEST(GenConfig, ParseNumber) {
  EXPECT_EQ(autoopt::gen::parse_number(" 1e3 "), 1000.0);
  EXPECT_EQ(autoopt::gen::parse_number("+2"), 2.0);
  EXPECT_FALSE(autoopt::gen::parse_number("1.0x"));
  EXPECT_FALSE(autoopt::gen::parse_number("inf"));
  EXPECT_FALSE(autoopt::gen::parse_number(""));
}
