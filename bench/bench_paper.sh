#!/usr/bin/env bash
# The paper preset of `autoopt run` over several seeds, with the baselines (random, quickstart, oracle),
# then the tables of bench/paper_table.py (wall time per stage, the final model's per-size table,
# AutoOPT vs the baselines per seed and mean). Long: about 35-45 min per seed on 2 cores.
#
# usage: bench/bench_paper.sh [--build DIR] [--val DATA] [--test DATA] [--out DIR] [--np N]
#                             [--threads K] [--force] [seed ...]      (default seeds: 1 2 3)
# Reruns resume: a finished seed's run folder is skipped stage by stage.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$root/build"
val="$root/../shared/data/gnnet2022/validation"
test=""
out="$root/bench-paper-runs"
np=1
threads=""
force=""
seeds=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --val) val="$2"; shift 2 ;;
    --test) test="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --np) np="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --force) force="--force"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "bench_paper.sh: unknown option $1" >&2; exit 2 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3)
exe="$build/drivers/autoopt"
[[ -x "$exe" ]] || { echo "bench_paper.sh: $exe not found (build first, or --build DIR)" >&2; exit 2; }
[[ -d "$val" ]] || { echo "bench_paper.sh: validation set $val not found (--val DATA)" >&2; exit 2; }
mkdir -p "$out"
launcher=()
[[ "$np" -gt 1 ]] && launcher=(mpirun -np "$np")
runs=()
for s in "${seeds[@]}"; do
  run="$out/seed-$s"
  args=(run --preset paper --seed "$s" --val "$val" --out "$run" --quiet)
  [[ -n "$test" ]] && args+=(--test "$test")
  [[ -n "$threads" ]] && args+=(--threads "$threads")
  [[ -n "$force" ]] && args+=("$force")
  echo "== seed $s: ${launcher[*]} $exe ${args[*]}"
  start=$(date +%s)
  AUTOOPT_CONFIGS="$root/configs" "${launcher[@]}" "$exe" "${args[@]}" | tee "$out/seed-$s.log"
  echo "== seed $s: $(( $(date +%s) - start )) s wall"
  runs+=("$run")
done
python3 "$here/paper_table.py" "${runs[@]}" | tee "$out/tables.txt"
