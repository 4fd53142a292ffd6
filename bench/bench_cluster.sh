#!/usr/bin/env bash
# Cluster figures of `autoopt generate` (Stage 1: generation + simulation) on this machine:
#   - throughput with 1 and 2 MPI ranks (--ranks; one worker thread per rank): samples/s, speed-up
#     and parallel efficiency (speed-up / ranks) from the wall time of mpirun, end to end;
#   - peak memory per rank (max RSS from /usr/bin/time -v around each rank) and the CPU seconds of
#     all ranks (user + system), whose samples per CPU second do not depend on other load;
#   - the GNNet exports of every rank count compared byte for byte (they must not depend on ranks);
#   - kill-and-rerun: a 2-rank run (one ledger commit per candidate, --batch 1) is SIGKILLed once
#     --kill-after candidates are committed, then the same command is rerun: no committed candidate
#     may be redone (ledger rows and their finished_at unchanged), every candidate once, no temporary
#     file left, PRAGMA integrity_check ok, and the export equal to the uninterrupted run's.
#   - optional: inference throughput of `autoopt predict` on 1 and 2 ranks (--model M --data D; a
#     libtorch build of autoopt).
# Prints a table. Exit status 1 when a run fails or a check does not hold.
#
# Usage (from the repository root):
#   bench/bench_cluster.sh [--bin EXE | --build DIR] [--n N] [--max-nodes M] [--sim-time S]
#                          [--seed S] [--ranks 1,2] [--kill-after K] [--work DIR] [--keep]
#                          [--model M --data D]
#   --bin EXE / --build DIR   the autoopt executable (default ./build/drivers/autoopt)
#   --n N              candidates per run (default 24)
#   --max-nodes M      largest network (default 10)
#   --sim-time S       simulated seconds per candidate (default 3000: about a minute in all on 2 idle cores)
#   --ranks LIST       rank counts to time (default 1,2; the first is the speed-up baseline)
#   --kill-after K     kill the 2-rank run after K committed candidates (default n/3)
#   --work DIR         where the temporary runs go (default $TMPDIR or /tmp)
#   --keep             keep the runs (the folder is printed)
#   --model M --data D also time `autoopt predict --model M --data D` on the same rank counts
# slurm/bench.sbatch runs this as a Slurm job.
set -euo pipefail

exe=./build/drivers/autoopt
n=24
max_nodes=10
sim_time=3000
seed=1
ranks_list=1,2
kill_after=0
work="${TMPDIR:-/tmp}"
keep=0
model=""
data=""

usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench_cluster.sh: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) exe="${2:?}"; shift 2 ;;
    --build) exe="${2:?}/drivers/autoopt"; shift 2 ;;
    --n) n="${2:?}"; shift 2 ;;
    --max-nodes) max_nodes="${2:?}"; shift 2 ;;
    --sim-time) sim_time="${2:?}"; shift 2 ;;
    --seed) seed="${2:?}"; shift 2 ;;
    --ranks) ranks_list="${2:?}"; shift 2 ;;
    --kill-after) kill_after="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --model) model="${2:?}"; shift 2 ;;
    --data) data="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--n: expected a count >= 1, got '$n'"
[[ -x "$exe" ]] || die "$exe: not found or not executable (--bin EXE or --build DIR)"
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"
command -v mpirun >/dev/null || die "mpirun not found"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian package 'time')"
command -v python3 >/dev/null || die "python3 not found (reads the SQLite ledgers)"
[[ "$kill_after" -gt 0 ]] || kill_after=$(( n / 3 > 0 ? n / 3 : 1 ))
[[ -z "$model" || -n "$data" ]] || die "--model needs --data"
IFS=, read -r -a ranks <<<"$ranks_list"

