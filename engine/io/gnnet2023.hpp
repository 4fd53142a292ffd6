// GNNet Challenge 2023 real testbed measurements (gzip JSON lines, one scenario per line) read into
// link-path net::Sample values, converted to HDF5 shards, checked and summarised. docs/gnnet2023.md.
//
// Mapping of one line (units converted to the sample's: bit/s, bits, seconds):
//   links.capacity_gbps[l]            -> topology.links[l].bandwidth_bps = Gbit/s * 1e9
//   flows.*[f]                        -> link_paths.flows[f] in line order (name, traffic, packets,
//                                        size, CBR -> TimeDist::CBR, multi-burst -> TimeDist::OnOff)
//   flows.links[f]                    -> link_paths.flows[f].links (the link indices as given)
//   flows.delay_ms[f]                 -> link_paths.flows[f].avg_delay = ms * 1e-3 (seconds);
//                                        link_paths.delay_unit_s = 1e-3 (labels come from ms)
//   sample_file_id / sample_file_name -> id / graph_name; dataset_tag = "gnnet2023:<dir>/<stem>"
// Nodes are the finest node graph consistent with the paths: each link l runs from node tail(l) to
// node head(l), and head(a) = tail(b) for every consecutive pair (a, b) of a path (union-find);
// nodes are numbered by first appearance over links 0..L-1 (tail, then head), ports by link index.
// Every node is FIFO with one queue (ToS 0, levels_tos 1); the buffer is not in the data (0 bits).
// The paths revisit nodes and use parallel links, so routing.paths and traffic.pairs stay empty.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/convert.hpp"
#include "net/sample.hpp"
#include "net/summary.hpp"
#include "net/validate.hpp"

namespace autoopt::io {

// The unit of the data's delay labels (milliseconds), in seconds.
inline constexpr double kGnnet2023DelayUnitS = 1e-3;
// Prefix of Sample::dataset_tag for samples read from this format.
inline constexpr std::string_view kGnnet2023TagPrefix = "gnnet2023:";

// Parses one JSON line into a link-path sample. `file` and `line_no` (1-based) only name the place
// in errors: every malformed line throws autoopt::Error "<file>:<line>: <field>: <what>".
// `dataset_tag` is stored as the sample's tag.
[[nodiscard]] net::Sample parse_gnnet2023_line(std::string_view line, std::string_view file, std::size_t line_no,
                                               std::string dataset_tag = "gnnet2023");

// True for a .jsonl.gz / .jsonl file, or a folder holding such files (searched recursively).
[[nodiscard]] bool is_gnnet2023_path(const std::filesystem::path& path);

// The .jsonl.gz / .jsonl files of `path` (itself, or those under a folder, sorted by path);
// throws autoopt::Error if there is none.
[[nodiscard]] std::vector<std::filesystem::path> gnnet2023_files(const std::filesystem::path& path);

// "gnnet2023:<parent folder>/<stem>", e.g. "gnnet2023:mb/fold0" for .../mb/fold0.jsonl.gz.
[[nodiscard]] std::string gnnet2023_tag(const std::filesystem::path& file);

// Calls fn(index, sample) for every line of every file of `path` (gnnet2023_files order, then line
// order), one sample in memory at a time; blank lines are skipped. gzip is read with zlib (a plain
// .jsonl is read as is). Returns the number of samples.
std::size_t for_each_gnnet2023_sample(const std::filesystem::path& path,
                                      const std::function<void(std::size_t, const net::Sample&)>& fn);

// Every sample of `path`, in for_each_gnnet2023_sample order.
[[nodiscard]] std::vector<net::Sample> read_gnnet2023(const std::filesystem::path& path);

// GNNet 2023 file or folder -> HDF5 store at `out` (created): sample i goes to rank i % size, into
// <out>/shard-<rank>-of-<size>.h5, then the manifest (as gnnet_to_hdf5). The size filter applies
// to the node count of the derived node graph.
ConvertReport gnnet2023_to_hdf5(const std::filesystem::path& in, const std::filesystem::path& out,
                                const SizeFilter& filter, const Distribution& dist,
                                const std::function<void(std::size_t done, std::size_t total)>& progress = {});

// Checks a link-path sample (what net::validate cannot: it wants pair routing): links (ends, ports,
// capacity > 0), FIFO single-queue nodes, flows (name, rates, sizes > 0, CBR or OnOff, a non-empty
// path of existing links), labels (-1 or >= 0 and finite), delay_unit_s > 0, and empty
// routing.paths / traffic.pairs / results. Field paths as in net::validate ("link_paths.flows[3].links").
[[nodiscard]] std::vector<net::Problem> validate_link_path_sample(const net::Sample& sample);

// Delay in the source's unit (e.g. a prediction in seconds back to milliseconds).
[[nodiscard]] inline double to_source_delay_unit(const net::Sample& s, double seconds) noexcept {
  return seconds / s.link_paths.delay_unit_s;
}

// What `autoopt info` prints for link-path samples: scenario, link, node and flow counts, capacities,
// path lengths, flow types, rates and the measured delays (in the source unit and in seconds).
class LinkPathSummary {
 public:
  void add(const net::Sample& s);
  [[nodiscard]] std::int64_t samples() const noexcept { return samples_; }
  [[nodiscard]] std::int64_t flows() const noexcept { return flows_; }
  [[nodiscard]] std::string to_text() const;

 private:
  std::int64_t samples_ = 0, flows_ = 0, links_ = 0, cbr_ = 0, onoff_ = 0, labelled_ = 0;
  double delay_unit_s_ = 0.0;  // 0: none seen yet; -1: mixed
  net::Distribution nodes_, links_per_, flows_per_, capacity_, path_len_, traffic_, pkt_size_, delay_;
};

}  // namespace autoopt::io
