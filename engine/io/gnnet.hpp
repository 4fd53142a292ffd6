// GNNet 2022 dataset folders (spec: shared/spec/gnnet-format.md §1): scanning a tree for dataset
// roots and results archives, listing sample references without opening the archives, lazy
// loading of one sample at a time into net::Sample, and writing samples back as a dataset root
// (graphs/, routings/, results_<tag>_<first>_<last>.tar.gz) byte-compatible with the reference.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/gnnet_text.hpp"
#include "net/sample.hpp"

namespace autoopt::io {

// One sample of a dataset: line `line` of the files inside `archive`.
struct GnnetSampleRef {
  std::size_t root = 0;           // index into GnnetDataset::roots()
  std::filesystem::path archive;  // <root>/results_*.tar.gz
  std::size_t line = 0;           // 0-based line in the archive's per-sample files
  friend bool operator==(const GnnetSampleRef&, const GnnetSampleRef&) = default;
};

// A scanned GNNet dataset tree. Not thread-safe (loading fills caches): use one object per thread.
class GnnetDataset {
 public:
  // Walks `folder` recursively. Every directory holding both graphs/ and routings/ is a root
  // (roots sorted by path); each root's *.tar.gz files directly inside it are its archives (sorted
  // by name). The sample count of an archive comes from its name `..._<first>_<last>.tar.gz`
  // (last - first + 1); only archives without such a name are opened (input_files.txt is read).
  // Samples are listed in root order, then archive name, then line.
  explicit GnnetDataset(const std::filesystem::path& folder);

  [[nodiscard]] const std::vector<std::filesystem::path>& roots() const noexcept { return roots_; }
  [[nodiscard]] const std::vector<GnnetSampleRef>& samples() const noexcept { return samples_; }
  [[nodiscard]] std::size_t size() const noexcept { return samples_.size(); }

  // The sample's input_files.txt line. Only input_files.txt is decompressed (it is the archive's
  // second member, so this reads the first few KiB of the stream); cached per archive.
  [[nodiscard]] gnnet::InputFiles input_files(const GnnetSampleRef& ref);
  // The node count of a sample: input_files.txt names the graph, whose `node [` blocks are counted
  // once per graph file (cached). No results file is parsed.
  [[nodiscard]] int num_nodes(const GnnetSampleRef& ref);
  // The samples with min_nodes <= N <= max_nodes, in listing order.
  [[nodiscard]] std::vector<GnnetSampleRef> filter_nodes(int min_nodes, int max_nodes);

  // Reads one sample. Graphs and routings shared by several samples are parsed once and cached;
  // the last archive read is kept so the samples of a multi-sample archive load without
  // re-decompressing it.
  [[nodiscard]] net::Sample load(const GnnetSampleRef& ref);
  [[nodiscard]] net::Sample load(std::size_t index) { return load(samples_.at(index)); }
  // Every sample, in listing order.
  [[nodiscard]] std::vector<net::Sample> read_all();

 private:
  const net::Topology& graph(std::size_t root, const std::string& name, std::string_view who);
  const net::Routing& routing(std::size_t root, const std::string& name,
                              const std::string& graph_name, const net::Topology& topo,
                              std::string_view who);
  const std::vector<ArchiveMember>& members(const std::filesystem::path& archive);

  std::vector<std::filesystem::path> roots_;
  std::vector<GnnetSampleRef> samples_;
  std::map<std::filesystem::path, std::vector<gnnet::InputFiles>> input_files_;
  std::map<std::filesystem::path, int> graph_nodes_;
  std::map<std::filesystem::path, net::Topology> graphs_;
  std::map<std::pair<std::filesystem::path, std::filesystem::path>, net::Routing> routings_;
  std::filesystem::path cached_archive_;
  std::vector<ArchiveMember> cached_members_;
};

// Reads every sample under `folder` (GnnetDataset(folder).read_all()).
[[nodiscard]] std::vector<net::Sample> read_gnnet_dataset(const std::filesystem::path& folder);

struct GnnetWriteOptions {
  std::size_t samples_per_file = 1;
  // <tag> of results_<tag>_<first>_<last>.tar.gz; empty: the first sample's dataset_tag, or
  // "autoopt" if that is empty too.
  std::string tag;
};

// Writes `samples` (all with results) as a dataset root at `root`: graphs/<graph_name> (output GML),
// routings/<routing_name> (a destination-based port matrix when the paths allow it, else a
// directory of per-source matrices), and one results archive per `samples_per_file` consecutive
// samples, whose ids must be consecutive (the archive is named by the first and last id). Graph and
// routing files are written once per name; two different contents under one name (in this call or
// already on disk) are an error. An empty graph/routing name gets a content-derived one. Every file
// is written atomically and only inside `root`.
void write_gnnet_dataset(const std::filesystem::path& root, std::span<const net::Sample> samples,
                         const GnnetWriteOptions& options = {});

// The members of one results archive (directory first, then the spec's member order).
[[nodiscard]] std::vector<ArchiveMember> gnnet_archive_members(
    std::span<const net::Sample> samples, const std::string& archive_stem);

}  // namespace autoopt::io
