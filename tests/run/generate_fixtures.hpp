// Helpers for the generate-job tests: a small-sample generator callback (chains of 2-4 nodes or the
// 10-node network of the simulator fixtures, chosen by the seed), a call log through a file (so that
// calls are counted across threads, forked children and MPI ranks), the options of a small test run,
// a job in a forked child, and comparisons of run folders.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "io/archive.hpp"
#include "io/h5store.hpp"
#include "net/sample.hpp"
#include "run/generate_job.hpp"
#include "io/temp_dir.hpp"
#include "sim/sim_fixtures.hpp"

namespace autoopt::run::testing {

using autoopt::testing::TempDir;

// One process, no MPI.
inline const io::Distribution kSerial{0, 1, MPI_COMM_NULL};

// Makes a simulator fixture valid for net::check: FIFO nodes get the single queue (serving every
// ToS) that the GNNet format asks for, and each node's output ports are numbered 0, 1, ...
inline net::Sample make_valid(net::Sample s) {
  std::vector<int> next_port(static_cast<std::size_t>(s.num_nodes()), 0);
  for (auto& l : s.topology.links) l.port = next_port[static_cast<std::size_t>(l.src)]++;
  for (auto& node : s.topology.nodes) {
    if (node.policy != net::Policy::FIFO || node.num_queues() == 1) continue;
    node.buffer_bits = {node.buffer_bits.front()};
    node.queue_tos = {{0, 1, 2}};
    node.weights.clear();
  }
  return s;
}

// A small valid input sample derived from the seed only.
inline net::Sample small_sample(std::uint64_t seed) {
  sim::RandomStream rng(seed, 11, 0);
  if (rng.next() % 4 == 0) return make_valid(sim::testing::ten_node(0.3 + 0.5 * rng.uniform(), seed));
  const int hops = 1 + static_cast<int>(rng.next() % 3);
  std::vector<double> bws;
  for (int i = 0; i < hops; ++i) bws.push_back(20000.0 + 10000.0 * static_cast<double>(rng.next() % 5));
  net::Sample s = sim::testing::chain(bws, sim::testing::make_node(net::Policy::SP, 3, 16000));
  const int n = s.num_nodes();
  double max_bw = 0;
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      const double pkts = 2.0 + 6.0 * rng.uniform();
      auto& f = sim::testing::add_flow(s, a, b, sim::testing::poisson_flow(pkts, 1000, static_cast<int>(rng.next() % 3)));
      max_bw = std::max(max_bw, f.eq_lambda_bps);
    }
  }
  s.traffic.max_avg_lambda = max_bw;
  return s;
}

// Appends one line to `file` (O_APPEND: whole lines even with several writers).
inline void append_line(const std::filesystem::path& file, const std::string& line) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string());
  const std::string l = line + "\n";
  const ssize_t w = ::write(fd, l.data(), l.size());
  ::close(fd);
  if (w != static_cast<ssize_t>(l.size())) throw std::runtime_error("short write to " + file.string());
}

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A generator callback that logs each call's id to `calls`, optionally sleeps, and throws for the
// ids in `fail`.
inline MakeSample counting_maker(std::filesystem::path calls, std::chrono::milliseconds delay = {},
                                 std::set<std::string> fail = {}) {
  return [calls = std::move(calls), delay, fail = std::move(fail)](std::uint64_t seed, const std::string& id) {
    append_line(calls, id);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (fail.count(id) != 0) throw std::runtime_error("synthetic failure of " + id);
    return small_sample(seed);
  };
}

// What the generate-job tests vary between their runs; the rest of test_options is common to all.
struct TestRun {
  std::uint64_t seed = 1;
  int threads = 1;
  std::string fingerprint;
  std::size_t batch_size = 1;
  std::size_t samples_per_file = 1;
};

// Options for a small, quiet test run of n candidates into `run` (20 s simulated per sample), made
// by counting_maker(calls).
inline GenerateOptions test_options(const std::filesystem::path& run, std::size_t n,
                                    const std::filesystem::path& calls, const TestRun& t) {
  GenerateOptions o;
  o.n = n;
  o.out = run;
  o.seed = t.seed;
  o.sim.sim_time_s = 20;
  o.threads = t.threads;
  o.progress = false;
  o.make_sample = counting_maker(calls);
  o.generator_fingerprint = t.fingerprint;
  o.batch_size = t.batch_size;
  o.samples_per_file = t.samples_per_file;
  return o;
}

// Starts generate_job(o) as one serial process in a forked child and returns the child's pid (< 0
// when fork fails). The child exits 0 when the job finishes without failed candidates, 4 when some
// failed, 3 when it throws.
inline pid_t fork_generate_job(const GenerateOptions& o) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  try {
    const GenerateReport r = generate_job(o, kSerial);
    ::_exit(r.failed == 0 ? 0 : 4);
  } catch (...) {
    ::_exit(3);
  }
}

// The stored samples of a run, by id.
inline std::map<std::int64_t, net::Sample> stored_samples(const std::filesystem::path& run) {
  std::map<std::int64_t, net::Sample> out;
  for (auto& s : io::ShardStore::open(run / "shards").read_all()) {
    const std::int64_t id = s.id;
    out.emplace(id, std::move(s));
  }
  return out;
}

// Relative path -> bytes of every file under dir.
inline std::map<std::string, std::string> file_tree(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[std::filesystem::relative(e.path(), dir).string()] = io::read_file(e.path());
  }
  return out;
}

}  // namespace autoopt::run::testing
