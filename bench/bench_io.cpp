// I/O speed on the largest shared sample (300 nodes, ~90k flows):
// Freeing the loaded sample is excluded from the timed region.
//   GnnetParse300   a fresh reader: scan the folder, decompress the tar.gz, parse graph, routing,
//                   traffic, results and link usage into a net::Sample (goal ≤ 0.3 s)
//   Hdf5Load300     the same sample read back from an HDF5 shard (goal ≤ 0.05 s)
//   GnnetWrite300 / Hdf5Write300   the writers, for reference
// The shared data is found through AUTOOPT_SHARED (default ../shared relative to the source tree).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "io/gnnet.hpp"
#include "io/h5store.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

fs::path shared_dir() {
  if (const char* env = std::getenv("AUTOOPT_SHARED"); env != nullptr && *env != '\0') return env;
  return AUTOOPT_DEFAULT_SHARED_DIR;
}

const fs::path& folder300() {
  static const fs::path p = shared_dir() / "data/gnnet2022/validation/300";
  return p;
}
constexpr const char* kArchive = "results_400-2000_11_11.tar.gz";

std::size_t index_of_archive(const io::GnnetDataset& ds) {
  for (std::size_t i = 0; i < ds.size(); ++i) {
    if (ds.samples()[i].archive.filename() == kArchive) return i;
  }
  return 0;
}

std::size_t count_flows(const net::Sample& s) {
  std::size_t n = 0;
  for (const auto& p : s.traffic.pairs) n += p.size();
  return n;
}

bool have_data(benchmark::State& state) {
  if (fs::exists(folder300() / kArchive)) return true;
  state.SkipWithError(("shared data not found: " + (folder300() / kArchive).string()).c_str());
  return false;
}

void GnnetParse300(benchmark::State& state) {
  if (!have_data(state)) return;
  std::size_t flows = 0;
  std::optional<net::Sample> s;
  for (auto _ : state) {
    io::GnnetDataset ds(folder300());
    s = ds.load(index_of_archive(ds));
    flows = count_flows(*s);
    benchmark::DoNotOptimize(*s);
    state.PauseTiming();  // freeing the sample is not part of loading it
    s.reset();
    state.ResumeTiming();
  }
  state.counters["flows"] = static_cast<double>(flows);
}
BENCHMARK(GnnetParse300)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

struct Shard300 {
  net::Sample sample;
  fs::path dir;
  fs::path file;
  Shard300() {
    io::GnnetDataset ds(folder300());
    sample = ds.load(index_of_archive(ds));
    dir = fs::temp_directory_path() / ("autoopt-bench-io-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    file = dir / "s300.h5";
    io::write_shard(file, std::span<const net::Sample>(&sample, 1));
  }
  ~Shard300() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Shard300& shard300() {
  static Shard300 s;
  return s;
}

void Hdf5Load300(benchmark::State& state) {
  if (!have_data(state)) return;
  const auto& fixture = shard300();
  std::optional<net::Sample> s;
  for (auto _ : state) {
    const io::ShardReader reader(fixture.file);
    s = reader.read(0);
    benchmark::DoNotOptimize(*s);
    state.PauseTiming();  // freeing the sample is not part of loading it
    s.reset();
    state.ResumeTiming();
  }
  state.counters["flows"] = static_cast<double>(count_flows(fixture.sample));
  state.counters["file_MB"] = static_cast<double>(fs::file_size(fixture.file)) / 1e6;
}
BENCHMARK(Hdf5Load300)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void Hdf5Write300(benchmark::State& state) {
  if (!have_data(state)) return;
  const auto& fixture = shard300();
  const fs::path out = fixture.dir / "w.h5";
  for (auto _ : state) io::write_shard(out, std::span<const net::Sample>(&fixture.sample, 1));
}
BENCHMARK(Hdf5Write300)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void GnnetWrite300(benchmark::State& state) {
  if (!have_data(state)) return;
  const auto& fixture = shard300();
  int k = 0;
  for (auto _ : state) {
    const fs::path root = fixture.dir / ("gnnet-" + std::to_string(k++));
    io::write_gnnet_dataset(root, std::span<const net::Sample>(&fixture.sample, 1));
    state.PauseTiming();
    fs::remove_all(root);
    state.ResumeTiming();
  }
}
BENCHMARK(GnnetWrite300)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
