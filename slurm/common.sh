# shellcheck shell=bash
# Shared by the job scripts in slurm/ (sourced, not run): finds the autoopt binary, loads modules,
# reads the parameters file, and builds the `autoopt generate` options from the environment.
#
# Environment (every job script):
#   AUTOOPT_ROOT      the autoopt checkout (configs/, slurm/); default $SLURM_SUBMIT_DIR (submit from
#                     the checkout) — sbatch copies the script away, so $0 cannot be used
#   AUTOOPT_BIN       the autoopt executable; default `autoopt` on PATH, else $AUTOOPT_ROOT/build/drivers/autoopt
#   AUTOOPT_PARAMS    a KEY=VALUE file (shell syntax) sourced first, e.g. slurm/params.env; values
#                     already in the environment win
#   AUTOOPT_MODULES   modules to `module load` (e.g. "openmpi/4.1 hdf5/1.12-mpi"); nothing by default
#   AUTOOPT_ENV_SCRIPT  a script sourced after the modules (site setup, a venv, LD_LIBRARY_PATH ...)
# Generation (generate-array.sbatch, run.sbatch with AUTOOPT_STEP=generate): the defaults come from
# the `autoopt run` preset, so that the pool the array makes is the one `autoopt run` resumes:
#   AUTOOPT_PRESET    quick (default) | paper: configs/run-<preset>.conf; AUTOOPT_RUN_CONFIG: another
#                     run config file (as `autoopt run --config`); "none": no run config
#   AUTOOPT_POOL      the generate run folder (shared file system); default $AUTOOPT_RUN/pool, where
#                     `autoopt run` keeps its Stage 1 pool
#   AUTOOPT_N         candidates (default: the run config's pool_size, else 500)
#   AUTOOPT_MAX_NODES largest network (default: its max_nodes, else 10)
#   AUTOOPT_SEED      global seed (default: its seed, else 1)
#   AUTOOPT_GEN_CONFIG generator config (default: its generator_config, else
#                     $AUTOOPT_ROOT/configs/generator.conf; "none": built-in defaults)
#   AUTOOPT_SIM_TIME  simulated seconds per sample (default: its sim_time, else 1000)
#   AUTOOPT_THREADS   worker threads per rank (default $SLURM_CPUS_PER_TASK, else 1)
#   AUTOOPT_GEN_ARGS  more `autoopt generate` options, split on blanks (e.g. "--stop converged --rel-precision 0.02")

autoopt_die() { echo "autoopt job: error: $*" >&2; exit 2; }

# Exports the KEY=VALUE lines of $AUTOOPT_PARAMS that the environment does not set already.
autoopt_load_params() {
  if [[ -n "${AUTOOPT_PARAMS:-}" ]]; then
    [[ -r "$AUTOOPT_PARAMS" ]] || autoopt_die "AUTOOPT_PARAMS=$AUTOOPT_PARAMS: no such readable file"
    # Values already set in the environment win over the file's.
    local line key
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)= ]] || continue
      key="${BASH_REMATCH[2]}"
      [[ -n "${!key+x}" ]] && continue
      eval "$(sed -E 's/^[[:space:]]*(export[[:space:]]+)?//' <<<"$line")"
      export "${key?}"
    done <"$AUTOOPT_PARAMS"
  fi
}

autoopt_setup() {
  AUTOOPT_ROOT="${AUTOOPT_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}"
  autoopt_load_params
  if [[ -n "${AUTOOPT_MODULES:-}" ]]; then
    local init
    for init in /etc/profile.d/lmod.sh /etc/profile.d/modules.sh; do
      if ! command -v module >/dev/null 2>&1 && [[ -r "$init" ]]; then
        # shellcheck disable=SC1090
        source "$init"
      fi
    done
    command -v module >/dev/null 2>&1 || autoopt_die "AUTOOPT_MODULES is set but there is no 'module' command"
    # shellcheck disable=SC2086
    module load $AUTOOPT_MODULES || autoopt_die "module load $AUTOOPT_MODULES failed"
  fi
  if [[ -n "${AUTOOPT_ENV_SCRIPT:-}" ]]; then
    # shellcheck disable=SC1090
    source "$AUTOOPT_ENV_SCRIPT" || autoopt_die "sourcing $AUTOOPT_ENV_SCRIPT failed"
  fi
  if [[ -z "${AUTOOPT_BIN:-}" ]]; then
    if command -v autoopt >/dev/null 2>&1; then
      AUTOOPT_BIN="$(command -v autoopt)"
    else
      AUTOOPT_BIN="$AUTOOPT_ROOT/build/drivers/autoopt"
    fi
  fi
  [[ -x "$AUTOOPT_BIN" ]] || autoopt_die "autoopt executable '$AUTOOPT_BIN' not found (set AUTOOPT_BIN or AUTOOPT_ROOT)"
  export AUTOOPT_ROOT AUTOOPT_BIN
}

