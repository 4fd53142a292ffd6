// For tests run under mpirun: a fresh temporary folder made by rank 0 (emptied first) whose path every
// rank of MPI_COMM_WORLD receives.
#pragma once

#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace autoopt::testing {

// <tmp>/autoopt-mpi-<tag>-<pid of rank 0>.
inline std::string broadcast_temp_dir(std::string_view tag) {
  namespace fs = std::filesystem;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string path;
  if (rank == 0) {
    path = (fs::temp_directory_path() /
            ("autoopt-mpi-" + std::string(tag) + "-" + std::to_string(::getpid())))
               .string();
    fs::remove_all(path);
    fs::create_directories(path);
  }
  int len = static_cast<int>(path.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
  path.resize(static_cast<std::size_t>(len));
  MPI_Bcast(path.data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
  return path;
}

}  // namespace autoopt::testing
