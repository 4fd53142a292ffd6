#!/usr/bin/env bash
# A one-node Slurm cluster (slurmctld + slurmd + munged) on this machine, everything in one state
# folder, for testing the job scripts against a real Slurm (tests/slurm/test_slurm.sh, bench/bench_cluster.sh).
#
#   slurm/local-cluster.sh start STATE     configure and start; STATE is created (must not hold a
#                                          running cluster); prints the line to source
#   slurm/local-cluster.sh stop STATE      cancel every job, stop the daemons (by their pid files)
#   slurm/local-cluster.sh status STATE    sinfo + squeue, exit 1 if the controller does not answer
#   slurm/local-cluster.sh stop STATE --remove   ... and delete STATE
#
# After `start`, `source STATE/env` sets SLURM_CONF for sbatch, squeue, scontrol, ...
#
# Needs root (slurmd runs jobs as their users; munged is started as the munge user) and Debian's
# slurmctld, slurmd, slurm-client and munge packages (scripts/bootstrap.sh installs them). The
# configuration is what works in containers without systemd or cgroups: ProctrackType=
# proctrack/linuxproc, TaskPlugin=task/none, no accounting. Munge gets its own key and socket under
# STATE (a system munged, if any, is left alone); the Slurm ports are free ones picked at start.
# The node has the machine's CPUs (nproc; AUTOOPT_SLURM_CPUS overrides) in partition `debug`.
# Environment: AUTOOPT_SLURM_CPUS (node CPUs), AUTOOPT_SLURM_START_TIMEOUT (s, default 60).
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "local-cluster.sh: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || { usage >&2; exit 2; }
action="$1"
state="$2"
remove=0
[[ "${3:-}" == "--remove" ]] && remove=1

# A TCP port nobody listens on, from `start`.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -s "$1" ]] && tr -dc '0-9' <"$1" || true; }

# Stops the process whose pid is in file $1 (TERM, then KILL after $2 s).
stop_pidfile() {
  local file="$1" wait_s="${2:-10}" pid
  pid="$(read_pid "$file")"
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $(( wait_s * 10 ))); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

start() {
  [[ $(id -u) -eq 0 ]] || die "start: needs root (slurmd runs the jobs, munged runs as the munge user)"
  local tool
  for tool in slurmctld slurmd munged sbatch scontrol sinfo squeue; do
    command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] ||
      die "start: '$tool' not found; install Debian's slurmctld slurmd slurm-client munge"
  done
  id munge >/dev/null 2>&1 || die "start: no 'munge' user (install Debian's munge package)"
  if [[ -e "$state/slurm.conf" ]] && pid_alive "$(read_pid "$state/ctld/slurmctld.pid")"; then
    die "start: $state already holds a running cluster (stop it first)"
  fi
  mkdir -p "$state"
  state="$(cd "$state" && pwd)"
  # munged refuses group/other-writable directories on the path to its socket; the folders below
  # are root's except munge/, which is the munge user's.
  chmod 0755 "$state"
  mkdir -p "$state/munge" "$state/ctld" "$state/d" "$state/log" "$state/jobs"
  chmod 0755 "$state/ctld" "$state/d" "$state/log"
  chmod 1777 "$state/jobs"
  chown munge:munge "$state/munge"
  chmod 0755 "$state/munge"  # the socket folder must be searchable by all; the key is 0400

  # ---- munge: own key and socket ----
  local sock="$state/munge/munge.socket"
  if [[ ! -s "$state/munge/munge.key" ]]; then
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
  fi
  chown munge:munge "$state/munge/munge.key"
  chmod 0400 "$state/munge/munge.key"
  local run_as=(runuser -u munge --)
  command -v runuser >/dev/null || run_as=(su -s /bin/sh munge -c)
  if [[ "${run_as[0]}" == runuser ]]; then
    "${run_as[@]}" /usr/sbin/munged --socket="$sock" --key-file="$state/munge/munge.key" \
      --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" \
      --seed-file="$state/munge/munged.seed" --num-threads=2 ||
      { cat "$state/munge/munged.log" >&2 2>/dev/null || true; die "start: munged did not start"; }
  else
    "${run_as[@]}" "/usr/sbin/munged --socket='$sock' --key-file='$state/munge/munge.key' \
      --pid-file='$state/munge/munged.pid' --log-file='$state/munge/munged.log' \
      --seed-file='$state/munge/munged.seed' --num-threads=2" ||
      { cat "$state/munge/munged.log" >&2 2>/dev/null || true; die "start: munged did not start"; }
  fi
  munge --socket="$sock" -n </dev/null | unmunge --socket="$sock" >/dev/null ||
    die "start: munge/unmunge through $sock failed (log: $state/munge/munged.log)"

  # ---- slurm.conf ----
  local host cpus ctld_port d_port
  host="$(hostname -s)"
  cpus="${AUTOOPT_SLURM_CPUS:-$(nproc)}"
  ctld_port="$(free_port)" || die "start: no free TCP port"
  d_port="$(free_port)" || die "start: no free TCP port"
  [[ "$d_port" != "$ctld_port" ]] || d_port=$(( ctld_port + 1 ))
  cat >"$state/slurm.conf" <<EOF
