#!/usr/bin/env bash
# Builds and runs the GPU checks on a machine with an NVIDIA GPU, nvcc and a CUDA build of PyTorch (its
# bundled libtorch is used): the CPU-vs-CUDA checks of the message-passing operators and their GPU
# timings (cuda_mp_ops_check) and, when the whole project builds there, the model's CPU-vs-CUDA tests
# (test_model_device, test_model_mp_ops_torch) and the GPU benchmarks of bench_model. See
# tests/device/README.md.
#
#   tests/device/run_gpu_checks.sh [build-dir]        (default: <repo>/build-gpu-checks)
#
# Environment:
#   AUTOOPT_GPU_CHECKS_MODE  auto (default): the whole project, and if it does not configure or build
#                            (MPI, HDF5, FAISS... missing on the GPU machine, or a torch built with
#                            the pre-C++11 string ABI) a kernels-only project; full / kernels: only
#                            that one.
#   CMAKE_CUDA_ARCHITECTURES default: the visible GPU's compute capability (e.g. 90 on an H100).
#   JOBS                     parallel build jobs (default: nproc).
#   AUTOOPT_TORCH_PREFIX     libtorch's CMake prefix (default: the one of python3's torch).
#   AUTOOPT_GPU_CHECKS_BUILD_ONLY=1  configure and build, run nothing: checks the build on a machine
#                            without a GPU (needs AUTOOPT_TORCH_PREFIX and CMAKE_CUDA_ARCHITECTURES).
# Exit status: 0 when every check passed; 1 on a failed check; 2 when the machine lacks something.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build-gpu-checks}
mode=${AUTOOPT_GPU_CHECKS_MODE:-auto}
jobs=${JOBS:-$(nproc)}
mkdir -p "$build"
log=$build/gpu_checks.log
: >"$log"
say() { echo "$*" | tee -a "$log"; }

# ---- what the machine has --------------------------------------------------------------------
build_only=${AUTOOPT_GPU_CHECKS_BUILD_ONLY:-0}
if [ -n "${AUTOOPT_TORCH_PREFIX:-}" ]; then
  torch_prefix=$AUTOOPT_TORCH_PREFIX
elif ! torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null); then
  say "run_gpu_checks: python3 cannot import torch (install a CUDA build of PyTorch, or set AUTOOPT_TORCH_PREFIX)"; exit 2
fi
if [ "$build_only" = 1 ]; then
  if [ -z "${CMAKE_CUDA_ARCHITECTURES:-}" ]; then
    say "run_gpu_checks: AUTOOPT_GPU_CHECKS_BUILD_ONLY=1 needs CMAKE_CUDA_ARCHITECTURES (e.g. 90)"; exit 2
  fi
elif ! python3 -c 'import sys, torch; sys.exit(0 if torch.version.cuda and torch.cuda.is_available() else 1)'; then
  say "run_gpu_checks: torch $(python3 -c 'import torch; print(torch.__version__)') has no CUDA or sees no GPU"; exit 2
fi
if ! command -v nvcc >/dev/null 2>&1; then
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    if [ -x "$d/nvcc" ]; then export PATH="$d:$PATH"; break; fi
  done
fi
if ! command -v nvcc >/dev/null 2>&1; then
  say "run_gpu_checks: nvcc not found (install the CUDA toolkit or put it on PATH)"; exit 2
fi
# The engine links system libraries (GTest, HDF5...) built with the C++11 string ABI; a torch built
# with the old ABI cannot be linked with them.
if [ "$build_only" = 1 ]; then
  abi=1  # recent libtorch distributions; a pre-C++11-ABI one fails at the link below
  arch=$CMAKE_CUDA_ARCHITECTURES
  torch_desc="libtorch at $torch_prefix"
else
  abi=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')
  arch=${CMAKE_CUDA_ARCHITECTURES:-$(python3 -c 'import torch; m, n = torch.cuda.get_device_capability(); print(f"{m}{n}")')}
  torch_desc="torch $(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')"
fi
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
say "run_gpu_checks: $torch_desc," \
    "nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), arch $arch, mode $mode, C++11 ABI $abi"
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L | tee -a "$log" || true; fi

common=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix"
        -DCMAKE_CUDA_ARCHITECTURES="$arch" -DAUTOOPT_CUDA=ON)
# TorchConfig looks for libtorch.so and libc10.so on the system paths before its own folder: name
# the ones beside this config so that a system libtorch (a CPU one, say) is not mixed in.
torch_lib=$torch_prefix/../../lib
if [ -f "$torch_lib/libtorch.so" ] && [ -f "$torch_lib/libc10.so" ]; then
  torch_lib=$(cd "$torch_lib" && pwd)
  common+=(-DTORCH_LIBRARY="$torch_lib/libtorch.so" -Dc10_LIBRARY="$torch_lib/libc10.so")
fi

# ---- configure -------------------------------------------------------------------------------
configured=""
full_ok=0
if [ "$mode" = auto ] && [ "$abi" = 0 ]; then
  say "run_gpu_checks: this torch uses the pre-C++11 ABI; skipping the whole project (kernels only)"
