#!/usr/bin/env bash
# The job scripts in slurm/ against a real Slurm: starts a one-node cluster (slurm/local-cluster.sh:
# slurmctld, slurmd, munged, all state in a temporary folder), then
#   1. slurm/pipeline.sh: a 4-task job array of `autoopt generate --shard i/4` (generate-array.sbatch),
#      the merge job (afterany), and run.sbatch as a 2-rank MPI job (`mpirun -np 2 autoopt generate`,
#      afterok) into a second folder; all must complete, and both folders must hold the same samples
#      as a direct `autoopt generate` run: byte-identical GNNet exports, the same `autoopt info`
#      output, the same per-candidate input hashes in the ledgers;
#   2. requeue: run.sbatch (2 ranks, one ledger row committed per candidate) is requeued with
#      `scontrol requeue` once some candidates are committed; the job must restart and finish with
#      every candidate exactly once, the rows committed before the requeue unchanged (same
#      finished_at), the restarted job reporting them as "done before", no temporary or
#      unreferenced shard file, ledgers passing PRAGMA integrity_check, and the same GNNet bytes as
#      the direct run.
# Stops the daemons and deletes everything it made on any exit (trap).
#
# Usage: tests/slurm/test_slurm.sh AUTOOPT_EXE [REPO_ROOT]
# Exit: 0 pass, 1 fail, 77 skipped (Slurm/munge/mpirun not installed or not root, outside CI; in CI,
# CI=true, a missing piece is a failure).
set -euo pipefail

exe="${1:?usage: test_slurm.sh AUTOOPT_EXE [REPO_ROOT]}"
root="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

fail() { echo "test_slurm: FAIL: $*" >&2; exit 1; }
skip() {
  if [[ "${CI:-}" == true ]]; then
    fail "$* (CI=true: the Slurm test must run in CI; scripts/bootstrap.sh installs slurmctld slurmd slurm-client munge)"
  fi
  echo "test_slurm: SKIP: $*"
  exit 77
}

[[ -x "$exe" ]] || fail "autoopt executable '$exe' not found"
missing=()
for t in slurmctld slurmd munged sbatch scontrol squeue mpirun python3; do
  command -v "$t" >/dev/null 2>&1 || [[ -x "/usr/sbin/$t" ]] || missing+=("$t")
