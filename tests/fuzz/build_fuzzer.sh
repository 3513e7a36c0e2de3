#!/usr/bin/env bash
# build_fuzzer.sh CXX OUTPUT DEPFILE SOURCE_ROOT SOURCE...
# Compiles the fuzz target and the core library sources (the same list as
# appc_core, passed by tests/fuzz/meson.build) with clang++ and libFuzzer,
# ASan and UBSan, into OUTPUT, and writes a Makefile depfile of every header
# used so that ninja rebuilds when any of them changes.
set -euo pipefail
cxx=$1 out=$2 depfile=$3 src=$4
shift 4
objdir="$out.objs"
rm -rf "$objdir"
mkdir -p "$objdir"
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer
  -fsanitize=fuzzer-no-link,address,undefined
  -D_GNU_SOURCE -DRAPIDJSON_HAS_STDSTRING=1
  -I"$src/lib" -I"$src/include" -Wall -Wextra)
pids=() objs=()
jobs=$(( $(nproc 2>/dev/null || echo 2) > 2 ? 2 : $(nproc 2>/dev/null || echo 1) ))
i=0
for f in "$@"; do
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
"$cxx" -fsanitize=fuzzer,address,undefined "${objs[@]}" -o "$out"
# One depfile for OUTPUT: every prerequisite any object named, on one line.
deps=$(cat "$objdir"/*.d | sed -e 's/^[^:]*://' -e 's/\\$//' | tr ' \t' '\n\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
printf '%s: %s\n' "$out" "$deps" > "$depfile"
