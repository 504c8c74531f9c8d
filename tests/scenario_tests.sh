#!/bin/sh
# Scenario-level tests: run the real binary and check what it prints and writes.
#  1. every tests/bad/NAME.yaml fails with exit 2, its first stderr line equal to tests/bad/NAME.err,
#     and no output file (sweep-NAME.yaml files are sweep files, given to `oastwin sweep`);
#  2. the default and test scenarios run, write a trace h5dump can open, twice identically;
#  3. --set overrides and their errors; an interrupted run leaves no output file;
#  9. the scorecard command: cards side by side, CSV/JSON/HTML, byte-identical twice, design errors;
# 10. hardening: malformed request traces and op lists (tests/bad_traces/), resource limits.
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
  case $name in sweep-*) cmd=sweep ;; *) cmd=run ;; esac
  "$OASTWIN" $cmd "$y" -o "$out" --quiet >/dev/null 2>"$tmp/err"
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

# ---- 4b. the OAS scorecard (docs/scorecard.md; tests/check_scorecard.c checks the figures). Before the
#      sweep tests: their Python check reads the cards and the degraded trace written here at $tmp/. ----
sc=scenarios/tests/scorecard-tiny.yaml
mkdir -p "$tmp/sc"
if SOURCE_DATE_EPOCH=1700000000 "$OASTWIN" scorecard "$sc" -o "$tmp/scorecard.h5" --html "$tmp/sc/cards.html" \
     -q -j 2 >"$tmp/sc/text" 2>"$tmp/err"; then ok; else ko "scorecard on the tiny design: $(cat "$tmp/err")"; fi
cp "$tmp/scorecard.h5" "$tmp/sc/first.h5" 2>/dev/null
if grep -q 'busbw_allreduce_1GiB_supernode  *B/s  *higher' "$tmp/sc/text"; then ok
else ko "scorecard: no side-by-side row with unit and direction"; fi
if grep -q '</html>' "$tmp/sc/cards.html" && grep -q '<svg' "$tmp/sc/cards.html"; then ok
else ko "scorecard --html: no complete page with charts"; fi
SOURCE_DATE_EPOCH=1700000000 "$OASTWIN" scorecard "$sc" -o "$tmp/scorecard.h5" -q -j 1 >/dev/null 2>&1
if cmp -s "$tmp/scorecard.h5" "$tmp/sc/first.h5"; then ok
else ko "scorecard: the same design twice (-j 2, then -j 1) gave different cards"; fi
"$OASTWIN" scorecard "$sc" -o "$tmp/sc/cards.h5" -q --format csv >"$tmp/sc/csv" 2>/dev/null
if [ "$(wc -l <"$tmp/sc/csv")" -eq 64 ] && head -n 1 "$tmp/sc/csv" | grep -q '^design,category,metric,value,unit,direction,battery_version$'
then ok; else ko "scorecard --format csv: want a header and 63 rows"; fi
"$OASTWIN" scorecard "$sc" -o "$tmp/sc/cards.h5" -q --format json >"$tmp/sc/json" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["battery_version"]==1 and len(d["metrics"])==63' \
     "$tmp/sc/json" 2>/dev/null; then ok; else ko "scorecard --format json: not one JSON document with 63 metrics"; fi
"$OASTWIN" scorecard -q >/dev/null 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q 'no DESIGN.yaml given' "$tmp/err"; then ok; else ko "scorecard without designs: want exit 2"; fi
"$OASTWIN" scorecard "$sc" --format xml >/dev/null 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q "unknown format 'xml'" "$tmp/err"; then ok; else ko "scorecard --format xml: want exit 2"; fi
"$OASTWIN" scorecard scenarios/tests/small.yaml -o "$tmp/sc/bad.h5" -q >/dev/null 2>"$tmp/err"
if [ $? -eq 2 ] && [ "$(head -n 1 "$tmp/err")" = "scenarios/tests/small.yaml:5:1: error: a design holds hardware, topology, power, cooling and storage only; 'seed' is supplied by the scorecard battery (docs/scorecard.md)" ] \
   && [ ! -e "$tmp/sc/bad.h5" ]; then ok; else ko "scorecard on a scenario (seed, workload, run): $(head -n 1 "$tmp/err")"; fi
# a degraded run with nothing failed is the bench itself; an unknown link is refused
"$OASTWIN" bench "$sc" --ops allreduce --sizes 1GiB --group supernode -o "$tmp/sc/b1.h5" -q 2>/dev/null
"$OASTWIN" scorecard run-degraded "$sc" --down none -o "$tmp/sc/b2.h5" -q --set workload.kind=collbench \
  --set workload.bench.ops=allreduce --set workload.bench.sizes=1GiB --set workload.bench.group=supernode 2>/dev/null
if [ -s "$tmp/sc/b1.h5" ] && [ "$(h5dump -d /bench "$tmp/sc/b1.h5" | tail -n +2)" = "$(h5dump -d /bench "$tmp/sc/b2.h5" | tail -n +2)" ]
then ok; else ko "scorecard run-degraded --down none differs from oastwin bench"; fi
"$OASTWIN" scorecard run-degraded "$sc" --down 0-3,999 -o "$tmp/sc/b3.h5" -q --set workload.kind=collbench 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'link 999 does not exist' "$tmp/err" && [ ! -e "$tmp/sc/b3.h5" ]; then ok
else ko "scorecard run-degraded with an unknown link: $(cat "$tmp/err")"; fi

"$OASTWIN" scorecard run-degraded "$sc" --down 0,4 -o "$tmp/scorecard-degraded.h5" -q --set workload.kind=collbench \
  --set workload.bench.ops=allreduce --set workload.bench.sizes=1GiB 2>"$tmp/err"
if h5dump -d /degraded/links "$tmp/scorecard-degraded.h5" 2>/dev/null | grep -q '"0,4"'; then ok
else ko "scorecard run-degraded --down 0,4: no /degraded/links in the trace ($(cat "$tmp/err"))"; fi

# ---- 5. sweeps (-j and mpirun), reports, HTML and the Python module: tests/sweep_tests.sh ----
. tests/sweep_tests.sh

# ---- 6. power, cooling and thermal throttling: tests/power_tests.sh ----
. tests/power_tests.sh

# ---- 7. oastwin bench (nccl-tests-like collective sweeps): tests/bench_tests.sh ----
. tests/bench_tests.sh

# ---- 8. LLM inference serving (traces, aggregated and disaggregated): tests/inference_tests.sh ----
. tests/inference_tests.sh

# ---- 10. hardening: bad request traces and op lists, YAML hazards, resource limits: tests/hardening_tests.sh ----
. tests/hardening_tests.sh

# ---- 11. LLM training replay (generated jobs, symmetry, op lists, Megatron-LM table): tests/training_tests.sh ----
. tests/training_tests.sh

printf 'scenario tests: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
