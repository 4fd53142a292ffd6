// autoopt info, autoopt convert.
#include <cstdio>
#include <filesystem>
#include <map>

#include "args.hpp"
#include "commands.hpp"
#include "io/convert.hpp"
#include "io/gnnet2023.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"
#include "net/summary.hpp"
#include "net/validate.hpp"
#include "run/progress.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

std::vector<OptionSpec> size_options() {
  return {{"min-nodes", "only networks with at least this many nodes", false, "0"},
          {"max-nodes", "only networks with at most this many nodes", false, "1000000"}};
}

io::SizeFilter size_filter(const Args& a) {
  return {static_cast<int>(a.get_int("min-nodes", 0, 1000000)),
          static_cast<int>(a.get_int("max-nodes", 0, 1000000))};
}

// GNNet 2023 JSON lines (a .jsonl.gz / .jsonl file, or a folder of them that is not an HDF5 store).
bool is_jsonl_input(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(p, ec) && fs::exists(p / io::kManifestFileName, ec)) return false;
  return io::is_gnnet2023_path(p);
}

// Link-path samples and routed samples may share a store: each kind gets its summary and checks.
struct InfoTally {
  net::DatasetSummary routed;
  io::LinkPathSummary link_path;
  std::map<std::string, std::int64_t> per_tag;  // link-path scenarios per dataset tag (file)
  std::size_t invalid = 0;
  std::string first_problems;

  void add(std::size_t i, const net::Sample& s) {
    const bool lp = !s.link_paths.empty();
    if (lp) {
      link_path.add(s);
      ++per_tag[s.dataset_tag];
    } else {
      routed.add(s);
    }
    const auto problems = lp ? io::validate_link_path_sample(s) : net::validate(s);
    if (!problems.empty() && invalid++ == 0) {
      first_problems = "sample " + std::to_string(i) + " (id " + std::to_string(s.id) + ", " + s.graph_name +
                       "):\n" + net::format_problems(problems, 5);
    }
  }

  int print(const std::string& header) const {
    std::printf("%s\n", header.c_str());
    if (link_path.samples() == 0 || routed.samples() > 0) std::printf("%s", routed.to_text().c_str());
    if (link_path.samples() > 0) {
      std::printf("%s", link_path.to_text().c_str());
      std::printf("  scenarios per source file:\n");
      for (const auto& [tag, k] : per_tag) std::printf("    %-28s %lld\n", tag.c_str(), static_cast<long long>(k));
    }
    if (invalid > 0) {
      std::printf("invalid samples: %zu; the first:\n%s\n", invalid, first_problems.c_str());
      return 1;
    }
    std::printf("all samples pass validation\n");
    return 0;
  }
};

}  // namespace

int cmd_info(int argc, char** argv, const run::MpiSession& mpi) {
  auto specs = size_options();
  specs.push_back({"quiet", "no progress lines", true, ""});
  const Args a("info", specs, argc, argv, 2);
  if (a.help() || a.positional().size() != 1) {
    std::fputs(a.usage("PATH   (a GNNet folder, an HDF5 store folder, a .h5 shard, or GNNet 2023 .jsonl.gz "
                       "files: one or a folder of them)")
                   .c_str(),
               a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  if (mpi.rank() != 0) return 0;  // a summary is one rank's job
  const fs::path path = a.positional()[0];
  const io::SizeFilter filter = size_filter(a);
  InfoTally tally;
  if (is_jsonl_input(path)) {
    std::size_t kept = 0;
    io::for_each_gnnet2023_sample(path, [&](std::size_t, const net::Sample& s) {
      if (filter.accepts(s.num_nodes())) tally.add(kept++, s);
    });
    return tally.print(path.string() + " (GNNet 2023 JSON lines)");
  }
  const io::DatasetKind kind = io::detect_dataset(path);
  std::unique_ptr<run::Progress> progress;
  io::for_each_sample(
      path, filter, [&](std::size_t i, const net::Sample& s) {
        tally.add(i, s);
        if (progress) progress->advance();
      },
      [&](std::size_t total) {
        progress = std::make_unique<run::Progress>("info", static_cast<std::int64_t>(total), !a.flag("quiet"));
      });
  return tally.print(path.string() + (kind == io::DatasetKind::Gnnet ? " (GNNet)" : " (HDF5)"));
}

int cmd_convert(int argc, char** argv, const run::MpiSession& mpi) {
  auto specs = size_options();
  specs.push_back({"in", "input dataset (GNNet folder, HDF5 store, or GNNet 2023 .jsonl.gz file or folder)", false, ""});
  specs.push_back({"out", "output folder", false, ""});
  specs.push_back({"to", "output format: hdf5 or gnnet (default: the other one)", false, ""});
  specs.push_back({"quiet", "no progress lines", true, ""});
  const Args a("convert", specs, argc, argv, 2);
  if (a.help() || !a.positional().empty() || a.get("in").empty() || a.get("out").empty()) {
    std::fputs(a.usage("--in PATH --out PATH [--to hdf5|gnnet]").c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  const fs::path in = a.get("in"), out = a.get("out");
  const bool jsonl = is_jsonl_input(in);
  const io::DatasetKind from = jsonl ? io::DatasetKind::Gnnet : io::detect_dataset(in);
  std::string to = a.get("to");
  if (to.empty()) to = from == io::DatasetKind::Gnnet ? "hdf5" : "gnnet";
  if (to != "hdf5" && to != "gnnet") throw Error("autoopt convert: --to: expected hdf5 or gnnet, got '" + to + "'");
  const std::string who = mpi.size() > 1 ? "convert[rank " + std::to_string(mpi.rank()) + "]" : "convert";
  std::unique_ptr<run::Progress> progress;
  const auto on_progress = [&](std::size_t done, std::size_t total) {
    if (!progress) progress = std::make_unique<run::Progress>(who, static_cast<std::int64_t>(total), !a.flag("quiet"));
    progress->advance(static_cast<std::int64_t>(done) - progress->done());
  };
  if (jsonl) {
    if (to != "hdf5") throw Error("autoopt convert: " + in.string() + ": GNNet 2023 JSON lines convert to hdf5 only");
    const io::Distribution dist{mpi.rank(), mpi.size(), mpi.active() ? mpi.comm() : MPI_COMM_NULL};
    const auto r = io::gnnet2023_to_hdf5(in, out, size_filter(a), dist, on_progress);
    std::printf("%s%zu of %zu samples -> %s (HDF5, link-path samples) in %.2f s\n",
                mpi.size() > 1 ? (who + ": ").c_str() : "", r.samples, r.total, out.string().c_str(), r.seconds);
    return 0;
  }
  if (to == "hdf5") {
    if (from != io::DatasetKind::Gnnet) throw Error("autoopt convert: " + in.string() + " is already HDF5");
    const io::Distribution dist{mpi.rank(), mpi.size(), mpi.active() ? mpi.comm() : MPI_COMM_NULL};
    const auto r = io::gnnet_to_hdf5(in, out, size_filter(a), dist, on_progress);
    std::printf("%s%zu of %zu samples -> %s (HDF5) in %.2f s\n",
                mpi.size() > 1 ? (who + ": ").c_str() : "", r.samples, r.total, out.string().c_str(), r.seconds);
    return 0;
  }
  if (mpi.rank() != 0) return 0;  // the GNNet export is one rank's job
  const auto r = io::to_gnnet(in, out, size_filter(a), on_progress);
  std::printf("%zu samples -> %s (GNNet) in %.2f s\n", r.samples, out.string().c_str(), r.seconds);
  return 0;
}

}  // namespace autoopt::cli