mkdir -p "$work"
tmp="$(mktemp -d "$work/bench_cluster.XXXXXX")"
child=""
cleanup() {
  [[ -n "$child" ]] && kill -KILL -- "-$child" 2>/dev/null || true
  if [[ $keep -eq 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

mpi=(mpirun --oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
gen_args=(generate --n "$n" --max-nodes "$max_nodes" --seed "$seed" --sim-time "$sim_time" --threads 1 --quiet)

# Wraps one rank in /usr/bin/time -v, its report in $1/time-<rank>.txt.
cat >"$tmp/timed.sh" <<'EOF'
#!/bin/sh
dir="$1"; shift
exec /usr/bin/time -v -o "$dir/time-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}.txt" "$@"
EOF
chmod +x "$tmp/timed.sh"

now() { date +%s.%N; }
# Peak RSS (MB) over the ranks' time reports in $1.
peak_mb() { awk -F: '/Maximum resident set size/ { v = $2 + 0; if (v > m) m = v } END { printf "%.1f", m / 1024 }' "$1"/time-*.txt; }
# CPU seconds (user + system) summed over the ranks' time reports in $1.
cpu_s() { awk -F: '/(User|System) time \(seconds\)/ { c += $2 } END { printf "%.2f", c }' "$1"/time-*.txt; }
# The largest per-rank CPU seconds in $1: the critical path when every rank has its own idle core.
max_rank_cpu_s() {
  local f m=0 c
  for f in "$1"/time-*.txt; do
    c=$(awk -F: '/(User|System) time \(seconds\)/ { c += $2 } END { printf "%.2f", c }' "$f")
    m=$(awk -v a="$m" -v b="$c" 'BEGIN { print (b > a ? b : a) }')
  done
  echo "$m"
}

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"  # ledger_rows

declare -A wall samples mem cpu maxcpu
for r in "${ranks[@]}"; do
  out="$tmp/gen-np$r"
  mkdir -p "$out.time"
  t0=$(now)
  "${mpi[@]}" -np "$r" "$tmp/timed.sh" "$out.time" "$exe" "${gen_args[@]}" --out "$out" >"$out.log" 2>&1 ||
    { cat "$out.log" >&2; die "the $r-rank generate failed"; }
  t1=$(now)
  wall[$r]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  samples[$r]=$(sed -nE 's/^([0-9]+) candidates: ([0-9]+) ok.*/\2/p' "$out.log" | head -n 1)
  [[ -n "${samples[$r]}" ]] || { cat "$out.log" >&2; die "no summary line in the $r-rank output"; }
  mem[$r]=$(peak_mb "$out.time")
  cpu[$r]=$(cpu_s "$out.time")
  maxcpu[$r]=$(max_rank_cpu_s "$out.time")
  if [[ "$r" != "${ranks[0]}" ]]; then
    diff -r "$tmp/gen-np${ranks[0]}/results" "$out/results" >/dev/null ||
      die "the GNNet exports of ${ranks[0]} and $r ranks differ"
  fi
done

# Optional inference throughput.
declare -A pwall
if [[ -n "$model" ]]; then
  psamples=$("$exe" info "$data" 2>/dev/null | sed -nE 's/^samples:? *([0-9]+).*/\1/p' | head -n 1 || true)
  for r in "${ranks[@]}"; do
    t0=$(now)
    "${mpi[@]}" -np "$r" "$exe" predict --model "$model" --data "$data" --out "$tmp/pred-np$r.csv" \
      >"$tmp/pred-np$r.log" 2>&1 || { cat "$tmp/pred-np$r.log" >&2; die "the $r-rank predict failed"; }
    t1=$(now)
    pwall[$r]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  done
fi

# Kill-and-rerun on 2 ranks.
kr="$tmp/kill"
kill_cmd=("${mpi[@]}" -np 2 "$exe" "${gen_args[@]}" --batch 1 --out "$kr")
setsid "${kill_cmd[@]}" >"$tmp/kill-1.log" 2>&1 &
child=$!
deadline=$(( $(date +%s) + 600 ))
while :; do
  kill -0 "$child" 2>/dev/null || { cat "$tmp/kill-1.log" >&2; die "the run to kill ended before $kill_after commits"; }
  [[ $(date +%s) -lt $deadline ]] || die "no $kill_after commits in 600 s"
  c=$(ledger_rows "$kr" 2>/dev/null | wc -l || echo 0)
  [[ "$c" -ge "$kill_after" ]] && break
  sleep 0.05
done
kill -KILL -- "-$child" 2>/dev/null || true
wait "$child" 2>/dev/null || true
child=""
before="$(ledger_rows "$kr")"
nb=$(wc -l <<<"$before")
[[ "$nb" -lt "$n" ]] || die "the 2-rank run committed all $n candidates before the kill took effect: use a larger --n or --sim-time"
tmpfiles=$(find "$kr/shards" -name '*.tmp*' | wc -l)
t0=$(now)
"${kill_cmd[@]}" >"$tmp/kill-2.log" 2>&1 || { cat "$tmp/kill-2.log" >&2; die "the rerun after the kill failed"; }
t1=$(now)
rerun_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
summary="$(grep -E '^[0-9]+ candidates: ' "$tmp/kill-2.log" | head -n 1)"
done_now=$(sed -E 's/.*; ([0-9]+) done now, ([0-9]+) done before.*/\1/' <<<"$summary")
done_before=$(sed -E 's/.*; ([0-9]+) done now, ([0-9]+) done before.*/\2/' <<<"$summary")
after="$(ledger_rows "$kr")"
changed=0
while read -r line; do grep -qxF "$line" <<<"$after" || changed=$(( changed + 1 )); done <<<"$before"
rows_after=$(wc -l <<<"$after")
unique_after=$(awk '{ print $1 }' <<<"$after" | sort -u | wc -l)
left_tmp=$(find "$kr/shards" -name '*.tmp*' | wc -l)
same=no
diff -r "$tmp/gen-np${ranks[0]}/results" "$kr/results" >/dev/null 2>&1 && same=yes

echo "autoopt generate: n=$n candidates of <= $max_nodes nodes, --sim-time $sim_time, 1 worker thread per rank"
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%5s %8s %9s %10s %9s %11s %14s %10s %13s\n' ranks samples "wall s" samples/s speed-up efficiency "peak MB/rank" "CPU s" "samples/CPU s"
for r in "${ranks[@]}"; do
  awk -v r="$r" -v s="${samples[$r]}" -v w="${wall[$r]}" -v w1="${wall[${ranks[0]}]}" -v r1="${ranks[0]}" -v m="${mem[$r]}" \
      -v c="${cpu[$r]}" 'BEGIN {
    sp = w1 / w; printf "%5d %8d %9.2f %10.3f %8.2fx %10.0f%% %14s %10.2f %13.3f\n", r, s, w, s / w, sp, 100 * sp * r1 / r, m, c, (c > 0 ? s / c : 0) }'
done
echo "(wall-time speed-up and efficiency need idle cores; CPU s = user + system over the ranks, from /usr/bin/time -v)"
echo "CPU-bound scaling (each rank on its own idle core: speed-up = CPU s of ${ranks[0]} rank(s) / largest rank's CPU s):"
for r in "${ranks[@]}"; do
  awk -v r="$r" -v c1="${cpu[${ranks[0]}]}" -v r1="${ranks[0]}" -v m="${maxcpu[$r]}" 'BEGIN {
    sp = (m > 0 ? c1 / m : 0); printf "  %d rank(s): largest rank %.2f CPU s, speed-up %.2fx, efficiency %.0f%%\n", r, m, sp, 100 * sp * r1 / r }'
done
echo "GNNet exports of all rank counts: byte-identical"
if [[ -n "$model" ]]; then
  echo "autoopt predict on $data (${psamples:-?} samples):"
  for r in "${ranks[@]}"; do
    awk -v r="$r" -v w="${pwall[$r]}" -v w1="${pwall[${ranks[0]}]}" -v s="${psamples:-0}" 'BEGIN {
      printf "  %d rank(s): %.2f s wall, %.3f samples/s, speed-up %.2fx\n", r, w, (s > 0 ? s / w : 0), w1 / w }'
  done
fi
echo "kill-and-rerun (2 ranks, --batch 1): SIGKILL after $nb of $n candidates committed ($tmpfiles temporary file(s) left by the kill)"
echo "  rerun: $done_before done before, $done_now done now, ${rerun_s} s; rows after: $rows_after ($unique_after distinct k)"
echo "  committed rows changed or redone: $changed; temporary files left: $left_tmp; ledgers: integrity_check ok; export = uninterrupted run's: $same"
[[ $changed -eq 0 && $rows_after -eq $n && $unique_after -eq $n && $left_tmp -eq 0 && "$same" == yes &&
   $done_before -ge $nb && $(( done_before + done_now )) -eq $n ]] || die "kill-and-rerun check failed"
