#!/usr/bin/env bash
# Submits the AutoOPT pipeline as dependent Slurm jobs and prints their ids:
#   1. generate  job array of AUTOOPT_SHARDS tasks (slurm/generate-array.sbatch --array=0-(S-1)),
#                one shard of the candidate pool each, into $AUTOOPT_POOL (default $AUTOOPT_RUN/pool,
#                where `autoopt run` keeps its Stage 1 pool; generation defaults from the preset);
#   2. merge     the same script without --array, after the array ends (afterany: it also does the
#                candidates of a task that failed for good), writes the manifest and the GNNet export;
#   3. run       slurm/run.sbatch (MPI; AUTOOPT_STEP, default `run` = `autoopt run --preset ...`),
#                after the merge succeeded (afterok).
# A failing merge cancels the run job (--kill-on-invalid-dep=yes).
#
#   AUTOOPT_RUN=/shared/runs/r1 AUTOOPT_N=2000 AUTOOPT_SHARDS=32 slurm/pipeline.sh
#   slurm/pipeline.sh --dry-run        # print the sbatch commands only
#
# Environment (besides the job scripts' own, which are passed on: --export=ALL):
#   AUTOOPT_RUN            run folder on the shared file system (required)
#   AUTOOPT_SHARDS         array tasks (default 8); AUTOOPT_ARRAY_THROTTLE: at most this many at once
#   AUTOOPT_SBATCH_ARGS    sbatch options for every job (e.g. "--account=X --partition=Y")
#   AUTOOPT_GEN_SBATCH_ARGS, AUTOOPT_MERGE_SBATCH_ARGS, AUTOOPT_RUN_SBATCH_ARGS   per job
#   AUTOOPT_ROOT           the checkout (default: this script's parent folder); the jobs source its
#                          slurm/common.sh and use its configs/
#   AUTOOPT_LOG_DIR        job output files (default $AUTOOPT_RUN.slurm-logs: beside the run folder,
#                          which `autoopt run` wants to hold only its own files)
# Output: "generate <id>", "merge <id>", "run <id>" lines (or the commands with --dry-run).
set -euo pipefail

die() { echo "pipeline.sh: $*" >&2; exit 2; }
dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export AUTOOPT_ROOT="${AUTOOPT_ROOT:-$(dirname "$here")}"
# shellcheck source=slurm/common.sh
source "$here/common.sh"
autoopt_load_params  # AUTOOPT_PARAMS: the same KEY=VALUE file the jobs read
[[ -n "${AUTOOPT_RUN:-}" ]] || die "set AUTOOPT_RUN to the run folder (on a file system every node sees)"
shards="${AUTOOPT_SHARDS:-8}"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "AUTOOPT_SHARDS: expected a count >= 1, got '$shards'"
logs="${AUTOOPT_LOG_DIR:-${AUTOOPT_RUN%/}.slurm-logs}"
export AUTOOPT_RUN
[[ $dry -eq 1 ]] || mkdir -p "$logs"

split() { local -n out=$1; out=(); [[ -n "${2:-}" ]] && read -r -a out <<<"$2"; return 0; }
split common "${AUTOOPT_SBATCH_ARGS:-}"
split gen_extra "${AUTOOPT_GEN_SBATCH_ARGS:-}"
split merge_extra "${AUTOOPT_MERGE_SBATCH_ARGS:-}"
split run_extra "${AUTOOPT_RUN_SBATCH_ARGS:-}"

submit() {  # prints the job id
  if [[ $dry -eq 1 ]]; then
    echo "sbatch $*" >&2
    echo "DRYRUN$RANDOM"
  else
    sbatch --parsable "$@" | cut -d';' -f1
  fi
}

array="0-$(( shards - 1 ))${AUTOOPT_ARRAY_THROTTLE:+%$AUTOOPT_ARRAY_THROTTLE}"
gen=$(submit --export=ALL --chdir="$AUTOOPT_ROOT" --array="$array" --output="$logs/generate-%A_%a.out" \
  "${common[@]}" "${gen_extra[@]}" "$AUTOOPT_ROOT/slurm/generate-array.sbatch")
echo "generate $gen"
merge=$(submit --export=ALL --chdir="$AUTOOPT_ROOT" --dependency="afterany:$gen" --kill-on-invalid-dep=yes \
  --job-name=autoopt-merge --ntasks=1 --output="$logs/merge-%j.out" \
  "${common[@]}" "${merge_extra[@]}" "$AUTOOPT_ROOT/slurm/generate-array.sbatch")
echo "merge $merge"
run=$(submit --export=ALL --chdir="$AUTOOPT_ROOT" --dependency="afterok:$merge" --kill-on-invalid-dep=yes \
  --output="$logs/run-%j.out" "${common[@]}" "${run_extra[@]}" "$AUTOOPT_ROOT/slurm/run.sbatch")
echo "run $run"
