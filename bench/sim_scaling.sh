#!/usr/bin/env bash
# 1 -> 2 MPI rank scaling of `autoopt simulate` (one simulation thread per rank).
#
# Runs `autoopt simulate --threads 1` on a GNNet dataset under `mpirun -np 1`, then `-np 2`, each into
# its own temporary folder, checks that the two GNNet exports (results/) are byte-identical
# (diff -r: the results must not depend on the number of ranks), and prints a side-by-side table:
# ranks, samples, wall s (mpirun, end to end), job s (autoopt's own timer), samples/s, speed-up and
# efficiency (speed-up / ranks), both from the wall time.
#
# Usage (from the repository root, after building the `autoopt` target):
#   bench/sim_scaling.sh [--build DIR] [--data DIR] [--sim-time S] [--archives N]
#                        [--min-nodes N] [--max-nodes N] [--seed N] [--keep]
#   --build DIR      build folder holding drivers/autoopt (default ./build)
#   --data DIR       GNNet dataset (default ${AUTOOPT_SHARED:-../shared}/data/gnnet2022/validation/50)
#   --sim-time S     simulated seconds per sample (default 100: the whole script then takes about
#                    a minute on 2 idle cores for the 14 samples of validation/50)
#   --archives N     only the first N results archives of DATA (name order, the dataset's own order),
#                    through a temporary folder of symbolic links; DATA must then be one dataset root
#                    (graphs/, routings/, results_*.tar.gz). 0 (default): all.
#   --min-nodes N, --max-nodes N   passed to `autoopt simulate` (its size filter; for a DATA with
#                    several network sizes, e.g. .../validation)
#   --seed N         global seed (default 1)
#   --keep           keep the temporary folder (its path is printed)
# Exit status: 0, or 1 when a run fails or the two exports differ.
set -euo pipefail

build=./build
data="${AUTOOPT_SHARED:-../shared}/data/gnnet2022/validation/50"
sim_time=100
archives=0
min_nodes=0
max_nodes=1000000
seed=1
keep=0

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "sim_scaling.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="${2:?--build needs a folder}"; shift 2 ;;
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --sim-time) sim_time="${2:?--sim-time needs seconds}"; shift 2 ;;
    --archives) archives="${2:?--archives needs a count}"; shift 2 ;;
    --min-nodes) min_nodes="${2:?--min-nodes needs a count}"; shift 2 ;;
    --max-nodes) max_nodes="${2:?--max-nodes needs a count}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

[[ "$archives" =~ ^[0-9]+$ ]] || die "--archives: expected a count >= 0, got '$archives'"
exe="$build/drivers/autoopt"
[[ -x "$exe" ]] || die "$exe: not found or not executable (build the autoopt target, or pass --build DIR)"
[[ -d "$data" ]] || die "--data $data: no such folder"
command -v mpirun >/dev/null || die "mpirun not found"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sim_scaling.XXXXXX")"
if [[ "$keep" -eq 1 ]]; then
  echo "keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi

# The dataset, or a view of its first N archives.
input="$data"
if [[ "$archives" -gt 0 ]]; then
  [[ -d "$data/graphs" && -d "$data/routings" ]] ||
    die "--archives needs --data to be one dataset root (graphs/, routings/, results_*.tar.gz): $data"
  input="$tmp/input"
  mkdir -p "$input"
  abs="$(cd "$data" && pwd)"
  ln -s "$abs/graphs" "$input/graphs"
  ln -s "$abs/routings" "$input/routings"
  [[ -d "$abs/links_bw" ]] && ln -s "$abs/links_bw" "$input/links_bw"
  mapfile -t all < <(cd "$abs" && LC_ALL=C ls -1 -- results_*.tar.gz 2>/dev/null | LC_ALL=C sort)
  [[ ${#all[@]} -gt 0 ]] || die "$data: no results_*.tar.gz archives"
  for a in "${all[@]:0:archives}"; do ln -s "$abs/$a" "$input/$a"; done
fi

declare -A wall job samples
for np in 1 2; do
  out="$tmp/np$np"
  log="$tmp/np$np.log"
  t0=$(date +%s.%N)
  if ! mpirun --allow-run-as-root --oversubscribe -np "$np" "$exe" simulate --in "$input" --out "$out" \
      --threads 1 --sim-time "$sim_time" --seed "$seed" --min-nodes "$min_nodes" --max-nodes "$max_nodes" \
      --quiet >"$log" 2>&1; then
    cat "$log" >&2
    die "the $np-rank run failed (log above)"
  fi
  t1=$(date +%s.%N)
  wall[$np]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  # "<total> samples: <ok> ok, <failed> failed, <skipped> skipped; R rank(s) x T thread(s); S s"
  line="$(grep -E '^[0-9]+ samples: [0-9]+ ok' "$log" | head -n 1 || true)"
  [[ -n "$line" ]] || { cat "$log" >&2; die "no summary line in the $np-rank output"; }
  samples[$np]=$(sed -E 's/^[0-9]+ samples: ([0-9]+) ok.*/\1/' <<<"$line")
  job[$np]=$(sed -E 's/.*; ([0-9.]+) s$/\1/' <<<"$line")
  [[ "${samples[$np]}" -gt 0 ]] || die "the $np-rank run simulated no sample"
done

[[ "${samples[1]}" == "${samples[2]}" ]] || die "sample counts differ: ${samples[1]} (1 rank) vs ${samples[2]} (2 ranks)"
if ! diff -r "$tmp/np1/results" "$tmp/np2/results" >"$tmp/diff.txt" 2>&1; then
  head -n 20 "$tmp/diff.txt" >&2
  die "the GNNet exports of 1 and 2 ranks differ"
fi

echo "autoopt simulate, --threads 1 per rank, --sim-time $sim_time, data $input"
echo "GNNet exports of 1 and 2 ranks: byte-identical (diff -r)"
printf '%5s %8s %9s %8s %10s %9s %11s\n' ranks samples "wall s" "job s" samples/s speed-up efficiency
for np in 1 2; do
  awk -v np="$np" -v n="${samples[$np]}" -v w="${wall[$np]}" -v j="${job[$np]}" -v w1="${wall[1]}" 'BEGIN {
    printf "%5d %8d %9.2f %8.2f %10.3f %8.2fx %10.0f%%\n", np, n, w, j, n / w, w1 / w, 100 * w1 / w / np }'
done
