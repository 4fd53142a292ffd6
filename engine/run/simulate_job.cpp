// The simulate batch job (see simulate_job.hpp).
#include "run/simulate_job.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "io/archive.hpp"
#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"
#include "run/mpi.hpp"
#include "run/progress.hpp"

namespace autoopt::run {
namespace fs = std::filesystem;

namespace {

enum class Status : int { Ok = 0, Failed = 1, Skipped = 2 };

// What one input sample became; the log line and the export are built from these.
struct Record {
  std::uint64_t index = 0;   // job-wide sample number k
  Status status = Status::Failed;
  std::int64_t id = 0;       // Sample::id
  int nodes = 0;
  std::int64_t shard_pos = -1;  // position in this rank's shard (Ok only)
  double wall_s = 0.0;
  long mem_kb = 0;
  std::string label;         // the simulation line / the dataset sample's name
  std::string message;       // error or skip reason
};

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return s;
}

std::string serialize(const std::vector<Record>& recs) {
  std::ostringstream o;
  o.precision(17);
  for (const Record& r : recs) {
    o << r.index << '\t' << static_cast<int>(r.status) << '\t' << r.id << '\t' << r.nodes << '\t' << r.shard_pos
      << '\t' << r.wall_s << '\t' << r.mem_kb << '\t' << one_line(r.label) << '\t' << one_line(r.message) << '\n';
  }
  return o.str();
}

std::vector<Record> deserialize(const std::string& text) {
  std::vector<Record> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 8; ++i) {
      const std::size_t tab = line.find('\t', pos);
      f.push_back(line.substr(pos, tab - pos));
      pos = tab + 1;
    }
    f.push_back(line.substr(pos));
    Record r;
    r.index = std::stoull(f[0]);
    r.status = static_cast<Status>(std::stoi(f[1]));
    r.id = std::stoll(f[2]);
    r.nodes = std::stoi(f[3]);
    r.shard_pos = std::stoll(f[4]);
    r.wall_s = std::stod(f[5]);
    r.mem_kb = std::stol(f[6]);
    r.label = f[7];
    r.message = f[8];
    out.push_back(std::move(r));
  }
  return out;
}

long peak_rss_kb() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return ru.ru_maxrss;  // KB on Linux
}