# Written by slurm/local-cluster.sh: a one-node test cluster in $state
ClusterName=autoopt-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/ctld/slurmctld.pid
SlurmdPidFile=$state/d/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=5
MinJobAge=600
SlurmdTimeout=120
InactiveLimit=0
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  echo "export SLURM_CONF=$state/slurm.conf" >"$state/env"
  export SLURM_CONF="$state/slurm.conf"

  # ---- daemons ----
  /usr/sbin/slurmctld -f "$SLURM_CONF" -i ||
    { tail -n 30 "$state/log/slurmctld.log" >&2 2>/dev/null || true; die "start: slurmctld did not start"; }
  local timeout="${AUTOOPT_SLURM_START_TIMEOUT:-60}" t=0
  until scontrol ping 2>/dev/null | grep -q 'is UP'; do
    (( t++ < timeout * 5 )) || { tail -n 30 "$state/log/slurmctld.log" >&2 || true; die "start: slurmctld does not answer"; }
    sleep 0.2
  done
  /usr/sbin/slurmd -f "$SLURM_CONF" -N "$host" ||
    { tail -n 30 "$state/log/slurmd.log" >&2 2>/dev/null || true; die "start: slurmd did not start"; }
  t=0
  until [[ "$(sinfo -h -n "$host" -o %T 2>/dev/null)" == idle ]]; do
    (( t++ < timeout * 5 )) || {
      sinfo -N -l >&2 || true
      tail -n 30 "$state/log/slurmd.log" >&2 || true
      die "start: node $host did not become idle"
    }
    sleep 0.2
  done
  echo "local-cluster: up: node $host, $cpus CPUs, partition debug; state $state"
  echo "source $state/env"
}

stop() {
  [[ -d "$state" ]] || { [[ $remove -eq 1 ]] && return 0; die "stop: no state folder $state"; }
  if [[ -s "$state/slurm.conf" ]]; then
    export SLURM_CONF="$state/slurm.conf"
    if pid_alive "$(read_pid "$state/ctld/slurmctld.pid")"; then
      # Jobs first: with proctrack/linuxproc slurmstepd kills the job's process tree.
      local jobs
      jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ' || true)"
      if [[ -n "${jobs// /}" ]]; then
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null || true
        for _ in $(seq 1 100); do
          [[ -z "$(squeue -h -o %A 2>/dev/null)" ]] && break
          sleep 0.2
        done
      fi
    fi
    stop_pidfile "$state/d/slurmd.pid" 10
    stop_pidfile "$state/ctld/slurmctld.pid" 10
  fi
  stop_pidfile "$state/munge/munged.pid" 5
  if [[ $remove -eq 1 ]]; then
    rm -rf "$state"
  fi
  echo "local-cluster: stopped$([[ $remove -eq 1 ]] && echo ", $state removed")"
}

status() {
  [[ -s "$state/slurm.conf" ]] || die "status: no cluster in $state"
  export SLURM_CONF="$state/slurm.conf"
  scontrol ping
  sinfo
  squeue
  scontrol ping | grep -q 'is UP'
}

case "$action" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  -h|--help) usage ;;
  *) usage >&2; die "unknown action '$action' (start, stop or status)" ;;
esac