elif [ "$mode" = auto ] || [ "$mode" = full ]; then
  # With the benchmarks if Google Benchmark is there, else without them.
  for bench in ON OFF; do
    if cmake -S "$repo" -B "$build/full" "${generator[@]}" "${common[@]}" -DAUTOOPT_TORCH=ON \
         -DAUTOOPT_BENCH=$bench -DAUTOOPT_TESTS=ON >>"$log" 2>&1; then
      full_ok=1; break
    fi
  done
  if [ "$full_ok" = 1 ]; then
    targets=(cuda_mp_ops_check test_model_device test_model_mp_ops_torch)
    if grep -q "bench_model" <(cmake --build "$build/full" --target help 2>/dev/null); then targets+=(bench_model); fi
    start=$(date +%s)
    if ! grep -q "cuda_mp_ops_check" <(cmake --build "$build/full" --target help 2>/dev/null); then
      configured=$build/full  # no CUDA glue: the check below says why and stops
    elif cmake --build "$build/full" --target "${targets[@]}" -j "$jobs" >>"$log" 2>&1; then
      say "run_gpu_checks: whole project built (${targets[*]}) in $(( $(date +%s) - start )) s"
      configured=$build/full
    elif [ "$mode" = full ]; then
      tail -n 40 "$log"; say "run_gpu_checks: building the whole project failed (see $log)"; exit 1
    else
      say "run_gpu_checks: the whole project does not build here (see $log); using the kernels-only project"
    fi
  elif [ "$mode" = full ]; then
    say "run_gpu_checks: configuring the whole project failed (see $log)"; exit 2
  else
    say "run_gpu_checks: the whole project does not configure here; using the kernels-only project"
  fi
fi
if [ -z "$configured" ]; then
  # A minimal project: the kernels folder (CPU + CUDA primitives and the libtorch glue) and the
  # device checks; nothing of the engine, so only CUDA and libtorch are needed.
  wrapper=$build/kernels-only-src
  mkdir -p "$wrapper"
  cat >"$wrapper/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(autoopt_gpu_checks LANGUAGES C CXX CUDA)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(AUTOOPT_CUDA ON)
find_package(CUDAToolkit REQUIRED)
include("$repo/cmake/torch_cuda_arch_list.cmake")  # TORCH_CUDA_ARCH_LIST from the architectures
find_package(Torch REQUIRED)
enable_testing()
add_subdirectory("$repo/kernels" kernels)
get_target_property(_defs autoopt_kernels_torch INTERFACE_COMPILE_DEFINITIONS)
if(_defs MATCHES "AUTOOPT_TORCH_CUDA")
  add_subdirectory("$repo/tests/device" device)
endif()
EOF
  if ! cmake -S "$wrapper" -B "$build/kernels-only" "${generator[@]}" "${common[@]}" >>"$log" 2>&1; then
    say "run_gpu_checks: configuring the kernels-only project failed (see $log)"; exit 2
  fi
  configured=$build/kernels-only
fi

# ---- build and run ---------------------------------------------------------------------------
if ! grep -q "cuda_mp_ops_check" <(cmake --build "$configured" --target help 2>/dev/null); then
  say "run_gpu_checks: no cuda_mp_ops_check target: the libtorch found has no CUDA (TORCH_CUDA_LIBRARIES" \
      "empty) or AUTOOPT_CUDA is off (see $log)"
  exit 2
fi
if [ "$configured" != "$build/full" ]; then
  start=$(date +%s)
  if ! cmake --build "$configured" --target cuda_mp_ops_check -j "$jobs" >>"$log" 2>&1; then
    tail -n 40 "$log"
    say "run_gpu_checks: build failed (see $log)"; exit 1
  fi
  say "run_gpu_checks: built in $(( $(date +%s) - start )) s"
fi

if [ "$build_only" = 1 ]; then
  say "run_gpu_checks: built in $configured; nothing run (AUTOOPT_GPU_CHECKS_BUILD_ONLY=1)"
  exit 0
fi

# Runs one built program (found by name under the build folder); remembers the worst exit status.
status=0
run_prog() {
  local name=$1; shift
  local exe
  exe=$(find "$configured" -name "$name" -type f -perm -u+x | head -n 1)
  if [ -z "$exe" ]; then say "run_gpu_checks: $name was not built"; status=1; return; fi
  say "run_gpu_checks: running $name $*"
  set +e
  "$exe" "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  say "run_gpu_checks: $name exited with $rc"
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then status=$rc; fi
}

# Operators: CPU vs CUDA forward/backward, bad inputs, timings ours vs libtorch.
run_prog cuda_mp_ops_check
if [ "$configured" = "$build/full" ]; then
  # Model: CPU vs CUDA outputs, gradients, predictions, a short fit; operators through GoogleTest.
  run_prog test_model_device
  run_prog test_model_mp_ops_torch
  # GPU timings: our kernels vs libtorch's, and a 300-node prediction on the GPU when the shared data
  # is there (AUTOOPT_SHARED); the CPU prediction alongside for scale.
  if [ -n "$(find "$configured" -name bench_model -type f -perm -u+x | head -n 1)" ]; then
    run_prog bench_model --benchmark_filter='Model/(Cuda/.*|Predict300)'
  fi
fi
say "run_gpu_checks: done, exit status $status (log: $log)"
exit "$status"