std::uint64_t splitmix64(std::uint64_t z) noexcept {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Every rank learns whether any rank failed; throws on all of them if so (the failing ranks with
// their own message).
void agree(const io::Distribution& dist, const std::string& my_error) {
  const int first = first_failed_rank(dist, !my_error.empty());
  if (first == dist.size) return;
  if (!my_error.empty()) throw Error(my_error);
  throw Error("simulate: rank " + std::to_string(first) + " failed (see its error)");
}

// A work item: load (in the worker, for reference inputs) or a preloaded sample.
struct Task {
  std::uint64_t index = 0;
  std::string label;
  std::function<net::Sample()> load;
};

struct Done {
  Record rec;
  std::optional<net::Sample> sample;
};

// Worker threads that load and simulate; results come back in submission order.
class Pool {
 public:
  Pool(int threads, sim::SimConfig base) : base_(base) {
    for (int t = 0; t < threads; ++t) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      const std::lock_guard lk(m_);
      closing_ = true;
    }
    cv_task_.notify_all();
    for (auto& w : workers_) w.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void submit(Task t) {
    {
      const std::lock_guard lk(m_);
      tasks_.push_back({submitted_++, std::move(t)});
    }
    cv_task_.notify_one();
  }
  // Hands finished results to `sink` in submission order until at most `max_in_flight` remain
  // unfinished-or-unwritten (0: until all are written).
  void drain(std::size_t max_in_flight, const std::function<void(Done&)>& sink) {
    for (;;) {
      std::optional<Done> d;
      {
        std::unique_lock lk(m_);
        cv_done_.wait(lk, [&] { return done_.count(next_) != 0 || submitted_ - next_ <= max_in_flight; });
        const auto it = done_.find(next_);
        if (it == done_.end()) return;
        d = std::move(it->second);
        done_.erase(it);
        ++next_;
      }
      sink(*d);
    }
  }

 private:
  void work() {
    for (;;) {
      std::pair<std::uint64_t, Task> job;
      {
        std::unique_lock lk(m_);
        cv_task_.wait(lk, [&] { return closing_ || !tasks_.empty(); });
        if (closing_) return;
        job = std::move(tasks_.front());
        tasks_.pop_front();
      }
      Done d = run(job.second);
      {
        const std::lock_guard lk(m_);
        done_.emplace(job.first, std::move(d));
      }
      cv_done_.notify_all();
    }
  }

  Done run(Task& t) const {
    Done d;
    d.rec.index = t.index;
    d.rec.label = t.label;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      net::Sample s = t.load();
      d.rec.id = s.id;
      d.rec.nodes = s.num_nodes();
      s.results.reset();
      sim::SimConfig cfg = base_;
      cfg.seed = sample_seed(base_.seed, static_cast<std::int64_t>(t.index));
      net::Results r = sim::simulate(s, cfg);
      r.run.wall_s = 0;  // keep Results deterministic: wall time and memory go to the log only
      r.run.mem_kb = 0;
      s.results = std::move(r);
      d.rec.status = Status::Ok;
      d.sample = std::move(s);
    } catch (const std::exception& e) {
      d.rec.status = Status::Failed;
      d.rec.message = e.what();
    } catch (...) {
      d.rec.status = Status::Failed;
      d.rec.message = "unknown exception";
    }
    d.rec.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    d.rec.mem_kb = peak_rss_kb();
    return d;
  }

  sim::SimConfig base_;
  std::mutex m_;
  std::condition_variable cv_task_, cv_done_;
  std::deque<std::pair<std::uint64_t, Task>> tasks_;
  std::map<std::uint64_t, Done> done_;
  std::uint64_t submitted_ = 0, next_ = 0;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

// Rank 0 receives every rank's text (per_rank[r]); other ranks get nothing.
void gather_text(const io::Distribution& dist, const std::string& mine, std::vector<std::string>& per_rank) {
  per_rank.assign(static_cast<std::size_t>(dist.size), {});
  if (dist.comm == MPI_COMM_NULL) {
    per_rank[0] = mine;
    return;
  }
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<std::size_t>(dist.size), 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, dist.comm);
  std::vector<int> displs(static_cast<std::size_t>(dist.size), 0);
  std::string all;
  if (dist.rank == 0) {
    int total = 0;
    for (int r = 0; r < dist.size; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += lens[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, dist.comm);
  if (dist.rank == 0) {
    for (int r = 0; r < dist.size; ++r) {
      per_rank[static_cast<std::size_t>(r)] =
          all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                     static_cast<std::size_t>(lens[static_cast<std::size_t>(r)]));
    }
  }
}

void remove_shard_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == io::kManifestFileName || (name.rfind("shard-", 0) == 0 && e.path().extension() == ".h5")) {
      fs::remove(e.path());
    }
  }
}

}  // namespace

std::uint64_t sample_seed(std::uint64_t global_seed, std::int64_t k) noexcept {
  return splitmix64(splitmix64(global_seed) ^ splitmix64(static_cast<std::uint64_t>(k) + 0x5851F42D4C957F2DULL));
}

int default_threads(MPI_Comm comm) {
  int local = 1;
  if (comm != MPI_COMM_NULL) {
    MPI_Comm node = MPI_COMM_NULL;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS &&
        node != MPI_COMM_NULL) {
      MPI_Comm_size(node, &local);
      MPI_Comm_free(&node);
    }
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return std::max(1, static_cast<int>(hw) / std::max(1, local));
}

