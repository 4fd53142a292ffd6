#!/usr/bin/env bash
# The paper's Table IV analogue on the GNNet 2023 real testbed data: `autoopt optimize` keeps a
# fraction F of a pool (AutoOPT selection vs a random selection of the same size, both against the
# model trained on the whole pool), for F in 0.1 0.25 0.5, several seeds, on `mb` and `cbr_mb`.
# Pool = folds 0-1 (--pool-folds), validation = fold 2, test = fold 3 of each dataset (as HDF5).
# One optimize per dataset x seed runs every fraction (the all-pool model is trained once per seed).
# Prints one row per dataset and fraction: overall test delay MAPE (%) of AutoOPT, random and the
# whole pool, and the points AutoOPT and random lose against the whole pool, mean +- std over seeds
# (`autoopt report table4`), and writes <out>/table4.html with the plots against the fraction.
#
# usage: bench/bench_table4.sh [--build DIR] [--data DIR] [--out DIR] [--preset quick|paper]
#                              [--threads K] [--fractions "0.1 0.25 0.5"] [--datasets "mb cbr_mb"]
#                              [--rules FILE] [--np N] [--pool-folds "0 1"] [--val-lines N]
#                              [seed ...]                               (default seeds: 1 2 3)
# --pool-folds picks the pool's folds (default 0 1); --val-lines N keeps the first N scenarios of
# fold 2 for validation (default: all of it); the test set is always all of fold 3.
# Reruns resume: optimize skips the fractions it finished (f<F>/summary.txt) and reuses the all-pool
# model; a seed whose fractions are all done is not started again. --np N runs optimize under
# mpirun -np N (the pool's scoring shared among the ranks; same selection as one rank).
set -euo pipefail
cmdline="$*"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$root/build"
data="$root/../shared/data/gnnet2023-real"
out="$root/bench-table4-runs"
preset="quick"
threads="1"
fractions="0.1 0.25 0.5"
datasets="mb cbr_mb"
rules="$root/configs/expert_rules_gnnet2023.conf"
np=1
pool_folds="0 1"
val_lines=0
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
    --rules) rules="$2"; shift 2 ;;
    --np) np="$2"; shift 2 ;;
    --pool-folds) pool_folds="$2"; shift 2 ;;
    --val-lines) val_lines="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "bench_table4.sh: unknown option $1" >&2; exit 2 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3)
exe="$build/drivers/autoopt"
[[ -x "$exe" ]] || { echo "bench_table4.sh: $exe not found (build first, or --build DIR)" >&2; exit 2; }
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 AUTOOPT_CONFIGS="$root/configs"

[[ "$val_lines" =~ ^[0-9]+$ ]] || { echo "bench_table4.sh: --val-lines: expected a count, got '$val_lines'" >&2; exit 2; }
for f in $pool_folds; do
  [[ "$f" =~ ^[0-3]$ ]] || { echo "bench_table4.sh: --pool-folds: expected folds 0-3, got '$f'" >&2; exit 2; }
done

# HDF5 stores: <out>/stores/<dataset>/{pool,val,test}.h5store. A store records what it was made of
# (<store>.made-of); a store made of other folds or lines is rebuilt.
convert() {  # dataset part lines fold...   (lines 0: the whole folds)
  local ds="$1" part="$2" lines="$3"; shift 3
  local dst="$out/stores/$ds/$part.h5store" what="folds $* lines $lines"
  if [[ -f "$dst.made-of" && "$(cat "$dst.made-of")" == "$what" ]] &&
     [[ -f "$dst/manifest.json" || -f "$dst/manifest.txt" ]]; then
    return 0
  fi
  local src="$out/stores/$ds/$part.src"
  rm -rf "$src" "$dst" "$dst.made-of"; mkdir -p "$src/$ds"
  for f in "$@"; do
    if [[ "$lines" -gt 0 ]]; then
      (zcat "$data/$ds/fold$f.jsonl.gz" | head -n "$lines" || true) > "$src/$ds/fold$f.jsonl"
    else
      ln -s "$(cd "$data/$ds" && pwd)/fold$f.jsonl.gz" "$src/$ds/fold$f.jsonl.gz"
    fi
  done
  "$exe" convert --in "$src" --out "$dst" --quiet
  echo "$what" > "$dst.made-of"
}
for ds in $datasets; do
  [[ -d "$data/$ds" ]] || { echo "bench_table4.sh: $data/$ds not found (--data DIR)" >&2; exit 2; }
  convert "$ds" pool 0 $pool_folds
  convert "$ds" val "$val_lines" 2
  convert "$ds" test 0 3
done

folder() { printf 'f%g' "$1"; }   # the fraction's folder, as autoopt optimize names it
flist="$(echo $fractions | tr ' ' ',')"
launcher=()
[[ "$np" -gt 1 ]] && launcher=(mpirun --oversubscribe -np "$np")

results="$out/results.csv"
echo "dataset,fraction,seed,autoopt_delay_mape_pct,random_delay_mape_pct,all_pool_delay_mape_pct,autoopt_lost_points,random_lost_points,wall_s" > "$results"
value() {  # key file: a number of result.txt (a fraction) in percent, or nan
  [[ -f "$2" ]] || { echo nan; return; }
  awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { if (v == "" || v == "nan") print "nan"; else printf "%.6f\n", v * 100 }' "$2"
}
for ds in $datasets; do
  for s in "${seeds[@]}"; do
    run="$out/$ds/seed-$s"
    done_all=1
    for f in $fractions; do [[ -f "$run/$(folder "$f")/summary.txt" ]] || done_all=0; done
    if [[ $done_all -eq 0 ]]; then
      echo "== $ds seed $s (fractions $flist)"
      mkdir -p "$run"
      start=$(date +%s)
      if "${launcher[@]}" "$exe" optimize --pool "$out/stores/$ds/pool.h5store" --fraction "$flist" \
          --val "$out/stores/$ds/val.h5store" --test "$out/stores/$ds/test.h5store" \
          --out "$run" --preset "$preset" --rules "$rules" --seed "$s" --threads "$threads" --quiet \
          >> "$run.log" 2>&1; then
        echo "$(( $(date +%s) - start ))" > "$run.wall"
      else
        echo "   failed (see $run.log)"; tail -3 "$run.log"
      fi
    fi
    for f in $fractions; do
      r="$run/$(folder "$f")/result.txt"
      echo "$ds,$f,$s,$(value autoopt_delay_mape "$r"),$(value random_delay_mape "$r"),$(value all_pool_delay_mape "$r"),$(value delay_mape_lost "$r"),$(value random_delay_mape_lost "$r"),$(cat "$run.wall" 2>/dev/null || echo)" >> "$results"
    done
  done
done

# Table IV: mean +- std over seeds per dataset and fraction, "lost" = points against the all-pool model
# of the same seed; table4.html (with plots of the MAPE and the points lost against the fraction),
# table4_summary.csv and table4_runs.csv next to results.csv.
"$exe" report table4 "$results" --out "$out" --note "bench/bench_table4.sh $cmdline" | tee "$out/table4.txt"
echo "per-run figures -> $results"
