#!/usr/bin/env bash
# Follows README.md's "Getting started" as a newcomer would, with the commands taken from the
# README itself: every `sh` block in that section runs in order, in a fresh HOME, with three
# stand-ins a test needs: setup and build are already done (the binary under test is used),
# `corral serve` runs in the background on a free port, and the download is the README's own
# offline alternative. Then the chat's one-question form and `corral ps`. Exit 77 = skipped.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${CORRAL_BIN:?set CORRAL_BIN to the corral binary}"
fixtures="$(cd "$repo/.." && pwd)/shared/fixtures"
[ -f "$fixtures/models/aidreams260K.gguf" ] || { echo "skipped: no ../shared/fixtures"; exit 77; }

work="$(mktemp -d)"
serve_pid=""
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export HOME="$work/home"
mkdir -p "$HOME" "$work/cwd"

section="$(awk '/^## Getting started/{on=1; next} /^## /{on=0} on' "$repo/README.md")"
[ -n "$section" ] || { echo "README.md has no '## Getting started' section"; exit 1; }
# The commands of the sh blocks, one per line, with backslash continuations joined.
commands="$(printf '%s\n' "$section" | awk '/^```sh$/{on=1; next} /^```$/{on=0} on' | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')"
offline="$(printf '%s\n' "$section" | grep -o '`cp \.\./shared/fixtures/[^`]*`' | tr -d '`')"
[ -n "$offline" ] || { echo "README.md lost its offline alternative to the download"; exit 1; }

expect_in_order=(scripts/setup.sh "cmake --preset release" "export PATH" "corral serve" curl "corral create" "corral list" "corral ps")
i=0
cd "$work/cwd"
while IFS= read -r cmd; do
  [ -z "$cmd" ] && continue
  echo "+ $cmd"
  if [ $i -lt ${#expect_in_order[@]} ] && [[ "$cmd" == *"${expect_in_order[$i]}"* ]]; then i=$((i + 1)); fi
  case "$cmd" in
    scripts/setup.sh | "cmake --preset release"*) ;;  # done before the tests run
    "export PATH="*)
      (cd "$repo" && eval "$cmd" && command -v corral >/dev/null) || { echo "README's PATH does not reach corral"; exit 1; }
      # Developer builds live elsewhere; the binary under test stands in for build/release/corral.
      export PATH="$(dirname "$bin"):$PATH" ;;
    "corral serve")
      CORRAL_HOST=127.0.0.1:0 corral serve >"$work/serve.log" 2>&1 &
      serve_pid=$!
      for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
      port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/serve.log" | grep -o '[0-9]*$')"
      export CORRAL_HOST="127.0.0.1:$port" ;;
    curl*) eval "${offline//..\/shared\/fixtures/$fixtures}" ;;
    *) eval "$cmd" ;;
  esac
done <<<"$commands"
[ $i -eq ${#expect_in_order[@]} ] || { echo "README's steps are missing or out of order: found $i of ${#expect_in_order[@]} (${expect_in_order[*]})"; exit 1; }

one_question="$(printf '%s\n' "$section" | grep -o '`corral run [a-z0-9.]* "[^"`]*"`' | head -1 | tr -d '`')"
[ -n "$one_question" ] || { echo "README lost the one-question example"; exit 1; }
echo "+ $one_question"
answer="$(eval "$one_question")"
[ -n "$answer" ] || { echo "no answer"; exit 1; }
echo "+ corral ps"
ps_out="$(corral ps)"
echo "$ps_out"
grep -Eq '^qwen:latest +[0-9a-f]{12} +[0-9.]+ [KMG]?B +100% CPU +[0-9]+ +4 minutes from now' <<<"$ps_out" || { echo "ps does not show the model"; exit 1; }
echo "getting started: ok"