SimulateReport simulate_job(const SimulateOptions& opt, const io::Distribution& dist) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.out.empty()) throw Error("simulate: no output folder given");
  if (!(opt.sim.sim_time_s > 0)) throw Error("simulate: sim_time must be > 0");

  // ---- input ----
  const bool reference = io::refsim::is_reference_input(opt.in);
  std::optional<io::refsim::RefInput> ref;
  std::optional<io::DatasetKind> kind;
  if (reference) {
    ref.emplace(opt.in, opt.ref);
  } else {
    kind = io::detect_dataset(opt.in);  // throws naming what was looked for
  }
  SimulateReport rep;
  std::string name = opt.dataset_name;
  std::string tag = opt.dataset_name;  // empty: keep each sample's tag
  std::size_t spf = opt.samples_per_file;
  bool rm = opt.rm_prev_results.value_or(false);
  int threads = opt.threads > 0 ? opt.threads : default_threads(dist.comm);
  if (ref) {
    const auto& c = ref->conf();
    if (name.empty()) name = c.dataset_name;
    if (tag.empty()) tag = name;
    if (spf == 0) spf = c.samples_per_file;
    if (!opt.rm_prev_results) rm = c.rm_prev_results;
    if (opt.threads <= 0 && c.threads > 0) threads = std::min(threads, c.threads);
    rep.warnings = c.warnings;
  }
  if (name.empty()) name = "resimulated";
  if (spf == 0) spf = 1;
  rep.threads = threads;
  rep.results_dir = opt.out / "results" / name;
  rep.shards_dir = opt.out / "shards";
  rep.log_file = opt.out / "out.log";

  // ---- prepare the output (rank 0) ----
  on_rank0(dist, [&] {
    std::error_code ec;
    if (rm) {
      fs::remove_all(rep.results_dir);
      fs::remove(rep.log_file, ec);
    } else if (fs::is_directory(rep.results_dir, ec) && !fs::is_empty(rep.results_dir, ec)) {
      throw Error(rep.results_dir.string() +
                  " already holds results; set rm_prev_results: y in conf.yml (or --rm-prev-results) "
                  "or choose another output folder");
    }
    fs::create_directories(rep.shards_dir);
    remove_shard_files(rep.shards_dir);
  });

  // ---- this rank's samples ----
  std::vector<Record> records;
  std::string my_error;
  double sim_seconds = 0;
  try {
    const auto owns = [&](std::size_t k) { return static_cast<int>(k % static_cast<std::size_t>(dist.size)) == dist.rank; };
    io::ShardWriter writer(rep.shards_dir, dist.rank, dist.size);
    std::unique_ptr<Progress> progress;
    const std::string who = dist.size > 1 ? "simulate[rank " + std::to_string(dist.rank) + "]" : "simulate";
    const auto start_progress = [&](std::size_t total) {
      std::size_t mine = 0;
      for (std::size_t k = 0; k < total; ++k) mine += owns(k) ? 1 : 0;
      rep.total = total;
      rep.mine = mine;
      progress = std::make_unique<Progress>(who, static_cast<std::int64_t>(mine), opt.progress);
    };
    std::int64_t shard_pos = 0;
    const auto sink = [&](Done& d) {
      if (d.sample) {
        writer.add(*d.sample);
        d.rec.shard_pos = shard_pos++;
      }
      sim_seconds += d.rec.wall_s;
      records.push_back(std::move(d.rec));
      progress->advance();
    };
    Pool pool(threads, opt.sim);
    const std::size_t cap = static_cast<std::size_t>(threads) * 2;
    const auto submit = [&](Task t) {
      pool.drain(cap - 1, sink);
      pool.submit(std::move(t));
    };
    const bool filtering = opt.filter.min_nodes > 0 || opt.filter.max_nodes < INT_MAX;
    if (ref) {
      start_progress(ref->size());
      for (std::size_t k = 0; k < ref->size(); ++k) {
        if (!owns(k)) continue;
        const io::refsim::SimLine& line = ref->lines()[k];
        if (filtering) {
          int n = -1;
          try {
            n = ref->num_nodes(k);
          } catch (const std::exception&) {
            n = -1;  // unreadable graph: load() reports it
          }
          if (n >= 0 && !opt.filter.accepts(n)) {
            Record r;
            r.index = k;
            r.status = Status::Skipped;
            r.id = line.id;
            r.nodes = n;
            r.label = line.text;
            r.message = std::to_string(n) + " nodes, outside the size filter " + std::to_string(opt.filter.min_nodes) +
                        ".." +
                        (opt.filter.max_nodes == INT_MAX ? std::string() : std::to_string(opt.filter.max_nodes));
            records.push_back(std::move(r));
            progress->advance();
            continue;
          }
        }
        const io::refsim::RefInput* in = &*ref;
        submit(Task{k, line.text, [in, k] { return in->load(k); }});
      }
    } else if (*kind == io::DatasetKind::Gnnet) {
      io::GnnetDataset ds(opt.in);
      const auto refs = ds.filter_nodes(opt.filter.min_nodes, opt.filter.max_nodes);
      start_progress(refs.size());
      for (std::size_t k = 0; k < refs.size(); ++k) {
        if (!owns(k)) continue;
        const std::string label = ds.roots()[refs[k].root].filename().string() + "/" +
                                  refs[k].archive.filename().string() + ":" + std::to_string(refs[k].line + 1);
        std::string load_error;
        std::shared_ptr<const net::Sample> s;
        try {
          s = std::make_shared<const net::Sample>(ds.load(refs[k]));
        } catch (const std::exception& e) {
          load_error = e.what();
        }
        submit(Task{k, label, [s, load_error]() -> net::Sample {
                      if (!s) throw Error(load_error);
                      net::check(*s);
                      return *s;
                    }});
      }
    } else {
      // HDF5: one pass over the store (only the main thread touches HDF5).
      std::size_t total = 0;
      io::for_each_sample(opt.in, opt.filter, [&](std::size_t, const net::Sample&) { ++total; });
      start_progress(total);
      io::for_each_sample(opt.in, opt.filter, [&](std::size_t k, const net::Sample& s0) {
        if (!owns(k)) return;
        auto s = std::make_shared<const net::Sample>(s0);
        const std::string label = "sample " + std::to_string(s->id) + " (" + s->graph_name + "," + s->routing_name + ")";
        submit(Task{k, label, [s] {
                      net::check(*s);
                      return *s;
                    }});
      });
    }
    pool.drain(0, sink);
    writer.close();
  } catch (const std::exception& e) {
    my_error = "simulate[rank " + std::to_string(dist.rank) + "]: " + e.what();
  }
  agree(dist, my_error);
  rep.sim_seconds = sim_seconds;
  if (dist.comm != MPI_COMM_NULL) {
    io::gather_and_write_manifest(rep.shards_dir, dist.comm);
  } else {
    io::write_manifest(rep.shards_dir);
  }

  // ---- rank 0: out.log and the GNNet export ----
  std::vector<std::string> texts;
  gather_text(dist, serialize(records), texts);
  std::array<std::uint64_t, 3> counts{0, 0, 0};
  on_rank0(dist, [&] {
    struct Entry {
      Record rec;
      int rank = 0;
    };
    std::vector<Entry> all;
    for (int r = 0; r < dist.size; ++r) {
      for (auto& rec : deserialize(texts[static_cast<std::size_t>(r)])) all.push_back({std::move(rec), r});
    }
    std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.rec.index < b.rec.index; });

    std::string log;
    std::set<int> sizes;
    for (const Entry& e : all) {
      log += e.rec.label;
      if (e.rec.status == Status::Ok) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " Ok wall_s=%.3f mem_kb=%ld\n", e.rec.wall_s, e.rec.mem_kb);
        log += buf;
        sizes.insert(e.rec.nodes);
        ++counts[0];
      } else if (e.rec.status == Status::Failed) {
        log += " Error: " + e.rec.message + "\n";
        ++counts[1];
      } else {
        log += " Skipped: " + e.rec.message + "\n";
        ++counts[2];
      }
    }
    fs::create_directories(opt.out);
    io::write_file_atomic(rep.log_file, log);

    // Export in sample order: archives of up to `spf` samples with consecutive ids, one root (or
    // one per size when a dataset with several sizes is re-simulated).
    const bool per_size = !ref && sizes.size() > 1;
    std::vector<std::unique_ptr<io::ShardReader>> readers(static_cast<std::size_t>(dist.size));
    std::vector<net::Sample> chunk;
    fs::path chunk_root;
    const auto flush = [&] {
      if (chunk.empty()) return;
      io::GnnetWriteOptions w;
      w.samples_per_file = chunk.size();
      w.tag = tag;
      io::write_gnnet_dataset(chunk_root, chunk, w);
      chunk.clear();
    };
    for (const Entry& e : all) {
      if (e.rec.status != Status::Ok) continue;
      auto& reader = readers[static_cast<std::size_t>(e.rank)];
      if (!reader) reader = std::make_unique<io::ShardReader>(rep.shards_dir / io::shard_file_name(e.rank, dist.size));
      net::Sample s = reader->read(static_cast<std::size_t>(e.rec.shard_pos));
      const fs::path root = per_size ? rep.results_dir / std::to_string(s.num_nodes()) : rep.results_dir;
      const bool joins = !chunk.empty() && root == chunk_root && chunk.size() < spf && s.id == chunk.back().id + 1 &&
                         (tag.empty() ? s.dataset_tag == chunk.back().dataset_tag : true);
      if (!joins) flush();
      chunk_root = root;
      chunk.push_back(std::move(s));
    }
    flush();
  });
  if (dist.comm != MPI_COMM_NULL) {
    MPI_Bcast(counts.data(), 3, MPI_UINT64_T, 0, dist.comm);
    std::uint64_t total = rep.total;
    MPI_Bcast(&total, 1, MPI_UINT64_T, 0, dist.comm);
    rep.total = total;
  }
  rep.ok = counts[0];
  rep.failed = counts[1];
  rep.skipped = counts[2];
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace autoopt::run
