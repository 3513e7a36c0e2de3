#!/usr/bin/env bash
# build_fuzzer.sh CXX OUTPUTS DEPFILE SOURCE_ROOT BUILD_ROOT PKGS FUZZ_SOURCE... CORE_SOURCE...
# Compiles the fuzz targets and the core library sources (the same list as
# appc_core, passed by tests/fuzz/meson.build) with clang++, libFuzzer, ASan and
# UBSan. OUTPUTS is a comma-separated list of fuzzer executables, one for each
# FUZZ_SOURCE (the first as many sources as there are outputs), so the core is
# compiled once for all of them. The core objects go into a static archive, so
# each target links only what it uses; PKGS (comma-separated pkg-config names:
# the pkg-config dependencies of appc_core, plus what the targets need) give
# the compile and link flags. Writes a Makefile depfile of every source and
# header used, so ninja rebuilds on any change.
set -euo pipefail
cxx=$1 outs_csv=$2 depfile=$3 src=$4 build=$5 pkgs=${6//,/ }
shift 6
IFS=, read -r -a outs <<< "$outs_csv"
nfuzz=${#outs[@]}
fuzz_srcs=("${@:1:$nfuzz}")
shift "$nfuzz"
out=${outs[0]}
objdir="$out.objs"
rm -rf "$objdir"
mkdir -p "$objdir"
# shellcheck disable=SC2086
pkg_cflags=$(pkg-config --cflags $pkgs) pkg_libs=$(pkg-config --libs $pkgs)
# shellcheck disable=SC2206
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer
  -fsanitize=fuzzer-no-link,address,undefined
  -D_GNU_SOURCE -DRAPIDJSON_HAS_STDSTRING=1
  -I"$src/lib" -I"$src/include" -I"$build/include" $pkg_cflags -Wall -Wextra)
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -gt 2 ] && jobs=2
pids=() objs=()
i=0
for f in "${fuzz_srcs[@]}" "$@"; do
  o="$objdir/$i-$(basename "${f%.*}").o"
  objs+=("$o")
  "$cxx" "${flags[@]}" -MMD -MF "$o.d" -c "$f" -o "$o" &
  pids+=($!)
  i=$((i + 1))
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
ar rcs "$objdir/libcore.a" "${objs[@]:$nfuzz}"
for ((k = 0; k < nfuzz; k++)); do
  # shellcheck disable=SC2086
  "$cxx" -fsanitize=fuzzer,address,undefined "${objs[$k]}" "$objdir/libcore.a" $pkg_libs -pthread -o "${outs[$k]}"
done
# One depfile (named after the first output): every prerequisite any object named, on one line.
deps=$(cat "$objdir"/*.d | sed -e 's/^[^:]*://' -e 's/\\$//' | tr ' \t' '\n\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
printf '%s: %s\n' "$out" "$deps" > "$depfile"
