#include "run/mpi.hpp"

#include <cstdlib>
#include <exception>

#include "net/error.hpp"

namespace autoopt::run {

bool launched_by_mpi() noexcept {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(v) != nullptr) return true;
  }
  return false;
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int already = 0;
  MPI_Initialized(&already);
  if (!already && !launched_by_mpi()) return;
  if (!already) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    initialised_here_ = true;
  }
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (initialised_here_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
}

void MpiSession::barrier() const {
  if (active_) MPI_Barrier(MPI_COMM_WORLD);
}

std::string broadcast_text(const io::Distribution& dist, std::string text, int root) {
  if (dist.comm == MPI_COMM_NULL) return text;
  int len = static_cast<int>(text.size());
  MPI_Bcast(&len, 1, MPI_INT, root, dist.comm);
  text.resize(static_cast<std::size_t>(len));
  if (len > 0) MPI_Bcast(text.data(), len, MPI_CHAR, root, dist.comm);
  return text;
}

int first_failed_rank(const io::Distribution& dist, bool failed) {
  const int mine = failed ? dist.rank : dist.size;
  int first = mine;
  if (dist.comm != MPI_COMM_NULL) MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, dist.comm);
  return first;
}

void on_rank0(const io::Distribution& dist, const std::function<void()>& fn) {
  std::string err;
  if (dist.rank == 0) {
    try {
      fn();
    } catch (const std::exception& e) {
      err = e.what();
      if (err.empty()) err = "rank 0 failed";
    }
  }
  err = broadcast_text(dist, std::move(err), 0);
  if (!err.empty()) throw Error(err);
}

}  // namespace autoopt::run