done
[[ ${#missing[@]} -eq 0 ]] || skip "not installed: ${missing[*]} (Debian: apt-get install slurmctld slurmd slurm-client munge)"
[[ $(id -u) -eq 0 ]] || skip "needs root to start slurmd and munged"

start_s=$(date +%s)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/autoopt-slurm.XXXXXX")"
chmod 0755 "$tmp"
cluster="$tmp/cluster"
# Watchdog: a TERM well before CTest's 300 s timeout (which would SIGKILL the test and leave the
# daemons running), so that the trap below still cleans up.
( sleep "${AUTOOPT_SLURM_TEST_LIMIT:-240}"; echo "test_slurm: overall time limit reached" >&2; kill -TERM $$ ) &
watchdog=$!
disown "$watchdog" 2>/dev/null || true
cleanup() {
  local rc=$?
  pkill -P "$watchdog" 2>/dev/null || true; kill "$watchdog" 2>/dev/null || true
  if [[ $rc -ne 0 && $rc -ne 77 && -d "$cluster/log" ]]; then
    echo "---- slurmctld.log (tail) ----" >&2; tail -n 15 "$cluster/log/slurmctld.log" >&2 2>/dev/null || true
    echo "---- job outputs ----" >&2
    for f in "$tmp"/logs/*; do [[ -f "$f" ]] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  "$root/slurm/local-cluster.sh" stop "$cluster" --remove >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

elapsed() { echo "$(( $(date +%s) - start_s )) s"; }

"$root/slurm/local-cluster.sh" start "$cluster" || fail "the local cluster did not start"
# shellcheck disable=SC1091
source "$cluster/env"
echo "test_slurm: cluster up after $(elapsed)"

# Small, quick runs: 8 candidates of <= 6 nodes, 30 simulated seconds each (about a second in all).
export AUTOOPT_ROOT="$root" AUTOOPT_BIN="$exe" AUTOOPT_N=8 AUTOOPT_MAX_NODES=6 AUTOOPT_SEED=5 \
       AUTOOPT_SIM_TIME=30 AUTOOPT_THREADS=1 AUTOOPT_GEN_CONFIG="$root/configs/generator.conf"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$tmp/logs"

# The reference: a direct run, no Slurm.
"$exe" generate --n 8 --out "$tmp/direct" --max-nodes 6 --seed 5 --sim-time 30 --threads 1 \
  --config "$root/configs/generator.conf" --quiet >"$tmp/logs/direct.out" 2>&1 ||
  { cat "$tmp/logs/direct.out" >&2; fail "the direct autoopt generate failed"; }
echo "test_slurm: direct run done after $(elapsed)"

# Waits until none of the jobs in $@ is pending or running (timeout $WAIT_S s).
wait_jobs() {
  local deadline=$(( $(date +%s) + ${WAIT_S:-120} )) ids
  ids="$(IFS=,; echo "$*")"
  while [[ -n "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ]]; do
    [[ $(date +%s) -lt $deadline ]] || { squeue >&2; fail "jobs $ids still queued or running after ${WAIT_S:-120} s"; }
    # Pending for a reason that never clears (asks for more than the node has, a dead dependency ...).
    if squeue -h -j "$ids" -o '%i %r' 2>/dev/null |
       grep -E 'PartitionConfig|BadConstraints|DependencyNeverSatisfied|PartitionNodeLimit|ReqNodeNotAvail|JobHeldAdmin'; then
      squeue >&2
      fail "a job can never run (reason above)"
    fi
    sleep 0.5
  done
}
# "STATE STATE ..." of a job (every task of an array).
job_states() { scontrol -o show job "$1" | sed -E 's/.*JobState=([A-Z_]+).*/\1/' | sort | uniq -c | tr -s ' ' | xargs; }
expect_completed() {
  local s
  s="$(job_states "$1")"
  [[ "$s" =~ ^[0-9]+\ COMPLETED$ ]] || fail "job $1 ($2): states '$s', expected all COMPLETED"
}

# Ledger facts (scripts/lib.sh): ledger_rows RUN prints "k config_hash status finished_at shard" lines
# of every row (k order).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"  # ledger_rows
hashes() { ledger_rows "$1" | awk '{ print $1, $2, $3 }'; }

# Same samples as the direct run $1: GNNet bytes, `autoopt info`, per-candidate input hashes; $4 rows.
same_as_direct() {
  local ref="$1" run="$2" what="$3" rows="$4"
  [[ -d "$run/results" ]] || fail "$what: no GNNet export in $run/results"
  diff -r "$ref/results" "$run/results" >"$tmp/diff.txt" 2>&1 ||
    { head -n 20 "$tmp/diff.txt" >&2; fail "$what: the GNNet export differs from the direct run's"; }
  "$exe" info "$ref/shards" >"$tmp/info-direct.txt" 2>&1 || fail "autoopt info of the direct run failed"
  "$exe" info "$run/shards" >"$tmp/info-run.txt" 2>&1 || { cat "$tmp/info-run.txt" >&2; fail "$what: autoopt info failed"; }
  diff <(grep -v "$tmp" "$tmp/info-direct.txt") <(grep -v "$tmp" "$tmp/info-run.txt") >&2 ||
    fail "$what: autoopt info differs from the direct run's"
  grep -q "^samples: $rows ($rows with results)" "$tmp/info-run.txt" || fail "$what: autoopt info does not count $rows samples"
  [[ "$(hashes "$run")" == "$(hashes "$ref")" ]] || fail "$what: ledger hashes differ from the direct run's"
  [[ "$(hashes "$run" | wc -l)" -eq "$rows" ]] || fail "$what: expected $rows ledger rows"
  if find "$run/shards" -name '*.tmp*' | grep -q .; then fail "$what: temporary files left in $run/shards"; fi
}

# ---- 1. pipeline: array -> merge -> 2-rank MPI job ----
out="$(AUTOOPT_RUN="$tmp/array-run" AUTOOPT_POOL="$tmp/array" AUTOOPT_SHARDS=4 AUTOOPT_LOG_DIR="$tmp/logs" \
  AUTOOPT_SBATCH_ARGS="--cpus-per-task=1" \
  AUTOOPT_RUN_SBATCH_ARGS="--ntasks=2 --export=ALL,AUTOOPT_STEP=generate,AUTOOPT_POOL=$tmp/mpi" \
  "$root/slurm/pipeline.sh")" || fail "slurm/pipeline.sh failed: $out"
echo "$out"
gen=$(awk '$1 == "generate" { print $2 }' <<<"$out")
merge=$(awk '$1 == "merge" { print $2 }' <<<"$out")
run=$(awk '$1 == "run" { print $2 }' <<<"$out")
[[ -n "$gen" && -n "$merge" && -n "$run" ]] || fail "pipeline.sh did not print three job ids"
WAIT_S=150 wait_jobs "$gen" "$merge" "$run"
expect_completed "$gen" "generate array"
[[ "$(job_states "$gen")" == "4 COMPLETED" ]] || fail "the array did not run 4 tasks: $(job_states "$gen")"
expect_completed "$merge" "merge"
expect_completed "$run" "2-rank MPI generate"
echo "test_slurm: pipeline jobs completed after $(elapsed)"

# Each array task wrote its own ledger and did only its shard; the merge did nothing new.
for i in 0 1 2 3; do
  [[ -f "$tmp/array/ledger/rank-$i.sqlite" ]] || fail "array task $i wrote no ledger"
  grep -q "^shard $i/4: 2 candidates: 2 ok, 0 failed; 2 done now" "$tmp"/logs/generate-*_"$i".out ||
    fail "array task $i did not report its 2 candidates"
done
grep -q "^8 candidates: 8 ok, 0 failed; 0 done now, 8 done before" "$tmp"/logs/merge-*.out ||
  fail "the merge job redid candidates or did not find them all"
grep -q "2 rank(s)" "$tmp"/logs/run-*.out || fail "the MPI job did not run on 2 ranks"
same_as_direct "$tmp/direct" "$tmp/array" "job array + merge" 8
same_as_direct "$tmp/direct" "$tmp/mpi" "mpirun -np 2 job" 8
echo "test_slurm: array and MPI results equal the direct run's after $(elapsed)"

# ---- 2. requeue a running 2-rank job ----
# Longer simulations (12 candidates, 8000 simulated s: a few seconds on 2 ranks) so that the job
# can be requeued halfway; its own direct reference.
export AUTOOPT_N=12 AUTOOPT_SIM_TIME=8000
"$exe" generate --n 12 --out "$tmp/direct-rq" --max-nodes 6 --seed 5 --sim-time 8000 --threads 1 \
  --config "$root/configs/generator.conf" --quiet >"$tmp/logs/direct-rq.out" 2>&1 ||
  { cat "$tmp/logs/direct-rq.out" >&2; fail "the direct autoopt generate (requeue reference) failed"; }
echo "test_slurm: direct requeue reference done after $(elapsed)"
rq="$tmp/requeue"
job=$(AUTOOPT_STEP=generate AUTOOPT_POOL="$rq" AUTOOPT_GEN_ARGS="--batch 1" \
  sbatch --parsable --export=ALL --ntasks=2 --cpus-per-task=1 --chdir="$root" --output="$tmp/logs/requeue-%j.out" \
  "$root/slurm/run.sbatch") || fail "sbatch of the requeue job failed"
# Wait for the first committed rows.
deadline=$(( $(date +%s) + 90 ))
before=""
while :; do
  [[ $(date +%s) -lt $deadline ]] || fail "the requeue job committed no rows in 90 s: $(job_states "$job")"
  state="$(job_states "$job")"
  [[ "$state" == "1 RUNNING" || "$state" == "1 PENDING" ]] || fail "the requeue job ended before the requeue: $state"
  n=$(ledger_rows "$rq" 2>/dev/null | wc -l || echo 0)
  if [[ "$n" -ge 2 ]]; then
    scontrol requeue "$job" || fail "scontrol requeue $job failed"
    before="$(ledger_rows "$rq")"
    break
  fi
  sleep 0.1
done
nb=$(wc -l <<<"$before")
echo "test_slurm: requeued job $job with $nb of 12 candidates committed, after $(elapsed)"
[[ "$nb" -lt 12 ]] || fail "the job finished all candidates before the requeue took effect"
# A requeued job may be held until its begin time; let it start sooner, but not within the second of
# the requeue: slurmd rejects a credential created in the same second as the revocation of the old
# one ("Job credential revoked": the times have one-second resolution) and the job fails.
sleep 2
for _ in $(seq 1 40); do
  if scontrol -o show job "$job" | grep -q 'Reason=BeginTime'; then
    scontrol update JobId="$job" StartTime=now >/dev/null 2>&1 || true
  fi
  grep -q 'Restarts=[1-9]' <(scontrol -o show job "$job") && break
  sleep 0.25
done
WAIT_S=120 wait_jobs "$job"
expect_completed "$job" "requeued MPI generate"
scontrol -o show job "$job" | grep -q 'Restarts=[1-9]' || fail "job $job was not restarted: $(scontrol -o show job "$job")"
log="$(ls "$tmp"/logs/requeue-*.out)"
[[ "$(grep -c '^== autoopt generate on 2 rank' "$log")" -ge 2 ]] || fail "the job output shows no second start"
# The restarted run found the committed rows and did only the rest.
summary="$(grep -E '^12 candidates: ' "$log" | tail -n 1)"
done_before=$(sed -E 's/.*; ([0-9]+) done now, ([0-9]+) done before.*/\2/' <<<"$summary")
done_now=$(sed -E 's/.*; ([0-9]+) done now, ([0-9]+) done before.*/\1/' <<<"$summary")
[[ "$done_before" -ge "$nb" && $(( done_before + done_now )) -eq 12 ]] ||
  fail "restarted job: '$summary' (expected >= $nb done before, 12 in all)"
after="$(ledger_rows "$rq")"
[[ "$(wc -l <<<"$after")" -eq 12 ]] || fail "the requeued run has $(wc -l <<<"$after") ledger rows, expected 12"
[[ "$(awk '{ print $1 }' <<<"$after" | sort -u | wc -l)" -eq 12 ]] || fail "a candidate has two ledger rows"
while read -r line; do
  grep -qxF "$line" <<<"$after" || fail "row changed or lost after the requeue (redone?): $line"
done <<<"$before"
# Every batch file is referenced; none is left over.
for f in "$rq"/shards/batch-*.h5; do
  awk '{ print $5 }' <<<"$after" | grep -qxF "$(basename "$f")" || fail "unreferenced shard file $f"
done
same_as_direct "$tmp/direct-rq" "$rq" "requeued job" 12
echo "test_slurm: requeue: $nb rows kept, $done_now done after the restart, same samples; PASS after $(elapsed)"
