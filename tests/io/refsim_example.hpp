// The spec §10 worked example as a reference-simulator input folder (conf.yml, simulation.txt,
// graphs/ex.txt, routings/ex.txt, tm/ex_0.txt), for the refsim and simulate-job tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "io/temp_dir.hpp"  // TempDir, used with these files

namespace autoopt::testing {

inline std::map<std::string, std::string> refsim_example_files() {
  return {
      {"simulation.txt", "graphs/ex.txt,routings/ex.txt,tm/ex_0.txt\n"},
      {"conf.yml", "threads: 1\ndataset_name: ex\nsamples_per_file: 1\nrm_prev_results: n\n"},
      {"graphs/ex.txt",
       "graph [\n  levelsToS 3\n"
       "  node [\n    id 0\n    label \"0\"\n    schedulingPolicy \"FIFO\"\n    bufferSizes 32000\n  ]\n"
       "  node [\n    id 1\n    label \"1\"\n    schedulingPolicy \"SP\"\n    bufferSizes 16000\n  ]\n"
       "  node [\n    id 2\n    label \"2\"\n    schedulingPolicy \"WFQ\"\n    schedulingWeights \"60,30,10\"\n"
       "    bufferSizes 8000\n  ]\n"
       "  edge [\n    source 0\n    target 1\n    bandwidth 10000\n  ]\n"
       "  edge [\n    source 1\n    target 2\n    bandwidth 10000\n  ]\n"
       "]\n"},
      {"routings/ex.txt", "0,1\n0,1,2\n1,0\n1,2\n2,1,0\n2,1\n"},
      {"tm/ex_0.txt",
       "0,1,2000,0,0,500,0.5,1500,0.5,0\n"
       "0,2,1500,1,0,500,0.6,1000,0.2,1400,0.2,1\n"
       "1,0,900,2,10,5,0,500,0.5,1500,0.5,2\n"
       "1,2,3000,0,0,500,0.6,1000,0.2,1400,0.2,2\n"
       "2,0,600,0,0,500,0.5,1500,0.5,0\n"
       "2,1,1000,1,0,500,0.5,1500,0.5,1\n"},
  };
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  // Unlink first: rewriting a file in place by truncation makes ext4 flush it on close (slow).
  std::error_code ec;
  std::filesystem::remove(file, ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// Writes the files (relative name -> content) under dir.
inline void write_files(const std::filesystem::path& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [name, text] : files) write_text(dir / name, text);
}

}  // namespace autoopt::testing
