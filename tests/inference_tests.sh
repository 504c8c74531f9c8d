# Inference serving; sourced by tests/scenario_tests.sh (uses its ok/ko counters, run_ok and
# expect_err, $tmp, $OASTWIN and $BUILD). Proves: tests/data/inference-tiny.yaml runs aggregated
# and disaggregated at both fidelities (and with per-step collectives as flows) and writes
# /inference/requests, /inference/steps, /inference/replicas and the latency, throughput and SLO
# figures with units; the same scenario and seed give identical datasets; broken request traces
# and inconsistent serving keys fail with exit 2 and their exact first error line; the
# capacity-planning example (on a 10-minute window of the trace) reports goodput for both
# configurations (or says it skipped, when
# ../shared/data/azure-llm-2023 is absent). Does not prove the latencies are right: that is
# tests/check_inference.c and docs/validation.md.
inf="$tmp/inference"
mkdir -p "$inf"
T=tests/data/inference-tiny.yaml
DIS="--set workload.serving.mode=disaggregated --set workload.serving.prefill.replicas=2 --set workload.serving.decode.replicas=2"

# ---- 8a. good runs ----
run_ok inference-analytic "$T" -o "$inf/a.h5"
run_ok inference-again "$T" -o "$inf/b.h5"
run_ok inference-flow "$T" -o "$inf/f.h5" --set run.fidelity=flow
run_ok inference-flow-steps "$T" -o "$inf/fs.h5" --set run.fidelity=flow --set workload.serving.step_collectives=flow
run_ok inference-disaggregated-flow "$T" -o "$inf/d.h5" --set run.fidelity=flow $DIS
run_ok inference-disaggregated-analytic "$T" -o "$inf/da.h5" $DIS
run_ok inference-mooncake-v0 "$T" -o "$inf/m.h5" --set workload.requests.trace.path=mooncake.jsonl \
  --set workload.serving.chunked_prefill=false --set workload.serving.router=least_kv
run_ok inference-synthetic-gamma "$T" -o "$inf/s.h5" --set workload.requests.arrival=gamma \
  --set workload.requests.trace.path= --set workload.requests.count=300 --set workload.requests.rate=100Hz \
  --set workload.requests.cv=3 --set workload.requests.prompt.distribution=empirical \
  --set workload.requests.prompt.file=azure-2023.csv --set workload.requests.output.distribution=uniform \
  --set workload.requests.output.min=10 --set workload.requests.output.max=100
for ds in /inference/requests /inference/steps /inference/replicas /summary/ttft_p99 /summary/tpot_p50 \
          /summary/e2e_p90 /summary/goodput_requests /summary/slo_attainment /summary/throughput_output_tokens; do
  if h5dump -a "$ds/units" "$inf/a.h5" >/dev/null 2>&1; then ok; else ko "inference: $ds missing or has no units"; fi
done
if h5dump -d /summary/requests_completed "$inf/a.h5" 2>/dev/null | grep -q '(0): 5'; then ok
else ko "inference: the 5 requests of azure-2023.csv did not all complete"; fi
if h5dump -d /summary/kv_transfers "$inf/d.h5" 2>/dev/null | grep -q '(0): 4'; then ok
else ko "inference: disaggregated run did not move 4 KV caches (one request has a single output token)"; fi
if h5dump -d /summary/requests_completed "$inf/s.h5" 2>/dev/null | grep -q '(0): 300'; then ok
else ko "inference: 300 synthetic requests did not complete"; fi
if h5diff --exclude-attribute / "$inf/a.h5" "$inf/b.h5" >/dev/null 2>&1; then ok
else ko "inference: same scenario and seed gave different datasets"; fi
# Uncongested: per-step collectives as flows take what the analytic pricing says.
a_tpot=$(h5dump -d /summary/tpot_mean "$inf/a.h5" 2>/dev/null | sed -n 's/.*(0): //p')
f_tpot=$(h5dump -d /summary/tpot_mean "$inf/fs.h5" 2>/dev/null | sed -n 's/.*(0): //p')
if awk -v a="$a_tpot" -v f="$f_tpot" 'BEGIN { d = a - f; if (d < 0) d = -d; exit !(a > 0 && d / a < 1e-6) }'; then ok
else ko "inference: TPOT with flow collectives $f_tpot s differs from analytic $a_tpot s"; fi

