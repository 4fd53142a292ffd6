#!/usr/bin/env bash
# Installs autoopt's dependencies (Debian 12), configures and builds it in ./build, and runs the main
# job on its embedded default. Safe to run again: installed packages and a built tree are reused.
#
#   scripts/bootstrap.sh            # install + build + run
#   AUTOOPT_SKIP_INSTALL=1 ...      # skip apt-get (dependencies already there)
#   AUTOOPT_BUILD_DIR=dir ...       # build somewhere else than ./build
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libfaiss-dev libopenblas0-pthread
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libarchive-dev zlib1g-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
  slurmctld slurmd slurm-client munge
)

if [[ "${AUTOOPT_SKIP_INSTALL:-0}" != 1 ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    echo "bootstrap: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

build="${AUTOOPT_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"

# The main job on its embedded default: the whole pipeline, quick preset (configs/run-quick.conf: a
# small pool, a self-made evaluation set of 20-40-node networks, AutoOPT and its baselines; a few
# minutes on 2 cores, no external data). Rerunning resumes: finished stages are skipped.
"$build/drivers/autoopt" run --preset quick --out "${AUTOOPT_RUN_DIR:-runs/quick}"
