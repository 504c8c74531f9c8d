#!/bin/sh
# Scenario-level tests: run the real binary and check what it prints and writes.
#  1. every tests/bad/NAME.yaml fails with exit 2, its first stderr line equal to tests/bad/NAME.err,
#     and no output file;
#  2. the default and test scenarios run, write a trace h5dump can open, twice identically;
#  3. --set overrides and their errors; an interrupted run leaves no output file.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -u
OASTWIN=${OASTWIN:-build/oastwin}
BUILD=${BUILD:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oastwin-scenario-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

# ---- 1. the bad-input corpus ----
for y in tests/bad/*.yaml; do
  name=$(basename "$y" .yaml)
  want=$(cat "tests/bad/$name.err" 2>/dev/null) || { ko "$name: missing tests/bad/$name.err"; continue; }
  out="$tmp/$name.h5"
  "$OASTWIN" run "$y" -o "$out" --quiet >/dev/null 2>"$tmp/err"
  rc=$?
  got=$(head -n 1 "$tmp/err")
  if [ "$rc" -ne 2 ]; then ko "$name: exit $rc, want 2 ($got)"
  elif [ "$got" != "$want" ]; then ko "$name: first error line differs
   want: $want
   got:  $got"
  elif ls "$tmp" | grep -q "^$name.h5"; then ko "$name: left an output file"
  else ok; fi
done

# ---- 2. good runs ----
run_ok() { # name, args...
  n=$1; shift
  if "$OASTWIN" run "$@" --quiet >/dev/null 2>"$tmp/err"; then ok; else ko "$n: $(cat "$tmp/err")"; fi
}
run_ok small-flow scenarios/tests/small.yaml -o "$tmp/a.h5"
run_ok small-flow-again scenarios/tests/small.yaml -o "$tmp/b.h5"
SOURCE_DATE_EPOCH=1700000000 "$OASTWIN" run scenarios/tests/small.yaml -o "$tmp/e1.h5" -q 2>/dev/null
SOURCE_DATE_EPOCH=1700000000 "$OASTWIN" run scenarios/tests/small.yaml -o "$tmp/e2.h5" -q 2>/dev/null
if cmp -s "$tmp/e1.h5" "$tmp/e2.h5"; then ok; else ko "same scenario, seed and SOURCE_DATE_EPOCH gave different files"; fi
if h5dump -H "$tmp/a.h5" >/dev/null 2>&1; then ok; else ko "h5dump cannot open the trace"; fi
for ds in /training/iterations /training/collectives /training/ranks /topology/nodes /topology/links \
          /timeseries/activity /scenario/source /scenario/resolved /summary/iteration_time_mean; do
  if h5dump -a "$ds/units" "$tmp/a.h5" >/dev/null 2>&1; then ok; else ko "$ds missing or has no units attribute"; fi
done
for a in schema_version software_version seed scenario_sha256 created; do
  if h5dump -a "/$a" "$tmp/a.h5" >/dev/null 2>&1; then ok; else ko "root attribute $a missing"; fi
done
# Determinism: identical datasets (the 'created' attribute is the only thing allowed to differ).
if h5diff --exclude-attribute / "$tmp/a.h5" "$tmp/b.h5" >/dev/null 2>&1; then ok; else ko "same scenario and seed gave different datasets"; fi
if grep -q 'cost: simulated' "$tmp/err"; then ok; else ko "no cost line on stderr"; fi
run_ok small-analytic scenarios/tests/small.yaml -o "$tmp/c.h5" --set run.fidelity=analytic
run_ok default scenarios/default.yaml -o "$tmp/demo.h5" --set workload.iterations=2
run_ok set-overrides scenarios/tests/small.yaml -o "$tmp/d.h5" --set topology.accelerators=5 \
  --set workload.gradient_bytes=3MiB --seed 9
if h5dump -d /summary/topology_accelerators "$tmp/d.h5" 2>/dev/null | grep -q '(0): 5'; then ok
else ko "--set topology.accelerators=5 did not reach the trace"; fi
if h5dump -a /seed "$tmp/d.h5" 2>/dev/null | grep -q '(0): 9'; then ok; else ko "--seed 9 did not reach the trace"; fi
if "$OASTWIN" schema --markdown | cmp -s - docs/scenario-reference.md; then ok
else ko "docs/scenario-reference.md is out of date: run 'make docs'"; fi
if "$OASTWIN" validate scenarios/default.yaml | grep -q '72 accelerators'; then ok; else ko "validate does not describe the scenario"; fi

# ---- 3. bad overrides and CLI errors ----
expect_err() { # name, want-first-line, args...
  n=$1; want=$2; shift 2
  "$OASTWIN" "$@" >/dev/null 2>"$tmp/err"; rc=$?
  got=$(head -n 1 "$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$got" = "$want" ]; then ok; else ko "$n: exit $rc
   want: $want
   got:  $got"; fi
}
expect_err set-unknown "--set:1:10: error: unknown key 'topology.lnk' (did you mean 'topology.link'?)" \
  run scenarios/tests/small.yaml --set topology.lnk=3 -o "$tmp/x.h5"
expect_err set-bad-value "--set:2:25: error: 'topology.link.bandwidth': '7' needs a unit of bandwidth (for example '400 GB/s')" \
  run scenarios/tests/small.yaml --set run.fidelity=flow --set topology.link.bandwidth=7 -o "$tmp/x.h5"
expect_err set-no-equals "--set:1:1: error: expected KEY=VALUE (e.g. topology.planes=8), got 'topology.planes'" \
  run scenarios/tests/small.yaml --set topology.planes -o "$tmp/x.h5"
expect_err missing-file "tests/bad/no-such-file.yaml: error: cannot open scenario: No such file or directory" \
  run tests/bad/no-such-file.yaml -o "$tmp/x.h5"
expect_err directory "tests/bad: error: is a directory, not a scenario file" run tests/bad -o "$tmp/x.h5"
expect_err unknown-command "oastwin: error: unknown command 'frobnicate'" frobnicate
[ -e "$tmp/x.h5" ] && ko "a failed run left $tmp/x.h5" || ok

# ---- 4. interrupted runs: nothing at the output path, or a partial trace marked incomplete ----
"$OASTWIN" run scenarios/tests/small.yaml -o "$tmp/int.h5" --quiet --set workload.iterations=10000000 \
  --set run.sample_interval=1s >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rc=$?
if [ "$rc" -ne 130 ]; then ko "SIGINT: exit $rc, want 130"; else ok; fi
if ls "$tmp" | grep -q '^int\.h5'; then ko "SIGINT left a file at the output path"; else ok; fi
"$OASTWIN" run scenarios/tests/small.yaml -o "$tmp/ck.h5" --quiet --checkpoint-trace \
  --set workload.iterations=10000000 --set run.sample_interval=1s >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if h5dump -a /complete "$tmp/ck.h5" 2>/dev/null | grep -q '(0): 0'; then ok
else ko "--checkpoint-trace: no partial trace marked complete = 0 after SIGTERM"; fi
if h5dump -d /summary/stop_reason "$tmp/ck.h5" 2>/dev/null | grep -q 'interrupted'; then ok
else ko "--checkpoint-trace: stop_reason does not say interrupted"; fi

# ---- 5. sweeps (-j and mpirun), reports, HTML and the Python module: tests/sweep_tests.sh ----
. tests/sweep_tests.sh

# ---- 6. power, cooling and thermal throttling: tests/power_tests.sh ----
. tests/power_tests.sh

# ---- 7. oastwin bench (nccl-tests-like collective sweeps): tests/bench_tests.sh ----
. tests/bench_tests.sh

# ---- 8. LLM inference serving (traces, aggregated and disaggregated): tests/inference_tests.sh ----
. tests/inference_tests.sh

printf 'scenario tests: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
