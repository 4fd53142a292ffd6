// The reference simulator's input layout (spec §1.4, §2.2, §3.2, §4.4): a folder with conf.yml,
// simulation.txt (`<graph>,<routing>,<tm>` per line, paths relative to the folder) and the graph
// (GML input form), routing (one path per line) and traffic-matrix files it names. Converts each
// simulation line into a net::Sample ready to simulate: the TM's input codes become the output
// codes (time 0/1/2 -> td 0/1/4, size 0 -> sd 3) with the derived fields of §4.2/§4.3.
//
// Conventions chosen where the spec leaves a choice (documented here and in `autoopt simulate
// --help`):
//  - ON-OFF (`time_dist 2`) parameters are read as `2,<off>,<on>` (the 2022 notebooks);
//    TmOptions::on_off = OnOffOrder::OnThenOff flips to the later image's `2,<on>,<off>`.
//  - AvgPktSize = floor(sum size*prob) (computed with a 1e-9 relative guard so that 779.9999999 from
//    binary rounding of 0.6*500+... still gives 780); AvgPktsLambda = EqLambda / AvgPktSize;
//    PktsLambdaOn = AvgPktsLambda * (on + off) / on; ExpMaxFactor = 10.
//  - maxAvgLambda (traffic.txt header) = the largest EqLambda of the TM (the reference's value for
//    user TMs is unknown, spec §4.1).
//  - The sample id is the 0-based line number of simulation.txt (blank lines and `#` comment lines
//    are skipped but still count).
// Every error is an autoopt::Error naming the file, the line and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::io::refsim {

// conf.yml. A tiny YAML subset: `key: value` lines, `#` comments, blank lines, an optional `---`
// first line, values optionally in single or double quotes.
struct Conf {
  int threads = 0;                      // 0 = not given
  std::string dataset_name;             // required; a plain file name ([A-Za-z0-9._-], not . or ..)
  std::size_t samples_per_file = 1;     // >= 1
  bool rm_prev_results = false;         // y/n (also yes/no/true/false)
  bool write_pkt_info = false;          // accepted, but autoopt writes no packet traces (a warning)
  std::vector<std::string> warnings;    // unknown keys and ignored settings, "conf.yml line 5: ..."
  friend bool operator==(const Conf&, const Conf&) = default;
};

// Parses conf.yml text; `file` names it in errors ("<file> line <k>: ...").
[[nodiscard]] Conf parse_conf(std::string_view text, std::string_view file);

// One line of simulation.txt.
struct SimLine {
  std::int64_t id = 0;      // 0-based line number
  std::string text;         // the line as written (without '\n' / '\r')
  std::string graph;        // relative paths, as written (spaces around fields trimmed)
  std::string routing;
  std::string tm;
  friend bool operator==(const SimLine&, const SimLine&) = default;
};

// Parses simulation.txt: 3 comma-separated relative paths per line. Refuses absolute paths, `..`
// components, backslashes and empty fields.
[[nodiscard]] std::vector<SimLine> parse_simulation_list(std::string_view text, std::string_view file);

enum class OnOffOrder : std::uint8_t {
  OffThenOn,  // `2,<off>,<on>` (2022 notebooks; default)
  OnThenOff,  // `2,<on>,<off>` (later BNNetSimulator notebooks)
};

// The documented input limits (defaults: the 2022 image, spec §4.4 / §9.1).
struct TmLimits {
  double min_avg_bw = 10.0;
  double max_avg_bw = 10000.0;
  int max_sizes = 5;
  double min_pkt_size = 256.0;
  double max_pkt_size = 2000.0;
  int max_tos = 2;
  double prob_tolerance = 1e-6;  // |sum of probabilities - 1| allowed
};

struct TmOptions {
  OnOffOrder on_off = OnOffOrder::OffThenOn;
  TmLimits limits;
};

inline constexpr double kExpMaxFactor = 10.0;

// Parses a TM file (one flow per line: src,dst,avg_bw,time_dist[,t1,t2],pkt_dist,size1,prob1[,...],tos)
// for a network of `topo`, whose flows must all be routed by `routing`. At most one flow per pair.
[[nodiscard]] net::Traffic parse_tm(std::string_view text, const net::Topology& topo,
                                    const net::Routing& routing, std::string_view file,
                                    const TmOptions& options = {});

// True when `folder` holds a simulation.txt (the reference input layout).
[[nodiscard]] bool is_reference_input(const std::filesystem::path& folder);

struct LoadOptions {
  TmOptions tm;
};

// An opened reference input folder: conf.yml and simulation.txt parsed; the files of each line are
// read and parsed by load(), so one bad line fails only its sample. Thread-safe after construction
// (load() is const and touches no shared state).
class RefInput {
 public:
  // Reads <folder>/conf.yml and <folder>/simulation.txt (both required).
  explicit RefInput(std::filesystem::path folder, LoadOptions options = {});

  [[nodiscard]] const std::filesystem::path& folder() const noexcept { return folder_; }
  [[nodiscard]] const Conf& conf() const noexcept { return conf_; }
  [[nodiscard]] const std::vector<SimLine>& lines() const noexcept { return lines_; }
  [[nodiscard]] std::size_t size() const noexcept { return lines_.size(); }

  // The sample of lines()[i]: graph (input form), routing (path list), TM, names (graph_name = the
  // graph file name, routing_name = the routing file name; made unique with the graph's name when
  // one routing file name is used with different graphs or folders), dataset_tag = dataset_name,
  // id = the line number; checked with net::check. No results.
  [[nodiscard]] net::Sample load(std::size_t i) const;
  // The node count of line i's graph (counts `node [` blocks; no full parse).
  [[nodiscard]] int num_nodes(std::size_t i) const;

 private:
  [[nodiscard]] std::filesystem::path resolve(const std::string& rel, const SimLine& line,
                                              const char* field) const;
  std::filesystem::path folder_;
  std::filesystem::path canonical_folder_;
  LoadOptions options_;
  Conf conf_;
  std::vector<SimLine> lines_;
  std::vector<std::string> graph_names_;    // parallel to lines_
  std::vector<std::string> routing_names_;  // parallel to lines_
};

}  // namespace autoopt::io::refsim