# The run config file of AUTOOPT_RUN_CONFIG / AUTOOPT_PRESET (empty for "none").
autoopt_run_config_file() {
  if [[ -n "${AUTOOPT_RUN_CONFIG:-}" ]]; then
    echo "$AUTOOPT_RUN_CONFIG"
  elif [[ "${AUTOOPT_PRESET:-quick}" != none ]]; then
    echo "$AUTOOPT_ROOT/configs/run-${AUTOOPT_PRESET:-quick}.conf"
  fi
}

# Value of "key: value  # comment" in run config file $1 (empty if absent).
autoopt_conf_value() {
  sed -nE "s/^[[:space:]]*$2[[:space:]]*[:=][[:space:]]*([^#]*[^#[:space:]])?[[:space:]]*(#.*)?$/\1/p" "$1" | tail -n 1
}

# Fills the array GEN_ARGS with the `autoopt generate` options (without --shard) for run folder $1.
autoopt_generate_args() {
  local out="$1" rc n="" max="" seed="" sim="" gconf=""
  rc="$(autoopt_run_config_file)"
  if [[ -n "$rc" ]]; then
    [[ -r "$rc" ]] || autoopt_die "run config '$rc' not readable (AUTOOPT_PRESET=quick|paper|none, AUTOOPT_RUN_CONFIG)"
    n="$(autoopt_conf_value "$rc" pool_size)"
    max="$(autoopt_conf_value "$rc" max_nodes)"
    seed="$(autoopt_conf_value "$rc" seed)"
    sim="$(autoopt_conf_value "$rc" sim_time)"
    gconf="$(autoopt_conf_value "$rc" generator_config)"
    [[ -n "$gconf" && "$gconf" != /* ]] && gconf="$(dirname "$rc")/$gconf"
  fi
  local config="${AUTOOPT_GEN_CONFIG:-${gconf:-$AUTOOPT_ROOT/configs/generator.conf}}"
  GEN_ARGS=(--n "${AUTOOPT_N:-${n:-500}}" --out "$out" --max-nodes "${AUTOOPT_MAX_NODES:-${max:-10}}"
            --seed "${AUTOOPT_SEED:-${seed:-1}}" --sim-time "${AUTOOPT_SIM_TIME:-${sim:-1000}}"
            --threads "${AUTOOPT_THREADS:-${SLURM_CPUS_PER_TASK:-1}}")
  if [[ "$config" != none ]]; then
    [[ -r "$config" ]] || autoopt_die "generator config '$config' not readable (AUTOOPT_GEN_CONFIG; 'none' for the built-in defaults)"
    GEN_ARGS+=(--config "$config")
  fi
  if [[ -n "${AUTOOPT_GEN_ARGS:-}" ]]; then
    local extra
    read -r -a extra <<<"$AUTOOPT_GEN_ARGS"
    GEN_ARGS+=("${extra[@]}")
  fi
}

# Runs "$@" (an `autoopt generate`); exit status 1 with a summary line that reports failed
# candidates counts as success when AUTOOPT_ALLOW_FAILED=1 (the default): a few candidates that the
# simulator refuses should not stop the pipeline's dependent jobs. Other errors keep their status.
autoopt_run_generate() {
  local log rc=0
  log="$(mktemp "${TMPDIR:-/tmp}/autoopt-gen.XXXXXX")"
  "$@" > >(tee "$log") || rc=$?
  sleep 0.2  # let tee finish
  if [[ $rc -eq 1 && "${AUTOOPT_ALLOW_FAILED:-1}" == 1 ]] &&
     grep -Eq '^(shard [0-9]+/[0-9]+: )?[0-9]+ candidates: [0-9]+ ok, [1-9][0-9]* failed' "$log"; then
    echo "autoopt job: some candidates failed (recorded in the ledger); going on (AUTOOPT_ALLOW_FAILED=1)" >&2
    rc=0
  fi
  rm -f "$log"
  return $rc
}

# One line for the job log: where and what.
autoopt_banner() {
  echo "== $1: job ${SLURM_JOB_ID:-none}${SLURM_ARRAY_JOB_ID:+ (array $SLURM_ARRAY_JOB_ID task $SLURM_ARRAY_TASK_ID)} restart ${SLURM_RESTART_COUNT:-0} on $(hostname) at $(date -u +%FT%TZ)"
  echo "   autoopt: $AUTOOPT_BIN"
}
