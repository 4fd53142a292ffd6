#!/usr/bin/env bash
# The paper's Table IV analogue on the GNNet 2023 real testbed data: `autoopt optimize` keeps a
# fraction F of a pool (AutoOPT selection vs a random selection of the same size, both against the
# model trained on the whole pool), for F in 0.1 0.25 0.5, several seeds, on `mb` and `cbr_mb`.
# Pool = folds 0-1, validation = fold 2, test = fold 3 of each dataset (converted to HDF5 first).
# Prints one row per dataset and fraction: overall test delay MAPE (%) of AutoOPT, random and the
# whole pool, mean +- std over the seeds. Long (one optimize per dataset x fraction x seed).
#
# usage: bench/bench_table4.sh [--build DIR] [--data DIR] [--out DIR] [--preset quick|paper]
#                              [--threads K] [--fractions "0.1 0.25 0.5"] [--datasets "mb cbr_mb"]
#                              [seed ...]                               (default seeds: 1 2 3)
# Reruns resume: an optimize folder with models/*/table.csv for all three methods is not redone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$root/build"
data="$root/../shared/data/gnnet2023-real"
out="$root/bench-table4-runs"
preset="quick"
threads="1"
fractions="0.1 0.25 0.5"
datasets="mb cbr_mb"
seeds=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --preset) preset="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --fractions) fractions="$2"; shift 2 ;;
    --datasets) datasets="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "bench_table4.sh: unknown option $1" >&2; exit 2 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3)
exe="$build/drivers/autoopt"
[[ -x "$exe" ]] || { echo "bench_table4.sh: $exe not found (build first, or --build DIR)" >&2; exit 2; }
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 AUTOOPT_CONFIGS="$root/configs"

# HDF5 stores: <out>/stores/<dataset>/{pool,val,test}.h5store (pool = folds 0 and 1).
convert() {  # dataset part fold...
  local ds="$1" part="$2"; shift 2
  local dst="$out/stores/$ds/$part.h5store"
  [[ -f "$dst/manifest.json" || -f "$dst/manifest.txt" ]] && return 0
  local src="$out/stores/$ds/$part.src"
  rm -rf "$src" "$dst"; mkdir -p "$src/$ds"
  for f in "$@"; do ln -s "$(cd "$data/$ds" && pwd)/fold$f.jsonl.gz" "$src/$ds/fold$f.jsonl.gz"; done
  "$exe" convert --in "$src" --out "$dst" --quiet
}
for ds in $datasets; do
  [[ -d "$data/$ds" ]] || { echo "bench_table4.sh: $data/$ds not found (--data DIR)" >&2; exit 2; }
  convert "$ds" pool 0 1
  convert "$ds" val 2
  convert "$ds" test 3
done

overall() {  # the overall delay MAPE (%) of a table.csv, or "nan"
  [[ -f "$1" ]] || { echo nan; return; }
  awk -F, '$1 == "all" { print $6 }' "$1"
}
results="$out/results.csv"
echo "dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,all_pool_delay_mape_pct,wall_s" > "$results"
for ds in $datasets; do
  for f in $fractions; do
    for s in "${seeds[@]}"; do
      run="$out/$ds/f$f/seed-$s"
      if ! [[ -f "$run/models/autoopt/table.csv" && -f "$run/models/random/table.csv" && \
              -f "$run/models/all-pool/table.csv" ]]; then
        echo "== $ds F=$f seed $s"
        start=$(date +%s)
        "$exe" optimize --pool "$out/stores/$ds/pool.h5store" --fraction "$f" \
          --val "$out/stores/$ds/val.h5store" --test "$out/stores/$ds/test.h5store" \
          --out "$run" --preset "$preset" --seed "$s" --threads "$threads" --quiet > "$run.log" 2>&1 ||
          { echo "   failed (see $run.log)"; tail -3 "$run.log"; continue; }
        echo "$(( $(date +%s) - start ))" > "$run.wall"
      fi
      echo "$ds,$f,$s,$(overall "$run/models/autoopt/table.csv"),$(overall "$run/models/random/table.csv"),$(overall "$run/models/all-pool/table.csv"),$(cat "$run.wall" 2>/dev/null || echo)" >> "$results"
    done
  done
done

# Table: mean +- std over seeds per dataset and fraction.
awk -F, 'NR > 1 && $4 != "nan" && $4 != "" {
  k = $1 " " $2; n[k]++; order[k] = k
  for (i = 4; i <= 6; i++) { s[k, i] += $i; q[k, i] += $i * $i }
}
END {
  printf "%-8s %8s %6s %18s %18s %18s\n", "dataset", "fraction", "seeds", "AutoOPT MAPE %", "random MAPE %", "all pool MAPE %"
  for (k in order) {
    split(k, a, " "); line = sprintf("%-8s %8s %6d", a[1], a[2], n[k])
    for (i = 4; i <= 6; i++) {
      m = s[k, i] / n[k]; v = q[k, i] / n[k] - m * m; if (v < 0) v = 0
      line = line sprintf(" %11.2f +- %4.2f", m, sqrt(v))
    }
    print line | "sort"
  }
}' "$results" | tee "$out/table4.txt"
echo "per-run figures -> $results"
