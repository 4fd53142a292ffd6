// The generate batch job (see generate_job.hpp and docs/generate.md).
#include "run/generate_job.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cctype>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
#include "run/simulate_job.hpp"

namespace autoopt::run {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRunFormat = "autoopt-generate-run";
constexpr int kRunVersion = 1;
constexpr int kLedgerVersion = 1;
constexpr const char* kRunFile = "run.json";

// ---- hashing ------------------------------------------------------------------------------------

class Fnv64 {
 public:
  void bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h_ ^= b[i];
      h_ *= 0x100000001B3ULL;
    }
  }
  void u64(std::uint64_t v) noexcept {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));  // little-endian
    bytes(b, 8);
  }
  void i64(std::int64_t v) noexcept { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) noexcept { u64(std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v)); }
  void str(std::string_view s) noexcept {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  template <class T, class F>
  void list(const std::vector<T>& v, F&& each) {
    u64(v.size());
    for (const T& x : v) each(x);
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = 0xCBF29CE484222325ULL;
};

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hash_text(std::string_view text) {
  Fnv64 h;
  h.str(text);
  return hex16(h.value());
}

// Every SimConfig field but the seed (the candidates' seeds come from the global seed). A field added
// to SimConfig must be added here, or a rerun with another value of it would be taken as a resume.
std::string sim_fingerprint(const sim::SimConfig& c) {
  std::ostringstream o;
  o.precision(17);
  o << "warmup=" << c.warmup_s << " T=" << c.sim_time_s << " drrq=" << c.drr_quantum_bits
    << " pct=" << static_cast<int>(c.percentiles) << " hw=" << c.histogram_rel_width << " flows=" << c.per_flow_results
    << " wfq=" << static_cast<int>(c.wfq) << " drrs=" << static_cast<int>(c.drr_scale)
    << " gaps=" << static_cast<int>(c.onoff_gaps) << " start=" << static_cast<int>(c.onoff_start)
    << " stop=" << static_cast<int>(c.stop) << " maxpk=" << c.max_packets << " prec=" << c.rel_precision
    << " conf=" << c.confidence << " chk=" << c.check_interval_s << " minT=" << c.min_sim_time_s
    << " maxT=" << c.max_sim_time_s << " minb=" << c.min_batches << " batch=" << c.batch_s
    << " qlim=" << c.queue_limit_packets;
  return o.str();
}

// ---- small file-system helpers --------------------------------------------------------------------

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself is already visible
  (void)::fsync(fd);
  ::close(fd);
}

bool is_temp_name(const std::string& name) { return name.find(".tmp-") != std::string::npos; }
bool is_batch_name(const std::string& name) {
  return name.rfind("batch-", 0) == 0 && name.size() > 3 && name.substr(name.size() - 3) == ".h5" && !is_temp_name(name);
}

