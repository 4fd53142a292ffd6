// Stage-1 generator against the quickstart baseline: runs the generate job (run::generate_job, in
// process) for our generator (built-in defaults or --config) and for the baseline preset
// (configs/quickstart.conf: the GNNet 2022 quickstart notebook's recipe) into DIR/ours and
// DIR/quickstart (resumable run folders: a rerun with the same options reuses them), prints the wall
// time of each pool (this invocation, and from the ledger: generation vs simulation seconds, the
// simulated window), then compares the scale-independent indicators of both pools with a reference
// dataset (default: the shared validation set, all sizes): per scale-free indicator W1/sd and KS of
// ours vs reference and quickstart vs reference, and a summary of which pool is closer. Writes the
// indicator reports to DIR/report-ours/ and DIR/report-quickstart/ (indicators.html, .csv, .json).
//
//   bench_generate [--n 500] [--max-nodes 10] [--threads 2] [--seed 1]
//                  [--sim-time T | --converged P] [--max-sim-time 5000] [--check-interval 25]
//                  [--out DIR] [--reference DIR] [--max-ref-samples K]
//                  [--config FILE] [--baseline-config configs/quickstart.conf] [--force] [--quiet]
//
// Run length: by default the converged stop rule (every path's mean delay with a 95 % confidence
// half-width <= 1 % of its mean, batches of --check-interval s, at least 10 batches), capped at
// --max-sim-time simulated seconds; --converged P sets that precision, --sim-time T a fixed window.
// --max-nodes applies to both pools. --max-ref-samples K reads at most K reference samples, spread
// evenly over the size folders (50/, 75/, ...; at least one each) when the reference has them.
// A plain main(), no Google Benchmark.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gen/config.hpp"
#include "gen/distance.hpp"
#include "gen/generator.hpp"
#include "gen/indicator_report.hpp"
#include "gen/indicators.hpp"
#include "io/convert.hpp"
#include "net/error.hpp"
#include "run/generate_job.hpp"

namespace {
namespace fs = std::filesystem;
using namespace autoopt;

struct Options {
  std::size_t n = 500;
  int max_nodes = 10;
  int threads = 2;
  std::uint64_t seed = 1;
  bool fixed = false;
  double sim_time = 1000.0;
  double rel_precision = 0.01;
  double max_sim_time = 5000.0;
  double check_interval = 25.0;
  fs::path out = "bench_generate_out";
  fs::path reference;
  std::size_t max_ref_samples = 0;
  fs::path config;  // ours; empty = built-in defaults
  fs::path baseline_config;
  bool force = false;
  bool quiet = false;
};

fs::path source_configs() { return fs::path(__FILE__).parent_path().parent_path() / "configs"; }

double number(const std::string& flag, const std::string& v, double min) {
  std::size_t used = 0;
  double d = 0.0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (v.empty() || used != v.size() || !std::isfinite(d) || d < min) {
    throw Error("bench_generate: " + flag + ": expected a number >= " + std::to_string(min) + ", got '" + v + "'");
  }
  return d;
}

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("AUTOOPT_SHARED");
  o.reference = fs::path(env != nullptr && *env != '\0' ? env : AUTOOPT_DEFAULT_SHARED_DIR) / "data/gnnet2022/validation";
  o.baseline_config = source_configs() / "quickstart.conf";
  bool sim_time_given = false, converged_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw Error("bench_generate: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--n") o.n = static_cast<std::size_t>(number(a, val(), 1));
    else if (a == "--max-nodes") o.max_nodes = static_cast<int>(number(a, val(), 2));
    else if (a == "--threads") o.threads = static_cast<int>(number(a, val(), 1));
    else if (a == "--seed") o.seed = static_cast<std::uint64_t>(number(a, val(), 0));
    else if (a == "--sim-time") { o.sim_time = number(a, val(), 1e-9); o.fixed = true; sim_time_given = true; }
    else if (a == "--converged") { o.rel_precision = number(a, val(), 1e-6); converged_given = true; }
    else if (a == "--max-sim-time") o.max_sim_time = number(a, val(), 1e-9);
    else if (a == "--check-interval") o.check_interval = number(a, val(), 1e-9);
    else if (a == "--out") o.out = val();
    else if (a == "--reference") o.reference = val();
    else if (a == "--max-ref-samples") o.max_ref_samples = static_cast<std::size_t>(number(a, val(), 0));
    else if (a == "--config") o.config = val();
    else if (a == "--baseline-config") o.baseline_config = val();
    else if (a == "--force") o.force = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--help" || a == "-h") {
      std::puts(
          "bench_generate [--n 500] [--max-nodes 10] [--threads 2] [--seed 1] [--sim-time T | --converged P]\n"
          "               [--max-sim-time 5000] [--check-interval 25] [--out DIR] [--reference DIR]\n"
          "               [--max-ref-samples K] [--config FILE] [--baseline-config configs/quickstart.conf]\n"
          "               [--force] [--quiet]");
      std::exit(0);
    } else {
      throw Error("bench_generate: unknown option '" + a + "' (--help lists them)");
    }
  }
  if (sim_time_given && converged_given) throw Error("bench_generate: give --sim-time or --converged, not both");
  return o;
}

