#!/usr/bin/env bash
# Packs programs built against a CUDA libtorch (tests, bench_model, autoopt) with the shared libraries
# they need beyond libtorch, CUDA and the C/C++ runtimes (HDF5, MPI, FAISS, BLAS, libarchive...) into one
# folder, for a GPU node that has a CUDA PyTorch but not the engine's libraries (a bare cluster image,
# say). The folder's run.sh puts them and python3's torch on the library path and runs one program.
#
#   tests/device/pack_bundle.sh BUILD-DIR OUT-DIR PROGRAM...   (PROGRAM: a target name, e.g. bench_model)
#   OUT-DIR/run.sh PROGRAM [ARGS...]                            (on the GPU node)
#
# Both machines must be x86-64 Linux; the GPU node's C library and libstdc++ must be at least as new
# as the build machine's. Exit status: 0 when packed, 1 on a missing program or library.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,12p' "$0" >&2; exit 1
fi
build=$1 out=$2; shift 2
mkdir -p "$out/bin" "$out/lib"

# Libraries the GPU node brings: its C runtime, libstdc++, libtorch (and what it loads) and CUDA's.
provided='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libutil\.|libstdc\+\+|libgcc_s|libgomp|libtorch|libc10|libcaffe2|libshm|libcuda\.|libcudart|libcublas|libcudnn|libnccl|libnvrtc|libnvJitLink|libcufft|libcurand|libcusolver|libcusparse|libcupti|libnvToolsExt|libnvshmem|libcufile)'

for prog in "$@"; do
  exe=$(find "$build" -name "$prog" -type f -perm -u+x | head -n 1)
  if [ -z "$exe" ]; then echo "pack_bundle: $prog not found under $build" >&2; exit 1; fi
  cp "$exe" "$out/bin/$prog"
  strip --strip-debug "$out/bin/$prog" 2>/dev/null || true
  # ldd lists the whole closure; libraries it cannot find here are an error, except the provided ones.
  while read -r name path _; do
    [ -n "$name" ] || continue
    if [[ "$name" =~ $provided ]]; then continue; fi
    if [ "$path" = "not" ] || [ -z "$path" ] || [ ! -f "$path" ]; then
      echo "pack_bundle: $prog needs $name, which is not found here" >&2; exit 1
    fi
    [ -f "$out/lib/$name" ] || cp -L "$path" "$out/lib/$name"
  done < <(ldd "$exe" | sed -n 's/^\s*\(\S*\) => \(.*\) (0x.*)$/\1 \2 x/p; s/^\s*\(\S*\) => not found$/\1 not found/p')
done

cat >"$out/run.sh" <<'EOF'
#!/usr/bin/env bash
# Runs one packed program with the bundle's libraries and python3's libtorch and CUDA libraries.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ]; then echo "usage: $0 PROGRAM [ARGS...]; programs: $(ls "$here/bin")" >&2; exit 1; fi
prog=$1; shift
if [ ! -x "$here/bin/$prog" ]; then echo "run.sh: no program $prog in $here/bin" >&2; exit 1; fi
torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') || {
  echo "run.sh: python3 cannot import torch" >&2; exit 2; }
path=$here/lib:$torch_lib
# The CUDA libraries of PyTorch's wheels (nvidia/*/lib), then the toolkit's.
site=$(dirname "$(dirname "$torch_lib")")
for d in "$site"/nvidia/*/lib "$site"/nvidia/*/*/lib /usr/local/cuda/lib64; do
  if [ -d "$d" ]; then path=$path:$d; fi
done
export LD_LIBRARY_PATH=$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec "$here/bin/$prog" "$@"
EOF
chmod +x "$out/run.sh"
echo "pack_bundle: $(ls "$out/bin" | wc -l) programs, $(ls "$out/lib" | wc -l) libraries, $(du -sh "$out" | cut -f1) in $out"
