// MPI for the drivers: initialised only when the process was started by an MPI launcher (mpirun,
// mpiexec, srun with PMI/PMIx), so a plain `autoopt ...` runs as a single rank without touching MPI.
// RAII: MPI_Finalize when the session ends. Work is shared among ranks round-robin by index.
#pragma once

#include <mpi.h>

#include <cstddef>

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

}  // namespace autoopt::run