std::vector<fs::path> ledger_files(const fs::path& ledger_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(ledger_dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(ledger_dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("rank-", 0) == 0 && e.path().extension() == ".sqlite") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- SQLite ---------------------------------------------------------------------------------------

class Statement;

// How a ledger is opened: `create` (this rank's own file), `existing` (a file this process may
// change: rank 0 trimming untrusted rows) or `reader` (another process may own and be writing it:
// no schema or version writes; a file without the table yet reads as empty). A reader still opens
// read-write when it can, so that SQLite can roll back a hot journal left by a killed writer.
enum class DbMode { create, existing, reader };

class Db {
 public:
  Db(const fs::path& file, bool create) : Db(file, create ? DbMode::create : DbMode::existing) {}
  Db(const fs::path& file, DbMode mode) : file_(file) {
    const int flags =
        SQLITE_OPEN_READWRITE | (mode == DbMode::create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      throw Error(file.string() + ": cannot open the SQLite ledger: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(raw, 30000);
    if (mode == DbMode::reader) {
      has_table_ = table_exists();
      const int version = user_version();
      if (version != 0 && version != kLedgerVersion) {
        throw Error(file.string() + ": ledger version " + std::to_string(version) + ", expected " +
                    std::to_string(kLedgerVersion));
      }
      return;
    }
    // Rollback journal (works on cluster file systems, unlike WAL) and a full sync at each commit.
    exec("PRAGMA journal_mode=DELETE");
    exec("PRAGMA synchronous=FULL");
    exec(
        "CREATE TABLE IF NOT EXISTS candidates ("
        " k INTEGER PRIMARY KEY, id TEXT NOT NULL, config_hash TEXT, seed TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('ok','failed')), error TEXT,"
        " gen_s REAL, sim_s REAL, nodes INTEGER, mean_link_util REAL, max_link_util REAL,"
        " lost_fraction REAL, mean_path_delay REAL, sim_time REAL, shard TEXT, shard_pos INTEGER,"
        " rank INTEGER, finished_at REAL)");
    const int version = user_version();
    if (version == 0) {
      exec("PRAGMA user_version=" + std::to_string(kLedgerVersion));
    } else if (version != kLedgerVersion) {
      throw Error(file.string() + ": ledger version " + std::to_string(version) + ", expected " +
                  std::to_string(kLedgerVersion));
    }
  }

  void exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      const std::string m = msg ? msg : sqlite3_errmsg(db_.get());
      sqlite3_free(msg);
      throw Error(file_.string() + ": SQLite: " + m + " (in: " + sql.substr(0, 60) + ")");
    }
  }
  [[nodiscard]] int user_version();
  [[nodiscard]] bool table_exists();
  [[nodiscard]] bool has_table() const noexcept { return has_table_; }
  [[nodiscard]] sqlite3* get() const noexcept { return db_.get(); }
  [[nodiscard]] const fs::path& file() const noexcept { return file_; }

 private:
  struct Closer {
    void operator()(sqlite3* d) const noexcept { sqlite3_close(d); }
  };
  fs::path file_;
  std::unique_ptr<sqlite3, Closer> db_;
  bool has_table_ = true;
};

class Statement {
 public:
  Statement(Db& db, const std::string& sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      throw Error(db.file().string() + ": SQLite: " + sqlite3_errmsg(db.get()));
    }
    st_.reset(raw);
  }
  // true while there is a row.
  bool step() {
    const int rc = sqlite3_step(st_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(db_.file().string() + ": SQLite: " + sqlite3_errmsg(db_.get()));
  }
  void reset() {
    sqlite3_reset(st_.get());
    sqlite3_clear_bindings(st_.get());
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(st_.get(), i, v); }
  void bind(int i, double v) { sqlite3_bind_double(st_.get(), i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(st_.get(), i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) { sqlite3_bind_null(st_.get(), i); }
  [[nodiscard]] std::int64_t i64(int c) const { return sqlite3_column_int64(st_.get(), c); }
  [[nodiscard]] double f64(int c) const { return sqlite3_column_double(st_.get(), c); }
  [[nodiscard]] std::string text(int c) const {
    const auto* t = sqlite3_column_text(st_.get(), c);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  Db& db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> st_;
};

int Db::user_version() {
  Statement s(*this, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.i64(0)) : 0;
}

bool Db::table_exists() {
  Statement s(*this, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'candidates'");
  return s.step() && s.i64(0) > 0;
}

constexpr const char* kColumns =
    "k, id, config_hash, seed, status, error, gen_s, sim_s, nodes, mean_link_util, max_link_util, "
    "lost_fraction, mean_path_delay, sim_time, shard, shard_pos, rank, finished_at";

std::vector<LedgerRow> read_rows(Db& db) {
  std::vector<LedgerRow> out;
  if (!db.has_table()) return out;
  Statement s(db, std::string("SELECT ") + kColumns + " FROM candidates ORDER BY k");
  while (s.step()) {
    LedgerRow r;
    r.k = s.i64(0);
    r.id = s.text(1);
    r.config_hash = s.text(2);
    r.seed = std::strtoull(s.text(3).c_str(), nullptr, 10);
    r.status = s.text(4);
    r.error = s.text(5);
    r.gen_s = s.f64(6);
    r.sim_s = s.f64(7);
    r.nodes = static_cast<int>(s.i64(8));
    r.mean_link_util = s.f64(9);
    r.max_link_util = s.f64(10);
    r.lost_fraction = s.f64(11);
    r.mean_path_delay = s.f64(12);
    r.sim_time = s.f64(13);
    r.shard = s.text(14);
    r.shard_pos = s.i64(15);
    r.rank = static_cast<int>(s.i64(16));
    r.finished_at = s.f64(17);
    out.push_back(std::move(r));
  }
  return out;
}

void insert_rows(Db& db, const std::vector<LedgerRow>& rows) {
  db.exec("BEGIN IMMEDIATE");
  try {
    Statement s(db, std::string("INSERT OR REPLACE INTO candidates (") + kColumns +
                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const LedgerRow& r : rows) {
      s.reset();
      s.bind(1, r.k);
      s.bind(2, r.id);
      if (r.config_hash.empty()) s.bind_null(3); else s.bind(3, r.config_hash);
      s.bind(4, std::to_string(r.seed));
      s.bind(5, r.status);
      if (r.error.empty()) s.bind_null(6); else s.bind(6, r.error);
      s.bind(7, r.gen_s);
      s.bind(8, r.sim_s);
      s.bind(9, static_cast<std::int64_t>(r.nodes));
      s.bind(10, r.mean_link_util);
      s.bind(11, r.max_link_util);
      s.bind(12, r.lost_fraction);
      s.bind(13, r.mean_path_delay);
      s.bind(14, r.sim_time);
      if (r.shard.empty()) s.bind_null(15); else s.bind(15, r.shard);
      s.bind(16, r.shard_pos);
      s.bind(17, static_cast<std::int64_t>(r.rank));
      s.bind(18, r.finished_at);
      (void)s.step();
    }
    db.exec("COMMIT");
  } catch (...) {
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

// ---- MPI helpers ----------------------------------------------------------------------------------

// Every rank learns whether any rank failed; throws on all of them with the lowest failing rank's
// message if so.
void agree(const io::Distribution& dist, const std::string& my_error) {
  const int first = first_failed_rank(dist, !my_error.empty());
  if (first == dist.size) return;
  throw Error(broadcast_text(dist, my_error, first));
}

template <class T>
void bcast(const io::Distribution& dist, std::vector<T>& v) {
  if (dist.comm == MPI_COMM_NULL) return;
  std::uint64_t n = v.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, dist.comm);
  v.resize(n);
  if (n > 0) MPI_Bcast(v.data(), static_cast<int>(n * sizeof(T)), MPI_BYTE, 0, dist.comm);
}

// ---- run identity (run.json) ---------------------------------------------------------------------

struct Identity {
  std::size_t n = 0;
  std::string seed, generator_hash, sim_hash;
};

std::string identity_json(const Identity& id) {
  return std::string("{\n  \"format\": \"") + kRunFormat + "\",\n  \"version\": " + std::to_string(kRunVersion) +
         ",\n  \"n\": " + std::to_string(id.n) + ",\n  \"seed\": \"" + id.seed + "\",\n  \"generator_hash\": \"" +
         id.generator_hash + "\",\n  \"sim_hash\": \"" + id.sim_hash + "\"\n}\n";
}

// The raw value of "key": (a quoted string without escapes, or a bare number).
std::string json_value(const std::string& text, const std::string& key, const fs::path& file) {
  const std::string k = "\"" + key + "\"";
  std::size_t p = text.find(k);
  if (p == std::string::npos) throw Error(file.string() + ": field '" + key + "' missing; expected a run.json written by autoopt generate");
  p = text.find(':', p + k.size());
  if (p == std::string::npos) throw Error(file.string() + ": field '" + key + "': expected ':'");
  ++p;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  if (p < text.size() && text[p] == '"') {
    const std::size_t e = text.find('"', p + 1);
    if (e == std::string::npos) throw Error(file.string() + ": field '" + key + "': unterminated string");
    return text.substr(p + 1, e - p - 1);
  }
  std::size_t e = p;
  while (e < text.size() && (std::isdigit(static_cast<unsigned char>(text[e])) != 0)) ++e;
  if (e == p) throw Error(file.string() + ": field '" + key + "': expected a string or a number");
  return text.substr(p, e - p);
}

Identity read_identity(const fs::path& file) {
  const std::string text = io::read_file(file);
  if (json_value(text, "format", file) != kRunFormat) {
    throw Error(file.string() + ": field 'format': expected \"" + std::string(kRunFormat) + "\"");
  }
  if (const std::string v = json_value(text, "version", file); v != std::to_string(kRunVersion)) {
    throw Error(file.string() + ": field 'version': " + v + ", expected " + std::to_string(kRunVersion));
  }
  Identity id;
  id.n = std::stoull(json_value(text, "n", file));
  id.seed = json_value(text, "seed", file);
  id.generator_hash = json_value(text, "generator_hash", file);
  id.sim_hash = json_value(text, "sim_hash", file);
  return id;
}

// ---- one candidate --------------------------------------------------------------------------------

void summarize(const net::Results& r, LedgerRow& row) {
  double sum = 0, mx = 0;
  for (const auto& p : r.ports) {
    sum += p.utilization;
    mx = std::max(mx, p.utilization);
  }
  row.mean_link_util = r.ports.empty() ? 0.0 : sum / static_cast<double>(r.ports.size());
  row.max_link_util = mx;
  double gen = 0, drop = 0, dsum = 0;
  std::size_t dn = 0;
  for (const auto& p : r.pairs) {
    gen += p.pkts_gen;
    drop += p.pkts_drop;
    if (p.pkts_gen > 0 && p.avg_delay >= 0) {
      dsum += p.avg_delay;
      ++dn;
    }
  }
  row.lost_fraction = gen > 0 ? drop / gen : 0.0;
  row.mean_path_delay = dn > 0 ? dsum / static_cast<double>(dn) : -1.0;
  row.sim_time = r.run.sim_time;
}

struct Outcome {
  LedgerRow row;
  std::optional<net::Sample> sample;  // ok only
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Outcome run_candidate(std::size_t k, const GenerateOptions& opt) {
  Outcome o;
  LedgerRow& row = o.row;
  row.k = static_cast<std::int64_t>(k);
  row.id = candidate_id(k);
  row.seed = sample_seed(opt.seed, static_cast<std::int64_t>(k));
  row.status = "failed";
  net::Sample s;
  auto t0 = std::chrono::steady_clock::now();
  try {
    s = opt.make_sample(row.seed, row.id);
  } catch (const std::exception& e) {
    row.gen_s = seconds_since(t0);
    row.error = std::string("generate: ") + e.what();
    return o;
  } catch (...) {
    row.gen_s = seconds_since(t0);
    row.error = "generate: unknown exception";
    return o;
  }
  row.gen_s = seconds_since(t0);
  s.id = static_cast<std::int64_t>(k);
  s.results.reset();
  row.nodes = s.num_nodes();
  row.config_hash = input_hash(s);
  try {
    net::check(s);
  } catch (const std::exception& e) {
    row.error = std::string("validate: ") + e.what();
    return o;
  }
  t0 = std::chrono::steady_clock::now();
  try {
    sim::SimConfig cfg = opt.sim;
    cfg.seed = sample_seed(row.seed, 1);
    net::Results r = sim::simulate(s, cfg);
    r.run.wall_s = 0;  // keep stored results deterministic (wall time is in the ledger)
    r.run.mem_kb = 0;
    summarize(r, row);
    s.results = std::move(r);
  } catch (const std::exception& e) {
    row.sim_s = seconds_since(t0);
    row.error = std::string("simulate: ") + e.what();
    return o;
  }
  row.sim_s = seconds_since(t0);
  row.status = "ok";
  o.sample = std::move(s);
  return o;
}

// Worker threads running candidates; results come back in submission order.
class Pool {
 public:
  Pool(int threads, const GenerateOptions& opt) : opt_(opt) {
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

  void submit(std::size_t k) {
    {
      const std::lock_guard lk(m_);
      tasks_.push_back({submitted_++, k});
    }
    cv_task_.notify_one();
  }
  [[nodiscard]] std::uint64_t in_flight() const noexcept { return submitted_ - next_; }
  // The next result in submission order (blocks); only when in_flight() > 0.
  Outcome next() {
    std::unique_lock lk(m_);
    cv_done_.wait(lk, [&] { return done_.count(next_) != 0; });
    const auto it = done_.find(next_);
    Outcome o = std::move(it->second);
    done_.erase(it);
    ++next_;
    return o;
  }

 private:
  void work() {
    for (;;) {
      std::pair<std::uint64_t, std::size_t> job;
      {
        std::unique_lock lk(m_);
        cv_task_.wait(lk, [&] { return closing_ || !tasks_.empty(); });
        if (closing_) return;
        job = tasks_.front();
        tasks_.pop_front();
      }
      Outcome o = run_candidate(job.second, opt_);
      {
        const std::lock_guard lk(m_);
        done_.emplace(job.first, std::move(o));
      }
      cv_done_.notify_all();
    }
  }

  const GenerateOptions& opt_;
  std::mutex m_;
  std::condition_variable cv_task_, cv_done_;
  std::deque<std::pair<std::uint64_t, std::size_t>> tasks_;
  std::map<std::uint64_t, Outcome> done_;
  std::uint64_t submitted_ = 0, next_ = 0;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---- phases ---------------------------------------------------------------------------------------

struct Paths {
  fs::path run, shards, ledger, results, run_file;
};

// Which global ranks this invocation is (GenerateOptions::shard_index/shard_count times the MPI
// ranks): ranks first .. first+count-1 of total. A plain run is first = 0, count = total = R.
struct Sharding {
  bool on = false;         // shard_count > 1
  std::size_t total = 1;   // shard_count * R
  std::size_t first = 0;   // shard_index * R
  std::size_t count = 1;   // R
  [[nodiscard]] bool owns_rank(std::size_t g) const noexcept { return g >= first && g < first + count; }
  [[nodiscard]] bool owns(std::size_t k) const noexcept { return owns_rank(k % total); }
};

// "rank-<g>.sqlite" -> g; nullopt for another name.
std::optional<std::size_t> ledger_rank(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::string digits = name.substr(5, name.size() - 5 - 7);  // ledger_files(): "rank-*.sqlite"
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoull(digits));
}

// "batch-<first>-..." (a batch file or its temporary) -> first; nullopt for another name.
std::optional<std::size_t> batch_first(const std::string& name) {
  if (name.rfind("batch-", 0) != 0) return std::nullopt;
  std::size_t e = 6;
  while (e < name.size() && std::isdigit(static_cast<unsigned char>(name[e])) != 0) ++e;
  if (e == 6 || e >= name.size() || name[e] != '-') return std::nullopt;
  return static_cast<std::size_t>(std::stoull(name.substr(6, e - 6)));
}

// Rank 0, before any work: checks or writes run.json, cleans leftovers, trims the ledgers to trusted
// rows and returns done[k] for k < n.
// With sharding on, other shards may be running in the same folder: only this shard's leftovers
// (temporary and unreferenced batch files whose first k it owns, untrusted rows of its own ledger
// files) are deleted, and the other ledgers are only read.
std::vector<std::uint8_t> prepare(const GenerateOptions& opt, const Paths& p, const Sharding& sh, bool& extended) {
  Identity want;
  want.n = opt.n;
  want.seed = std::to_string(opt.seed);
  want.generator_hash = hash_text(opt.generator_fingerprint);
  want.sim_hash = hash_text(sim_fingerprint(opt.sim));
  std::error_code ec;
  fs::create_directories(p.run);
  const auto discard = [&] {
    for (const fs::path& d : {p.ledger, p.shards, p.results}) fs::remove_all(d);
    fs::remove(p.run_file, ec);
  };
  if (fs::exists(p.run_file)) {
    const Identity have = read_identity(p.run_file);
    std::string why;
    if (have.seed != want.seed) {
      why = "it was made with seed " + have.seed + ", not " + want.seed;
    } else if (have.generator_hash != want.generator_hash) {
      why = "it was made with another generator configuration (hash " + have.generator_hash + ", now " +
            want.generator_hash + ")";
    } else if (have.sim_hash != want.sim_hash) {
      why = "it was made with other simulator options (hash " + have.sim_hash + ", now " + want.sim_hash + ")";
    } else if (opt.n < have.n) {
      why = "it has n = " + std::to_string(have.n) + " candidates; a smaller n (" + std::to_string(opt.n) +
            ") would drop finished ones";
    }
    if (!why.empty()) {
      if (!opt.force) {
        throw Error("generate: " + p.run_file.string() + ": cannot resume this run: " + why +
                    ". Rerun with the run's options to resume it, or with --force to discard it and start over");
      }
      discard();
    } else if (opt.n > have.n) {
      extended = true;
    }
  } else {
    const bool leftovers = !ledger_files(p.ledger).empty() ||
                           (fs::is_directory(p.shards, ec) && !fs::is_empty(p.shards, ec));
    if (leftovers && !opt.force) {
      throw Error("generate: " + p.run.string() + " holds ledger or shard files but no run.json; " +
                  "it is not a run folder of autoopt generate (use --force to discard them, or another folder)");
    }
    if (leftovers) discard();
  }
  fs::create_directories(p.ledger);
  fs::create_directories(p.shards);
  io::write_file_atomic(p.run_file, identity_json(want));

  // Leftover temporary files (a kill while a batch or a manifest was being written).
  const auto mine = [&](const std::string& name) {
    if (!sh.on) return true;
    const auto first = batch_first(name);
    return first.has_value() && sh.owns(*first);
  };
  for (const auto& e : fs::directory_iterator(p.shards)) {
    const std::string name = e.path().filename().string();
    if ((is_temp_name(name) && mine(name)) || name == io::kManifestFileName) fs::remove(e.path(), ec);
  }
  std::set<std::string> present;
  for (const auto& e : fs::directory_iterator(p.shards)) {
    if (is_batch_name(e.path().filename().string())) present.insert(e.path().filename().string());
  }

  // Ledgers: keep the trusted rows (ok with an existing shard, or failed unless retried).
  std::vector<std::uint8_t> done(opt.n, 0);
  std::set<std::string> referenced;
  for (const fs::path& file : ledger_files(p.ledger)) {
    const auto g = ledger_rank(file);
    const bool own = !sh.on || (g.has_value() && sh.owns_rank(*g));
    Db db(file, own ? DbMode::existing : DbMode::reader);
    std::vector<std::int64_t> drop;
    for (const LedgerRow& r : read_rows(db)) {
      const bool in_range = r.k >= 0 && static_cast<std::size_t>(r.k) < opt.n;
      const bool duplicate = in_range && done[static_cast<std::size_t>(r.k)] != 0;
      const bool trusted = r.status == "ok" ? present.count(r.shard) != 0 : !opt.retry_failed;
      if (!in_range || duplicate || !trusted) {
        drop.push_back(r.k);
        continue;
      }
      done[static_cast<std::size_t>(r.k)] = 1;
      if (r.status == "ok") referenced.insert(r.shard);
    }
    if (!drop.empty() && own) {
      db.exec("BEGIN IMMEDIATE");
      Statement del(db, "DELETE FROM candidates WHERE k = ?");
      for (const std::int64_t k : drop) {
        del.reset();
        del.bind(1, k);
        (void)del.step();
      }
      db.exec("COMMIT");
    }
  }
  // Shard files that no trusted row refers to (renamed but never committed, or their rows dropped).
  for (const std::string& name : present) {
    if (referenced.count(name) == 0 && mine(name)) fs::remove(p.shards / name);
  }
  fsync_dir(p.shards);
  return done;
}

// This rank's candidates: generate, simulate, write in batches, commit ledger rows.
std::size_t work(const GenerateOptions& opt, const Paths& p, const io::Distribution& dist,
                 const std::vector<std::uint8_t>& done, int threads) {
  std::vector<std::size_t> todo;
  for (std::size_t k = static_cast<std::size_t>(dist.rank); k < opt.n; k += static_cast<std::size_t>(dist.size)) {
    if (done[k] == 0) todo.push_back(k);
  }
  Db db(p.ledger / ("rank-" + std::to_string(dist.rank) + ".sqlite"), true);
  if (todo.empty()) return 0;
  const std::string who = dist.size > 1 ? "generate[rank " + std::to_string(dist.rank) + "]" : "generate";
  Progress progress(who, static_cast<std::int64_t>(todo.size()), opt.progress);

  std::vector<Outcome> batch;
  auto batch_start = std::chrono::steady_clock::now();
  const auto flush = [&] {
    if (batch.empty()) return;
    std::vector<LedgerRow> rows;
    std::vector<const net::Sample*> ok;
    for (Outcome& o : batch) {
      if (o.sample) ok.push_back(&*o.sample);
    }
    if (!ok.empty()) {
      const std::string name =
          "batch-" + std::to_string(ok.front()->id) + "-" + std::to_string(ok.back()->id) + ".h5";
      io::ShardWriter w(p.shards / name);
      for (const net::Sample* s : ok) w.add(*s);
      w.close();  // fsync + rename
      fsync_dir(p.shards);
      std::int64_t pos = 0;
      for (Outcome& o : batch) {
        if (!o.sample) continue;
        o.row.shard = name;
        o.row.shard_pos = pos++;
      }
    }
    const double now = unix_now();
    for (Outcome& o : batch) {
      o.row.rank = dist.rank;
      o.row.finished_at = now;
      rows.push_back(std::move(o.row));
    }
    insert_rows(db, rows);  // only now do these candidates count as finished
    batch.clear();
  };

  Pool pool(threads, opt);
  const std::size_t cap = static_cast<std::size_t>(threads) * 2;
  std::size_t next = 0;
  while (next < todo.size() || pool.in_flight() > 0) {
    while (next < todo.size() && pool.in_flight() < cap) pool.submit(todo[next++]);
    batch.push_back(pool.next());
    progress.advance();
    if (batch.size() >= opt.batch_size || seconds_since(batch_start) >= opt.batch_seconds) {
      flush();
      batch_start = std::chrono::steady_clock::now();
    }
  }
  flush();
  return todo.size();
}

// Reads ok samples in k order for the export, keeping a few shard files open.
class BatchReaders {
 public:
  explicit BatchReaders(fs::path dir) : dir_(std::move(dir)) {}
  net::Sample read(const std::string& file, std::size_t pos) {
    auto it = open_.find(file);
    if (it == open_.end()) {
      if (open_.size() >= 32) open_.clear();
      it = open_.emplace(file, std::make_unique<io::ShardReader>(dir_ / file)).first;
    }
    return it->second->read(pos);
  }

 private:
  fs::path dir_;
  std::map<std::string, std::unique_ptr<io::ShardReader>> open_;
};

void export_gnnet(const GenerateOptions& opt, const Paths& p, const std::vector<LedgerRow>& rows) {
  const fs::path partial = p.results.parent_path() / ("." + p.results.filename().string() + ".partial");
  fs::remove_all(partial);
  BatchReaders readers(p.shards);
  std::vector<net::Sample> chunk;
  bool any = false;
  const auto flush = [&] {
    if (chunk.empty()) return;
    io::GnnetWriteOptions w;
    w.samples_per_file = chunk.size();
    w.tag = opt.dataset_name;
    io::write_gnnet_dataset(partial, chunk, w);
    chunk.clear();
    any = true;
  };
  for (const LedgerRow& r : rows) {
    if (r.status != "ok") continue;
    net::Sample s = readers.read(r.shard, static_cast<std::size_t>(r.shard_pos));
    if (s.id != r.k) {
      throw Error(p.shards.string() + "/" + r.shard + ": sample " + std::to_string(r.shard_pos) + " has id " +
                  std::to_string(s.id) + ", but the ledger says candidate " + std::to_string(r.k));
    }
    const bool joins = !chunk.empty() && chunk.size() < opt.samples_per_file && s.id == chunk.back().id + 1;
    if (!joins) flush();
    chunk.push_back(std::move(s));
  }
  flush();
  fs::remove_all(p.results);
  if (any) {
    fs::create_directories(p.results.parent_path());
    fs::rename(partial, p.results);
    fsync_dir(p.results.parent_path());
  }
}

}  // namespace

std::string candidate_id(std::size_t k) { return "cand-" + std::to_string(k); }

std::string input_hash(const net::Sample& s) {
  Fnv64 h;
  const auto& t = s.topology;
  h.i64(t.levels_tos);
  h.list(t.nodes, [&](const net::Node& n) {
    h.i64(static_cast<int>(n.policy));
    h.list(n.weights, [&](double w) { h.f64(w); });
    h.list(n.buffer_bits, [&](double b) { h.f64(b); });
    h.list(n.queue_tos, [&](const std::vector<int>& q) { h.list(q, [&](int x) { h.i64(x); }); });
  });
  h.list(t.links, [&](const net::Link& l) {
    h.i64(l.src);
    h.i64(l.dst);
    h.i64(l.port);
    h.f64(l.bandwidth_bps);
  });
  h.list(s.routing.paths, [&](const std::vector<int>& path) { h.list(path, [&](int x) { h.i64(x); }); });
  h.f64(s.traffic.max_avg_lambda);
  h.list(s.traffic.pairs, [&](const std::vector<net::Flow>& flows) {
    h.list(flows, [&](const net::Flow& f) {
      h.i64(static_cast<int>(f.time_dist));
      h.f64(f.eq_lambda_bps);
      h.list(f.time_params, [&](double x) { h.f64(x); });
      h.i64(static_cast<int>(f.size_dist));
      h.f64(f.avg_pkt_size_bits);
      h.list(f.size_params, [&](double x) { h.f64(x); });
      h.list(f.candidates, [&](const net::SizeProb& c) {
        h.f64(c.size_bits);
        h.f64(c.prob);
      });
      h.i64(f.tos);
    });
  });
  return hex16(h.value());
}

std::vector<LedgerRow> read_ledger(const fs::path& run_dir) {
  std::vector<LedgerRow> all;
  for (const fs::path& file : ledger_files(run_dir / "ledger")) {
    Db db(file, DbMode::reader);
    for (LedgerRow& r : read_rows(db)) all.push_back(std::move(r));
  }
  std::stable_sort(all.begin(), all.end(), [](const LedgerRow& a, const LedgerRow& b) { return a.k < b.k; });
  return all;
}

GenerateReport generate_job(const GenerateOptions& opt, const io::Distribution& dist) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.out.empty()) throw Error("generate: no run folder given");
  if (opt.n == 0) throw Error("generate: n must be > 0");
  if (!opt.make_sample) throw Error("generate: no sample generator (GenerateOptions::make_sample) given");
  if (opt.batch_size == 0) throw Error("generate: batch_size must be >= 1");
  if (opt.samples_per_file == 0) throw Error("generate: samples_per_file must be >= 1");
  if (opt.dataset_name.empty() || opt.dataset_name.find('/') != std::string::npos || opt.dataset_name[0] == '.') {
    throw Error("generate: dataset_name '" + opt.dataset_name + "': expected a plain folder name");
  }
  if (opt.sim.stop == sim::StopRule::FixedTime && !(opt.sim.sim_time_s > 0)) {
    throw Error("generate: sim_time must be > 0");
  }
  if (opt.shard_count < 1 || opt.shard_index < 0 || opt.shard_index >= opt.shard_count) {
    throw Error("generate: shard " + std::to_string(opt.shard_index) + "/" + std::to_string(opt.shard_count) +
                ": expected 0 <= index < count");
  }
  if (opt.shard_count > 1 && opt.force) {
    throw Error("generate: --force cannot be combined with --shard (it would discard the other shards' work); "
                "discard the run with a plain `autoopt generate ... --force` first, or use another folder");
  }
  Sharding sh;
  sh.on = opt.shard_count > 1;
  sh.count = static_cast<std::size_t>(dist.size);
  sh.total = static_cast<std::size_t>(opt.shard_count) * sh.count;
  sh.first = static_cast<std::size_t>(opt.shard_index) * sh.count;
  // The ranks of this invocation as global ranks: ledger file and candidates.
  const io::Distribution work_dist{static_cast<int>(sh.first) + dist.rank, static_cast<int>(sh.total), dist.comm};
  Paths p;
  p.run = opt.out;
  p.shards = p.run / "shards";
  p.ledger = p.run / "ledger";
  p.results = p.run / "results" / opt.dataset_name;
  p.run_file = p.run / kRunFile;

  GenerateReport rep;
  rep.n = opt.n;
  rep.threads = opt.threads > 0 ? opt.threads : default_threads(dist.comm);
  rep.shards_dir = p.shards;
  rep.ledger_dir = p.ledger;
  rep.results_dir = p.results;

  // ---- rank 0: identity, cleanup, what is already done ----
  std::vector<std::uint8_t> done;
  std::vector<std::uint8_t> flags(1, 0);
  on_rank0(dist, [&] {
    bool extended = false;
    done = prepare(opt, p, sh, extended);
    flags[0] = extended ? 1 : 0;
  });
  bcast(dist, done);
  bcast(dist, flags);
  rep.extended = flags[0] != 0;
  rep.previously_done = 0;
  for (std::size_t k = 0; k < done.size(); ++k) rep.previously_done += (done[k] != 0 && sh.owns(k)) ? 1 : 0;
  if (sh.on) {
    rep.n = 0;
    for (std::size_t k = 0; k < opt.n; ++k) rep.n += sh.owns(k) ? 1 : 0;
  }

  // ---- every rank: its candidates ----
  std::string my_error;
  std::uint64_t mine_done = 0;
  try {
    mine_done = work(opt, p, work_dist, done, rep.threads);
  } catch (const std::exception& e) {
    my_error = "generate[rank " + std::to_string(dist.rank) + "]: " + e.what();
  }
  agree(dist, my_error);
  std::uint64_t all_done = mine_done;
  if (dist.comm != MPI_COMM_NULL) MPI_Allreduce(&mine_done, &all_done, 1, MPI_UINT64_T, MPI_SUM, dist.comm);
  rep.done_now = all_done;

  // ---- rank 0: manifest, counts, GNNet export ----
  std::vector<std::uint64_t> counts(2, 0);
  // (sharded: no manifest or export, which the merging plain rerun writes; counts of this shard)
  on_rank0(dist, [&] {
    if (!sh.on) io::write_manifest(p.shards);
    const std::vector<LedgerRow> rows = read_ledger(p.run);
    for (const LedgerRow& r : rows) {
      if (!sh.on || (r.k >= 0 && sh.owns(static_cast<std::size_t>(r.k)))) ++counts[r.status == "ok" ? 0 : 1];
    }
    if (opt.export_gnnet && !sh.on) export_gnnet(opt, p, rows);
  });
  bcast(dist, counts);
  rep.ok = counts[0];
  rep.failed = counts[1];
  rep.seconds = seconds_since(t0);
  return rep;
}

}  // namespace autoopt::run
