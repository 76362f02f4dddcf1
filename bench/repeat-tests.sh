#!/usr/bin/env bash
# Runs the test suite (or some of it) N times in a row, optionally with both cores kept busy, and
# names every failure, so that a flaky test is caught before it lands.
#
#   bash bench/repeat-tests.sh                          # the whole suite 5 times, cores loaded
#   RUNS=20 bash bench/repeat-tests.sh -pl proxy -Dtest=StreamingTest -Dsurefire.failIfNoSpecifiedTests=false
#   LOAD=0 RUNS=3 bash bench/repeat-tests.sh            # without the CPU hog
#
# Extra arguments go to `./mvnw -B verify`. LOAD=N starts N busy loops (default: one per core),
# each bounded by `timeout` and stopped by its pid when the script ends. Every run's output is kept
# under target/repeat-tests/run-K.log. Exits 1 if any run failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-5}"
LOAD="${LOAD:-$(nproc)}"
# A hog never outlives this bound, whatever happens to the script.
HOG_SECONDS="${HOG_SECONDS:-$((RUNS * 900))}"

out="$repo/target/repeat-tests"
mkdir -p "$out"
hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT

for ((i = 0; i < LOAD; i++)); do
  timeout "$HOG_SECONDS" sh -c 'while :; do :; done' &
  hogs+=($!)
done

failed=0
for ((run = 1; run <= RUNS; run++)); do
  log="$out/run-$run.log"
  start=$(date +%s)
  if (cd "$repo" && ./mvnw -B verify "$@") >"$log" 2>&1; then
    result=green
  else
    result=RED
    failed=$((failed + 1))
  fi
  printf 'run %d/%d: %s in %ds (load %d) %s\n' "$run" "$RUNS" "$result" \
    "$(($(date +%s) - start))" "$LOAD" "$log"
  # The failing tests by name: surefire's summary lines.
  grep -E '^\[ERROR\] (Tests run:.*FAIL|  [A-Za-z].*[:»])|<<< (FAILURE|ERROR)' "$log" | sort -u \
    | sed 's/^/    /' || true
done
printf '%d of %d runs failed\n' "$failed" "$RUNS"
((failed == 0))
