// Stage-2 scoring, embedding and exact influence shared among MPI ranks (see pool_service.hpp).
#include "pipeline/pool_service.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "io/archive.hpp"
#include "net/error.hpp"

namespace autoopt::pipeline {
namespace fs = std::filesystem;

namespace {

enum Command : long long { kStop = 0, kModel = 1, kLosses = 2, kEmbed = 3, kInfluence = 4 };
constexpr const char* kModelFiles[] = {"weights.pt", "config.txt", "normalizer.txt"};

// Waits for a non-blocking collective without spinning a core (the serving ranks idle here while
// rank 0 trains).
void wait_idle(MPI_Request& req) {
  int done = 0;
  while (true) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Little byte writer/reader for the requests (same machine representation on every rank).
void put_u64(std::string& s, std::uint64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_f64(std::string& s, double v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_ids(std::string& s, std::span<const std::size_t> ids) {
  put_u64(s, ids.size());
  for (const std::size_t i : ids) put_u64(s, i);
}

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  template <class T>
  T get() {
    if (pos_ + sizeof(T) > s_.size()) throw Error("pool service: truncated message");
    T v;
    std::memcpy(&v, s_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string bytes(std::size_t n) {
    if (pos_ + n > s_.size()) throw Error("pool service: truncated message");
    std::string out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::vector<std::size_t> ids() {
    const auto n = get<std::uint64_t>();
    std::vector<std::size_t> out(static_cast<std::size_t>(n));
    for (auto& i : out) i = static_cast<std::size_t>(get<std::uint64_t>());
    return out;
  }
  [[nodiscard]] bool done() const { return pos_ == s_.size(); }

 private:
  const std::string& s_;
  std::size_t pos_ = 0;
};

// The blocks of `n` ids this rank scores: b = rank, rank + size, ...
std::vector<std::size_t> my_blocks(std::size_t n, int rank, int size) {
  std::vector<std::size_t> out;
  const std::size_t blocks = (n + PoolService::kBlock - 1) / PoolService::kBlock;
  for (std::size_t b = static_cast<std::size_t>(rank); b < blocks; b += static_cast<std::size_t>(size)) out.push_back(b);
  return out;
}

}  // namespace

struct PoolService::State {
  fs::path dir;                              // this rank's folder for the received checkpoint
  std::optional<model::Trainer> trainer;     // the model loaded back from the bytes
  std::optional<model::RouteNetFilter> influence_filter;  // for exact influence retrainings
};

PoolService::PoolService(const io::Distribution& dist, std::span<const net::Sample> pool,
                         std::span<const net::Sample> val, model::FilterModelOptions filter)
    : dist_(dist), pool_(pool), val_(val), filter_(std::move(filter)), state_(std::make_unique<State>()) {
  if (dist_.comm == MPI_COMM_NULL) dist_.size = 1;
  state_->dir = fs::temp_directory_path() /
                ("autoopt-pool-service-" + std::to_string(::getpid()) + "-" + std::to_string(dist_.rank));
}

PoolService::~PoolService() {
  std::error_code ec;
  fs::remove_all(state_->dir, ec);
}

std::string PoolService::gather(const std::string& mine) {
  if (dist_.size <= 1) return mine;
  long long len = static_cast<long long>(mine.size());
  std::vector<long long> lens(static_cast<std::size_t>(dist_.size), 0);
  MPI_Request req;
  MPI_Igather(&len, 1, MPI_LONG_LONG, lens.data(), 1, MPI_LONG_LONG, 0, dist_.comm, &req);
  wait_idle(req);
  std::vector<int> counts(lens.size()), displs(lens.size());
  std::string all;
  if (dist_.rank == 0) {
    long long total = 0;
    for (std::size_t r = 0; r < lens.size(); ++r) {
      counts[r] = static_cast<int>(lens[r]);
      displs[r] = static_cast<int>(total);
      total += lens[r];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Igatherv(mine.data(), static_cast<int>(len), MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, 0,
               dist_.comm, &req);
  wait_idle(req);
  if (dist_.rank != 0) return {};
  // Rank 0 gets "<u64 len><reply>" per rank, so that the replies can be told apart.
  std::string framed;
  for (std::size_t r = 0; r < lens.size(); ++r) {
    put_u64(framed, static_cast<std::uint64_t>(lens[r]));
    framed.append(all, static_cast<std::size_t>(displs[r]), static_cast<std::size_t>(lens[r]));
  }
  return framed;
}

// One request on this rank: the reply is '0' + payload, or '1' + an error message.
std::string PoolService::handle(int command, const std::string& payload) {
  try {
    Reader in(payload);
    std::string out = "0";
    if (command == kModel) {
      fs::remove_all(state_->dir);
      fs::create_directories(state_->dir);
      for (const char* f : kModelFiles) {
        const auto n = in.get<std::uint64_t>();
        io::write_file_atomic(state_->dir / f, in.bytes(static_cast<std::size_t>(n)));
      }
      state_->trainer.emplace(model::Trainer::load(state_->dir));
      if (filter_.fit.device != model::ComputeDevice::cpu) state_->trainer->set_device(filter_.fit.device);
      return out;
    }
    if (command == kLosses || command == kEmbed) {
      if (!state_->trainer) throw Error("no model set");
      const std::vector<std::size_t> ids = in.ids();
      std::vector<net::Sample> block;
      for (const std::size_t b : my_blocks(ids.size(), dist_.rank, dist_.size)) {
        block.clear();
        for (std::size_t i = b * kBlock; i < std::min(ids.size(), (b + 1) * kBlock); ++i) block.push_back(pool_[ids[i]]);
        if (command == kLosses) {
          for (const double v : state_->trainer->per_sample_loss(block)) put_f64(out, v);
        } else {
          const std::vector<float> e = model::embed_pool(*state_->trainer, block);
          out.append(reinterpret_cast<const char*>(e.data()), e.size() * sizeof(float));
        }
      }
      return out;
    }
    if (command == kInfluence) {
      const std::vector<std::size_t> train = in.ids();
      const std::vector<std::size_t> cands = in.ids();
      const double baseline = in.get<double>();
      if (!state_->influence_filter) state_->influence_filter.emplace(pool_, val_, std::span<const net::Sample>{}, filter_);
      for (std::size_t i = static_cast<std::size_t>(dist_.rank); i < cands.size(); i += static_cast<std::size_t>(dist_.size)) {
        std::vector<std::size_t> with = train;
        with.push_back(cands[i]);
        state_->influence_filter->train(with);
        put_f64(out, state_->influence_filter->validation_mape() - baseline);
      }
      return out;
    }
    throw Error("unknown request " + std::to_string(command));
  } catch (const std::exception& e) {
    return std::string("1") + e.what();
  }
}

std::string PoolService::request(int command, const std::string& payload) {
  if (dist_.rank != 0) throw Error("PoolService: requests are made by rank 0");
  if (stopped_) throw Error("PoolService: request after stop()");
  if (dist_.size > 1) {
    // Non-blocking on every side: the serving ranks wait in MPI_Ibcast (which a blocking MPI_Bcast
    // would not match).
    long long header[2] = {command, static_cast<long long>(payload.size())};
    MPI_Request req;
    MPI_Ibcast(header, 2, MPI_LONG_LONG, 0, dist_.comm, &req);
    wait_idle(req);
    std::string copy = payload;
    if (!copy.empty()) {
      MPI_Ibcast(copy.data(), static_cast<int>(copy.size()), MPI_CHAR, 0, dist_.comm, &req);
      wait_idle(req);
    }
  }
  const std::string mine = handle(command, payload);
  std::string framed = gather(mine);
  if (dist_.size <= 1) {
    framed.clear();
    put_u64(framed, mine.size());
    framed += mine;
  }
  // Check every rank's status; return the payloads as "<u64 len><payload>" per rank.
  Reader in(framed);
  std::string out;
  for (int r = 0; r < dist_.size; ++r) {
    const std::string reply = in.bytes(static_cast<std::size_t>(in.get<std::uint64_t>()));
    if (reply.empty() || reply[0] != '0') {
      throw Error("pool service: rank " + std::to_string(r) + ": " + (reply.empty() ? "no reply" : reply.substr(1)));
    }
    put_u64(out, reply.size() - 1);
    out.append(reply, 1);
  }
  return out;
}

void PoolService::serve() {
  if (dist_.rank == 0 || dist_.size <= 1) return;
  while (true) {
    long long header[2] = {0, 0};
    MPI_Request req;
    MPI_Ibcast(header, 2, MPI_LONG_LONG, 0, dist_.comm, &req);
    wait_idle(req);
    if (header[0] == kStop) return;
    std::string payload(static_cast<std::size_t>(header[1]), '\0');
    if (header[1] > 0) {
      MPI_Ibcast(payload.data(), static_cast<int>(header[1]), MPI_CHAR, 0, dist_.comm, &req);
      wait_idle(req);
    }
    (void)gather(handle(static_cast<int>(header[0]), payload));
  }
}

void PoolService::stop() {
  if (stopped_ || dist_.rank != 0) return;
  stopped_ = true;
  if (dist_.size > 1) {
    long long header[2] = {kStop, 0};
    MPI_Request req;
    MPI_Ibcast(header, 2, MPI_LONG_LONG, 0, dist_.comm, &req);
    wait_idle(req);
  }
}

void PoolService::set_model(const model::Trainer& trainer) {
  const fs::path tmp = state_->dir.string() + "-out";
  trainer.save(tmp);
  std::string payload;
  for (const char* f : kModelFiles) {
    const std::string bytes = io::read_file(tmp / f);
    put_u64(payload, bytes.size());
    payload += bytes;
  }
  fs::remove_all(tmp);
  (void)request(kModel, payload);
}

std::vector<double> PoolService::losses(std::span<const std::size_t> ids) {
  for (const std::size_t i : ids) {
    if (i >= pool_.size()) throw Error("pool service: id " + std::to_string(i) + " outside the pool of " + std::to_string(pool_.size()));
  }
  std::string payload;
  put_ids(payload, ids);
  const std::string replies = request(kLosses, payload);
  // Rank r's reply holds its blocks' losses in block order; put them back in index order.
  std::vector<double> out(ids.size(), 0.0);
  Reader in(replies);
  for (int r = 0; r < dist_.size; ++r) {
    const std::string reply = in.bytes(static_cast<std::size_t>(in.get<std::uint64_t>()));
    Reader rr(reply);
    for (const std::size_t b : my_blocks(ids.size(), r, dist_.size)) {
      for (std::size_t i = b * kBlock; i < std::min(ids.size(), (b + 1) * kBlock); ++i) out[i] = rr.get<double>();
    }
    if (!rr.done()) throw Error("pool service: rank " + std::to_string(r) + " sent more losses than asked for");
  }
  return out;
}

std::vector<float> PoolService::embed(std::span<const std::size_t> ids, std::size_t& dim) {
  for (const std::size_t i : ids) {
    if (i >= pool_.size()) throw Error("pool service: id " + std::to_string(i) + " outside the pool of " + std::to_string(pool_.size()));
  }
  std::string payload;
  put_ids(payload, ids);
  const std::string replies = request(kEmbed, payload);
  std::vector<std::string> parts;
  Reader in(replies);
  std::size_t total = 0;
  for (int r = 0; r < dist_.size; ++r) {
    parts.push_back(in.bytes(static_cast<std::size_t>(in.get<std::uint64_t>())));
    total += parts.back().size();
  }
  if (ids.empty() || total % (ids.size() * sizeof(float)) != 0) {
    throw Error("pool service: embeddings of " + std::to_string(ids.size()) + " samples: " + std::to_string(total) +
                " bytes");
  }
  dim = total / (ids.size() * sizeof(float));
  std::vector<float> out(ids.size() * dim);
  for (int r = 0; r < dist_.size; ++r) {
    std::size_t at = 0;
    for (const std::size_t b : my_blocks(ids.size(), r, dist_.size)) {
      for (std::size_t i = b * kBlock; i < std::min(ids.size(), (b + 1) * kBlock); ++i) {
        std::memcpy(out.data() + i * dim, parts[static_cast<std::size_t>(r)].data() + at, dim * sizeof(float));
        at += dim * sizeof(float);
      }
    }
  }
  return out;
}

std::vector<double> PoolService::exact_influences(std::span<const std::size_t> train_ids,
                                                  std::span<const std::size_t> candidates, double baseline_mape) {
  std::string payload;
  put_ids(payload, train_ids);
  put_ids(payload, candidates);
  put_f64(payload, baseline_mape);
  const std::string replies = request(kInfluence, payload);
  std::vector<double> out(candidates.size(), 0.0);
  Reader in(replies);
  for (int r = 0; r < dist_.size; ++r) {
    const std::string reply = in.bytes(static_cast<std::size_t>(in.get<std::uint64_t>()));
    Reader rr(reply);
    for (std::size_t i = static_cast<std::size_t>(r); i < candidates.size(); i += static_cast<std::size_t>(dist_.size)) {
      out[i] = rr.get<double>();
    }
  }
  return out;
}

std::string run_with_pool_service(const io::Distribution& dist, std::span<const net::Sample> pool,
                                  std::span<const net::Sample> val, const model::FilterModelOptions& filter,
                                  const std::function<std::string(PoolService&)>& fn) {
  PoolService service(dist, pool, val, filter);
  const bool multi = dist.comm != MPI_COMM_NULL && dist.size > 1;
  if (!multi) return fn(service);
  std::string result;
  long long header[2] = {0, 0};
  if (dist.rank == 0) {
    try {
      result = fn(service);
    } catch (const std::exception& e) {
      result = e.what();
      header[0] = 1;
    }
    service.stop();
    header[1] = static_cast<long long>(result.size());
  } else {
    service.serve();
  }
  MPI_Bcast(header, 2, MPI_LONG_LONG, 0, dist.comm);
  result.resize(static_cast<std::size_t>(header[1]));
  if (header[1] > 0) MPI_Bcast(result.data(), static_cast<int>(header[1]), MPI_CHAR, 0, dist.comm);
  if (header[0] != 0) throw Error(dist.rank == 0 ? result : "rank 0 failed: " + result);
  return result;
}

// ---- SharedFilter --------------------------------------------------------------------------------

void SharedFilter::train(std::span<const std::size_t> train_ids) {
  inner_.train(train_ids);
  service_.set_model(inner_.trainer());
}

std::vector<double> SharedFilter::per_sample_loss(std::span<const std::size_t> ids) { return service_.losses(ids); }

std::vector<double> SharedFilter::exact_influences(std::span<const std::size_t> train_ids,
                                                   std::span<const std::size_t> candidates, double baseline_mape) {
  return service_.exact_influences(train_ids, candidates, baseline_mape);
}

}  // namespace autoopt::pipeline