// The generator config and its fingerprint (sorted key=value pairs of the file, then max_nodes).
gen::GeneratorConfig load(const fs::path& file, int max_nodes, std::string& fingerprint) {
  gen::GeneratorConfig cfg;
  fingerprint = "bench_generate generator\n";
  if (!file.empty()) {
    cfg = gen::load_generator_config(file);
    std::vector<std::string> pairs;
    const gen::ConfigFile parsed = gen::ConfigFile::load(file);  // named: entries() refers into it
    for (const auto& e : parsed.entries()) pairs.push_back(e.key + "=" + e.value);
    std::sort(pairs.begin(), pairs.end());
    for (const auto& p : pairs) fingerprint += p + "\n";
  } else {
    fingerprint += "built-in defaults\n";
  }
  cfg.max_nodes = max_nodes;
  fingerprint += "max_nodes=" + std::to_string(max_nodes) + "\n";
  return cfg;
}

struct PoolTiming {
  std::string name;
  run::GenerateReport report;
  std::size_t rows = 0, ok = 0, failed = 0, capped = 0;
  double gen_s = 0.0, sim_s = 0.0, sim_time = 0.0, max_window = 0.0;
  double mean_util = 0.0, lost = 0.0;
};

PoolTiming run_pool(const std::string& name, const gen::GeneratorConfig& cfg, const std::string& fingerprint,
                    const Options& o) {
  run::GenerateOptions g;
  g.n = o.n;
  g.out = o.out / name;
  g.seed = o.seed;
  g.threads = o.threads;
  g.progress = !o.quiet;
  g.generator_fingerprint = fingerprint;
  g.dataset_name = cfg.dataset_tag;
  g.export_gnnet = false;
  g.force = o.force;
  if (o.fixed) {
    g.sim.stop = sim::StopRule::FixedTime;
    g.sim.sim_time_s = o.sim_time;
  } else {
    g.sim.stop = sim::StopRule::Converged;
    g.sim.rel_precision = o.rel_precision;
    g.sim.check_interval_s = o.check_interval;
    g.sim.max_sim_time_s = o.max_sim_time;
  }
  g.make_sample = [cfg](std::uint64_t seed, const std::string& id) { return gen::generate_sample(cfg, seed, id); };
  if (!o.quiet) std::fprintf(stderr, "== %s: %zu candidates -> %s\n", name.c_str(), o.n, g.out.string().c_str());

  PoolTiming t;
  t.name = name;
  t.report = run::generate_job(g, io::Distribution{0, 1, MPI_COMM_NULL});
  for (const auto& r : run::read_ledger(g.out)) {
    ++t.rows;
    t.gen_s += r.gen_s;
    t.sim_s += r.sim_s;
    if (r.status != "ok") {
      ++t.failed;
      continue;
    }
    ++t.ok;
    t.sim_time += r.sim_time;
    t.max_window = std::max(t.max_window, r.sim_time);
    t.mean_util += r.mean_link_util;
    t.lost += r.lost_fraction;
    if (!o.fixed && r.sim_time >= o.max_sim_time * (1.0 - 1e-9)) ++t.capped;
  }
  if (t.ok > 0) {
    t.sim_time /= static_cast<double>(t.ok);
    t.mean_util /= static_cast<double>(t.ok);
    t.lost /= static_cast<double>(t.ok);
  }
  return t;
}

