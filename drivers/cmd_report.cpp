// autoopt report:
//   `autoopt report indicators RUN [--reference DIR] [--out DIR] [--max-samples N]` computes the
//   scale-independent indicators of a run's samples (and of a reference dataset), prints the
//   per-indicator distance table and writes indicators.html/.csv/.json;
//   `autoopt report table4 RESULTS.csv [--out DIR] [--note TEXT] [--goal P]` turns `autoopt optimize`
//   results of several datasets, fractions and seeds (bench/bench_table4.sh's results.csv, or the
//   table4_runs.csv files optimize writes) into Table IV: text, table4.html with plots, CSV.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "args.hpp"
#include "commands.hpp"
#include "gen/indicator_report.hpp"
#include "gen/indicators.hpp"
#include "io/archive.hpp"
#include "io/convert.hpp"
#include "net/error.hpp"
#include "opt/fraction_report.hpp"
#include "run/progress.hpp"

namespace autoopt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kReportUsage =
    "usage: autoopt report indicators RUN [--reference DIR] [--out DIR] [--max-samples N] [--quiet]\n"
    "       autoopt report table4 RESULTS.csv [RESULTS.csv ...] [--out DIR] [--note TEXT] [--goal POINTS]\n"
    "\n"
    "indicators:\n"
    "  RUN  a run folder of `autoopt generate` (its shards/ HDF5 store is read) or any dataset\n"
    "       (GNNet folder, HDF5 store folder or .h5 shard)\n"
    "Prints the per-indicator distances to the reference and writes indicators.html, .csv and .json\n"
    "to RUN/report/ (or --out).\n"
    "\n"
    "table4:\n"
    "  RESULTS.csv  `autoopt optimize` results: bench/bench_table4.sh's results.csv or optimize's\n"
    "               OUT/table4_runs.csv (columns dataset, fraction, seed, autoopt_delay_mape_pct,\n"
    "               random_delay_mape_pct, all_pool_delay_mape_pct; several files are merged)\n"
    "Prints Table IV (mean +- std over seeds, points lost against the whole pool) and writes\n"
    "table4.html (table and plots of the MAPE and the points lost against the fraction),\n"
    "table4_summary.csv and table4_runs.csv to --out (default: the first file's folder).\n";

// The dataset a RUN argument names: RUN/shards for a run folder, otherwise RUN itself.
fs::path dataset_of(const fs::path& run) {
  if (!fs::exists(run)) throw Error(run.string() + ": no such file or folder");
  if (fs::is_directory(run / "shards")) return run / "shards";
  return run;
}

// The last meaningful component of a path ("validation/50/" -> "50").
std::string short_name(const fs::path& p) {
  const fs::path norm = p.lexically_normal();
  std::string name = norm.filename().string();
  if (name.empty()) name = norm.parent_path().filename().string();
  return name.empty() ? p.string() : name;
}

gen::IndicatorSet read_set(const fs::path& dataset, const std::string& label, std::size_t max_samples, bool quiet) {
  std::unique_ptr<run::Progress> progress;
  gen::CollectOptions opt;
  opt.max_samples = max_samples;
  opt.progress = [&](std::size_t done, std::size_t total) {
    if (!progress) progress = std::make_unique<run::Progress>(label, static_cast<std::int64_t>(total), !quiet);
    progress->advance(static_cast<std::int64_t>(done) - progress->done());
  };
  return gen::collect_indicators(dataset, opt);
}

