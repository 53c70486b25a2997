#!/usr/bin/env bash
# Run the tests with a CPU hog on every core, to prove they wait for states and not for an idle machine.
#
#   scripts/stress-test.sh                          # the whole suite, twice, beside one hog per core
#   scripts/stress-test.sh tests/test_browser.py    # any pytest arguments
#   RUNS=1 HOGS=4 scripts/stress-test.sh -k upload  # one run, four hogs
#
# The hogs are `stress-ng --cpu N` when Debian's stress-ng is installed, else one Python busy loop a
# core. They run at normal priority (nice 0), like the other work that made CI fail (issue 16), and
# are stopped by their process ids when the runs end, however they end. The exit status is the
# first failing run's, or 0 when every run passed.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-2}
HOGS=${HOGS:-$(nproc)}
hogs=()

stop_hogs() {
    for pid in "${hogs[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${hogs[@]}"; do
        wait "$pid" 2>/dev/null
    done
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu "$HOGS" --quiet &
    hogs+=($!)
else
    for _ in $(seq "$HOGS"); do
        python3 -c 'while True: pass' &
        hogs+=($!)
    done
fi
echo "stress-test: ${#hogs[@]} hog process(es) for $HOGS core(s): ${hogs[*]}" >&2

status=0
for run in $(seq "$RUNS"); do
    echo "stress-test: run $run of $RUNS: pytest $*" >&2
    "$PYTHON" -m pytest -p no:cacheprovider "$@"
    code=$?
    echo "stress-test: run $run exit $code" >&2
    if [ "$code" -ne 0 ] && [ "$status" -eq 0 ]; then
        status=$code
    fi
done
exit "$status"