# ---- 8b. broken traces and inconsistent keys: exit 2, exact first line ----
expect_err inference-bad-row "tests/data/azure-bad-count.csv:3:33: error: GeneratedTokens: '4x4' is not a non-negative integer" \
  run "$T" -o "$inf/x.h5" --set workload.requests.trace.path=azure-bad-count.csv
expect_err inference-bad-json "tests/data/mooncake-bad-json.jsonl:2:42: error: expected ',' or '}', found '\"'" \
  run "$T" -o "$inf/x.h5" --set workload.requests.trace.path=mooncake-bad-json.jsonl
expect_err inference-no-trace "--set:1:30: error: cannot open the request trace 'tests/data/nope.csv' (resolved from 'nope.csv')" \
  run "$T" -o "$inf/x.h5" --set workload.requests.trace.path=nope.csv
expect_err inference-validate-bad-header "tests/data/azure-bad-header.csv:1:11: error: expected column 'ContextTokens' here (Azure header 'TIMESTAMP,ContextTokens,GeneratedTokens')" \
  validate "$T" --set workload.requests.trace.path=azure-bad-header.csv
expect_err inference-synthetic-key-on-trace "--set:1:24: error: 'workload.requests.rate' applies only when workload.requests.arrival is poisson|gamma" \
  run "$T" -o "$inf/x.h5" --set workload.requests.rate=5Hz
expect_err inference-trace-path-required "--set:1:30: error: 'workload.requests.trace.path' is required when workload.requests.arrival is trace (or set arrival to poisson or gamma for synthetic requests)" \
  run "$T" -o "$inf/x.h5" --set workload.requests.trace.path=
expect_err inference-ep-on-dense "--set:1:21: error: 'workload.serving.ep' is 2 but the model has no experts (dense models use ep 1)" \
  run "$T" -o "$inf/x.h5" --set workload.serving.ep=2
expect_err inference-flow-steps-analytic "--set:1:35: error: 'workload.serving.step_collectives' is flow but run.fidelity is analytic" \
  run "$T" -o "$inf/x.h5" --set workload.serving.step_collectives=flow
expect_err inference-uniform-tokens "--set:4:33: error: 'workload.requests.prompt.tokens' applies only to fixed and lognormal lengths (uniform uses min and max, empirical the file)" \
  run "$T" -o "$inf/x.h5" --set workload.requests.arrival=poisson --set workload.requests.trace.path= \
  --set workload.requests.prompt.distribution=uniform --set workload.requests.prompt.tokens=5 \
  --set workload.requests.count=3 --set workload.requests.rate=1Hz --set workload.requests.prompt.max=9 \
  --set workload.requests.output.tokens=4
[ -e "$inf/x.h5" ] && ko "inference: a failed run left $inf/x.h5" || ok

# ---- 8c. the capacity-planning example (Azure conversation trace) ----
OASTWIN="$OASTWIN" REPORT="$BUILD/oastwin-report" sh scenarios/examples/capacity-planning/run.sh "$inf/cap" \
  --set workload.requests.duration=600s \
  >"$inf/cap.out" 2>"$inf/cap.err"
rc=$?
if [ "$rc" -ne 0 ]; then ko "capacity-planning example: exit $rc: $(head -n 3 "$inf/cap.err")"
elif grep -q '^capacity-planning: skipped' "$inf/cap.out"; then
  echo "inference: capacity-planning example skipped (no ../shared/data/azure-llm-2023)"; ok
elif grep -Eq '^goodput_requests +1/s +[0-9.e+-]+ +[0-9.e+-]+' "$inf/cap.out"; then ok
else ko "capacity-planning example printed no goodput for both configurations: $(cat "$inf/cap.out")"; fi