void print_timing(const PoolTiming& t, const Options& o) {
  const double per = t.rows ? 1.0 / static_cast<double>(t.rows) : 0.0;
  std::printf("%-10s %5zu ok %3zu failed | this run: %8.1f s wall (%zu done now, %zu reused), %d thread(s)\n",
              t.name.c_str(), t.ok, t.failed, t.report.seconds, t.report.done_now, t.report.previously_done,
              t.report.threads);
  std::printf("%-10s ledger: generation %8.3f s (%.4f s/cand), simulation %9.1f s (%.3f s/cand), "
              "worker total %.1f s = %.3f s/cand\n",
              "", t.gen_s, t.gen_s * per, t.sim_s, t.sim_s * per, t.gen_s + t.sim_s, (t.gen_s + t.sim_s) * per);
  std::printf("%-10s window: mean %.0f s simulated, max %.0f s", "", t.sim_time, t.max_window);
  if (!o.fixed) std::printf(", %zu of %zu at the %.0f s cap", t.capped, t.ok, o.max_sim_time);
  std::printf(" | mean link util %.3f, lost %.4f\n", t.mean_util, t.lost);
}

// Indicators of the reference; with a sample limit and size folders, the limit is spread over them.
gen::IndicatorSet reference_indicators(const Options& o) {
  std::vector<fs::path> sizes;
  if (o.max_ref_samples > 0 && fs::is_directory(o.reference)) {
    for (const auto& e : fs::directory_iterator(o.reference)) {
      const std::string s = e.path().filename().string();
      if (e.is_directory() && !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        sizes.push_back(e.path());
      }
    }
    std::sort(sizes.begin(), sizes.end(),
              [](const fs::path& a, const fs::path& b) { return std::stoi(a.filename().string()) < std::stoi(b.filename().string()); });
  }
  if (sizes.empty()) {
    gen::CollectOptions c;
    c.max_samples = o.max_ref_samples;
    return gen::collect_indicators(o.reference, c);
  }
  gen::IndicatorSet all;
  const std::size_t per = std::max<std::size_t>(1, (o.max_ref_samples + sizes.size() - 1) / sizes.size());
  for (const auto& d : sizes) {
    gen::CollectOptions c;
    c.max_samples = per;
    all.merge(gen::collect_indicators(d, c));
  }
  return all;
}

