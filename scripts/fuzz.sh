#!/usr/bin/env bash
# The GGUF reader under clang's AddressSanitizer + UndefinedBehaviorSanitizer: builds the `fuzz`
# preset, runs the GGUF unit tests (including the corrupt-file suite) in it, then fuzzes the reader
# with libFuzzer for CORRAL_FUZZ_SECONDS (default 60) from the seed corpus.
# Exit 77 (ctest: skipped) when clang or its fuzzer runtime is missing.
set -euo pipefail

target="${1:-gguf_reader}"
seconds="${CORRAL_FUZZ_SECONDS:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; skipping" >&2
  exit 77
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$probe/p.cpp"
if ! clang++ -fsanitize=fuzzer,address "$probe/p.cpp" -o "$probe/p" 2>/dev/null; then
  echo "fuzz: clang's libFuzzer runtime (libclang-rt-14-dev) is missing; skipping" >&2
  exit 77
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${target}_fuzz" gguf_seed_writer gguf_tests

echo "== GGUF unit tests (corrupt-file suite) under ASan + UBSan"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
build/fuzz/tests/gguf_tests --gtest_brief=1

corpus="$probe/corpus"
mkdir -p "$corpus"
build/fuzz/fuzz/gguf_seed_writer "$corpus"
cp fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
echo "== fuzzing $target for ${seconds}s"
status=0
build/fuzz/fuzz/"${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$probe/" "$corpus" >"$probe/fuzz.log" 2>&1 || status=$?
grep -E "^(#[0-9]+ +DONE|stat::|SUMMARY)" "$probe/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$probe/fuzz.log"
  for crash in "$probe"/crash-* "$probe"/leak-* "$probe"/timeout-* "$probe"/oom-*; do
    [ -e "$crash" ] && mkdir -p build/fuzz/artifacts && cp "$crash" build/fuzz/artifacts/ && echo "saved build/fuzz/artifacts/$(basename "$crash")"
  done
  exit 1
fi
