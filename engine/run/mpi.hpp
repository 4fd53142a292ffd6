// MPI for the drivers: initialised only when the process was started by an MPI launcher (mpirun,
// mpiexec, srun with PMI/PMIx), so a plain `autoopt ...` runs as a single rank without touching MPI.
// RAII: MPI_Finalize when the session ends. Work is shared among ranks round-robin by index.
// Also the error agreement the jobs use over an io::Distribution (no MPI calls without a communicator).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <functional>
#include <string>

#include "io/convert.hpp"

namespace autoopt::run {

class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);  // MPI_Init (thread level FUNNELED) if launched by MPI
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  [[nodiscard]] bool active() const noexcept { return active_; }
  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] MPI_Comm comm() const noexcept { return MPI_COMM_WORLD; }
  // This process's place for the jobs: rank and size, and MPI_COMM_WORLD only when MPI is active.
  [[nodiscard]] io::Distribution distribution() const noexcept {
    return io::Distribution{rank_, size_, active_ ? MPI_COMM_WORLD : MPI_COMM_NULL};
  }
  // Whether item `index` of a round-robin distribution belongs to this rank.
  [[nodiscard]] bool owns(std::size_t index) const noexcept {
    return static_cast<int>(index % static_cast<std::size_t>(size_)) == rank_;
  }
  void barrier() const;

 private:
  bool active_ = false;
  bool initialised_here_ = false;
  int rank_ = 0;
  int size_ = 1;
};

// True when the environment shows an MPI launcher (OpenMPI, MPICH/PMI, PMIx, srun).
[[nodiscard]] bool launched_by_mpi() noexcept;

// The collective calls below are made only when dist.comm is not MPI_COMM_NULL; then every rank of
// it must call them.

// Rank `root`'s `text`, on every rank.
[[nodiscard]] std::string broadcast_text(const io::Distribution& dist, std::string text, int root);

// The lowest rank for which `failed` is true, or dist.size when there is none.
[[nodiscard]] int first_failed_rank(const io::Distribution& dist, bool failed);

// Runs `fn` on rank 0 only; if it throws, every rank throws an autoopt::Error with its message
// ("rank 0 failed" when the message is empty).
void on_rank0(const io::Distribution& dist, const std::function<void()>& fn);

}  // namespace autoopt::run