std::string fmt(double v, const char* spec = "%.3f") {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

int bench_main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  fs::create_directories(o.out);
  std::string fp_ours, fp_base;
  const gen::GeneratorConfig ours = load(o.config, o.max_nodes, fp_ours);
  const gen::GeneratorConfig base = load(o.baseline_config, o.max_nodes, fp_base);

  std::printf("bench_generate: n %zu, max_nodes %d, %d thread(s), seed %llu, ", o.n, o.max_nodes, o.threads,
              static_cast<unsigned long long>(o.seed));
  if (o.fixed) std::printf("fixed window %.0f s\n", o.sim_time);
  else std::printf("converged stop: rel precision %.3g, check %.0f s, cap %.0f s\n", o.rel_precision, o.check_interval, o.max_sim_time);
  std::printf("ours: %s | baseline: %s\nreference: %s%s\n\n", o.config.empty() ? "built-in defaults" : o.config.c_str(),
              o.baseline_config.c_str(), o.reference.c_str(),
              o.max_ref_samples ? (" (at most " + std::to_string(o.max_ref_samples) + " samples)").c_str() : "");
  std::fflush(stdout);

  const PoolTiming t_ours = run_pool("ours", ours, fp_ours, o);
  const PoolTiming t_base = run_pool("quickstart", base, fp_base, o);
  std::puts("---- wall time per pool ----");
  print_timing(t_ours, o);
  print_timing(t_base, o);
  std::fflush(stdout);

  const auto t0 = std::chrono::steady_clock::now();
  gen::IndicatorSet ind_ours = gen::collect_indicators(o.out / "ours" / "shards");
  gen::IndicatorSet ind_base = gen::collect_indicators(o.out / "quickstart" / "shards");
  gen::IndicatorSet ind_ref = reference_indicators(o);
  for (gen::IndicatorSet* s : {&ind_ours, &ind_base, &ind_ref}) s->sort_values();
  const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\nindicators read in %.1f s: ours %zu samples (%s), quickstart %zu (%s), reference %zu (%s)\n\n",
              read_s, ind_ours.samples(), ind_ours.size_label().c_str(), ind_base.samples(),
              ind_base.size_label().c_str(), ind_ref.samples(), ind_ref.size_label().c_str());

  const auto t1 = std::chrono::steady_clock::now();
  const gen::DistanceTable d_ours = gen::compare_indicators(ind_ours, ind_ref);
  const gen::DistanceTable d_base = gen::compare_indicators(ind_base, ind_ref);
  const double compare_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("%-18s | %9s %9s %9s | %9s %9s | %9s %9s | %s\n", "indicator", "med ref", "med ours", "med qs",
              "W1/sd ours", "W1/sd qs", "KS ours", "KS qs", "closer");
  double ks_ours = 0.0, ks_base = 0.0, w_ours = 0.0, w_base = 0.0;
  std::size_t count = 0, ours_closer = 0, w_count = 0;
  for (std::size_t i = 0; i < d_ours.rows.size(); ++i) {
    const auto& a = d_ours.rows[i];
    const auto& b = d_base.rows[i];
    const auto& info = gen::indicator_info(a.id);
    if (!info.scale_free) continue;
    const bool both = a.comparable && b.comparable;
    const char* closer = !both ? "-" : a.ks < b.ks ? "ours" : a.ks > b.ks ? "quickstart" : "tie";
    std::printf("%-18s | %9s %9s %9s | %10s %9s | %9s %9s | %s\n", std::string(info.name).c_str(),
                fmt(a.reference.median, "%.4g").c_str(), fmt(a.candidates.median, "%.4g").c_str(),
                fmt(b.candidates.median, "%.4g").c_str(), fmt(a.wasserstein_scaled).c_str(),
                fmt(b.wasserstein_scaled).c_str(), fmt(a.ks).c_str(), fmt(b.ks).c_str(), closer);
    if (!both) continue;
    ++count;
    ks_ours += a.ks;
    ks_base += b.ks;
    ours_closer += a.ks < b.ks ? 1 : 0;
    if (std::isfinite(a.wasserstein_scaled) && std::isfinite(b.wasserstein_scaled)) {
      ++w_count;
      w_ours += a.wasserstein_scaled;
      w_base += b.wasserstein_scaled;
    }
  }
  if (count > 0) {
    ks_ours /= static_cast<double>(count);
    ks_base /= static_cast<double>(count);
    if (w_count) {
      w_ours /= static_cast<double>(w_count);
      w_base /= static_cast<double>(w_count);
    }
    std::printf("\nsummary: mean KS over %zu scale-free indicators: ours %.3f, quickstart %.3f; mean W1/sd: ours %.3f, "
                "quickstart %.3f; ours closer on %zu of %zu -> %s is closer to the reference\n",
                count, ks_ours, ks_base, w_ours, w_base, ours_closer, count,
                ks_ours < ks_base ? "ours" : ks_ours > ks_base ? "quickstart" : "neither");
  } else {
    std::puts("\nsummary: no comparable scale-free indicator");
  }

  const auto t2 = std::chrono::steady_clock::now();
  const std::string ref_label = "reference (" + ind_ref.size_label() + ")";
  const auto r1 = gen::write_indicator_report(o.out / "report-ours", ind_ours, &ind_ref,
                                              {"Ours vs reference", "ours (" + ind_ours.size_label() + ")", ref_label});
  const auto r2 = gen::write_indicator_report(
      o.out / "report-quickstart", ind_base, &ind_ref,
      {"Quickstart baseline vs reference", "quickstart (" + ind_base.size_label() + ")", ref_label});
  const double report_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  std::printf("distances computed in %.1f s; reports written in %.1f s:\n  %s\n  %s\n", compare_s, report_s,
              r1.html.c_str(), r2.html.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