int report_indicators(int argc, char** argv) {
  std::optional<Args> parsed;
  try {
    parsed.emplace("report indicators",
                   std::vector<OptionSpec>{
                       {"reference", "reference dataset (GNNet folder or HDF5 store) to compare with", false, ""},
                       {"out", "output folder (default: RUN/report)", false, ""},
                       {"max-samples", "read at most this many samples of each dataset (0 = all)", false, "0"},
                       {"quiet", "no progress lines", true, ""}},
                   argc, argv, 3);
    if (!parsed->help()) (void)parsed->get_int("max-samples", 0, 1'000'000'000);  // a bad number: usage error
  } catch (const Error& e) {
    std::fprintf(stderr, "autoopt: error: %s\n", e.what());
    return 2;
  }
  const Args& a = *parsed;
  if (a.help() || a.positional().size() != 1) {
    std::fputs(a.usage("RUN [--reference DIR] [--out DIR] [--max-samples N]").c_str(), a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  const fs::path run_path = a.positional()[0];
  fs::path dataset, reference;
  const auto max_samples = static_cast<std::size_t>(a.get_int("max-samples", 0, 1'000'000'000));
  try {
    dataset = dataset_of(run_path);
    (void)io::detect_dataset(dataset);
    if (a.given("reference")) {
      reference = a.get("reference");
      (void)io::detect_dataset(reference);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "autoopt report indicators: %s\n", e.what());
    return 2;
  }
  fs::path out = a.get("out");
  if (out.empty()) out = (fs::is_directory(run_path) ? run_path : run_path.parent_path()) / "report";
  {
    std::error_code ec;  // fail before the (long) reading if the report cannot be written
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) {
      std::fprintf(stderr, "autoopt report indicators: cannot create the output folder %s: %s\n",
                   out.string().c_str(), ec ? ec.message().c_str() : "a file is in the way");
      return 2;
    }
  }

  const bool quiet = a.flag("quiet");
  gen::ReportLabels labels;
  gen::IndicatorSet cand = read_set(dataset, "indicators " + short_name(run_path), max_samples, quiet);
  cand.sort_values();  // once here, instead of again in every table and plot
  labels.candidates = short_name(run_path) + " (" + cand.size_label() + ")";
  std::optional<gen::IndicatorSet> ref;
  if (!reference.empty()) {
    ref = read_set(reference, "indicators " + short_name(reference), max_samples, quiet);
    ref->sort_values();
    labels.reference = short_name(reference) + " (" + ref->size_label() + ")";
    if (labels.reference == labels.candidates) {
      labels.candidates += " [candidates]";
      labels.reference += " [reference]";
    }
  }
  if (cand.samples() == 0) {
    std::fprintf(stderr, "autoopt report indicators: %s holds no samples\n", dataset.string().c_str());
    return 2;
  }
  labels.title = "Scale-independent indicators: " + labels.candidates +
                 (ref ? " vs " + labels.reference : std::string());
  const gen::IndicatorSet* ref_ptr = ref ? &*ref : nullptr;

  std::printf("candidates: %s (%s): %zu samples, %zu paths without delivered packets\n", dataset.string().c_str(),
              cand.size_label().c_str(), cand.samples(), cand.undelivered_paths());
  if (ref) {
    std::printf("reference:  %s (%s): %zu samples, %zu paths without delivered packets\n",
                reference.string().c_str(), ref->size_label().c_str(), ref->samples(), ref->undelivered_paths());
  }
  std::fputs(gen::indicator_report_text(cand, ref_ptr).c_str(), stdout);
  const gen::ReportFiles files = gen::write_indicator_report(out, cand, ref_ptr, labels);
  std::printf("wrote %s\nwrote %s\nwrote %s\n", files.html.string().c_str(), files.csv.string().c_str(),
              files.json.string().c_str());
  return 0;
}

int report_table4(int argc, char** argv) {
  std::optional<Args> parsed;
  double goal = 4.0;
  try {
    parsed.emplace("report table4",
                   std::vector<OptionSpec>{
                       {"out", "output folder (default: the folder of the first RESULTS.csv)", false, ""},
                       {"note", "a line under the title (e.g. the command that made the runs)", false, ""},
                       {"goal", "points lost drawn as the goal line (0: none)", false, "4"}},
                   argc, argv, 3);
    if (!parsed->help()) goal = parsed->get_double("goal", 0.0, 1e6);
  } catch (const Error& e) {
    std::fprintf(stderr, "autoopt: error: %s\n", e.what());
    return 2;
  }
  const Args& a = *parsed;
  if (a.help() || a.positional().empty()) {
    std::fputs(a.usage("RESULTS.csv [RESULTS.csv ...] [--out DIR] [--note TEXT] [--goal POINTS]").c_str(),
               a.help() ? stdout : stderr);
    return a.help() ? 0 : 2;
  }
  std::vector<opt::FractionRun> runs;
  try {
    for (const std::string& file : a.positional()) {
      if (!fs::is_regular_file(file)) throw Error(file + ": no such file");
      std::vector<opt::FractionRun> more = opt::parse_fraction_runs(io::read_file(file), file);
      for (auto& r : more) {
        for (const auto& have : runs) {
          if (have.dataset == r.dataset && have.fraction == r.fraction && have.seed == r.seed) {
            char f[32];
            std::snprintf(f, sizeof f, "%g", r.fraction);
            throw Error(file + ": dataset " + r.dataset + ", fraction " + f + ", seed " + std::to_string(r.seed) +
                        " is also in an earlier file");
          }
        }
        runs.push_back(std::move(r));
      }
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "autoopt report table4: %s\n", e.what());
    return 2;
  }
  fs::path out = a.get("out");
  if (out.empty()) out = fs::path(a.positional()[0]).parent_path();
  if (out.empty()) out = ".";
  opt::FractionReportOptions options;
  options.note = a.get("note");
  options.goal_lost_points = goal;
  std::fputs(opt::fraction_summary_text(opt::summarize_fraction_runs(runs)).c_str(), stdout);
  std::printf("(overall test delay MAPE in %%, mean +- std over seeds; lost = points against the all-pool model "
              "of the same seed; AO<rnd = seeds where AutoOPT beat random)\n");
  const fs::path html = opt::write_fraction_report(out, runs, options);
  std::printf("wrote %s\n", html.string().c_str());
  return 0;
}

}  // namespace

int cmd_report(int argc, char** argv, const run::MpiSession& mpi) {
  const std::string_view what = argc >= 3 ? std::string_view(argv[2]) : std::string_view();
  if (what == "--help" || what == "-h") {
    std::fputs(kReportUsage, stdout);
    return 0;
  }
  if (what == "table4") {
    if (mpi.rank() != 0) return 0;
    return report_table4(argc, argv);
  }
  if (what != "indicators") {
    std::fprintf(stderr, "%s%s", what.empty() ? "" : ("autoopt report: unknown report '" + std::string(what) + "'\n\n").c_str(),
                 kReportUsage);
    return 2;
  }
  if (mpi.rank() != 0) return 0;  // a report is one rank's job
  return report_indicators(argc, argv);
}

}  // namespace autoopt::cli
