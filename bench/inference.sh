#!/bin/sh
# `make bench`, inference section (run by bench/run.sh): wall time, peak memory and simulated
# time of LLM serving against the speed goals of issue 5:
#  - the whole Azure conversation trace (19,366 requests) on a 384-accelerator supernode serving
#    a 70B-class model (goal: < 10 s wall), aggregated, and disaggregated with KV flows;
#  - one million synthetic requests on the same machine (goal: < 2 min wall).
# The Azure trace is read from ../shared/data/azure-llm-2023/; without it those rows are skipped.
# Wall time depends on the load of the machine: the user CPU seconds are printed too.
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
TMP=${TMPDIR:-/tmp}/oastwin-bench-inference-$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

# runs OASTWIN with the given arguments; prints "wall_s cpu_s peak_MiB sim_s requests/s"
measure() {
  /usr/bin/env time -f '%U %S' -o "$TMP/time" "$OASTWIN" run "$@" -q -o "$TMP/out.h5" 2>"$TMP/err" >/dev/null
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAILED (exit $rc): $(head -n 1 "$TMP/err")"
    return
  fi
  wall=$(sed -n 's/.* in \([0-9.]*\) s wall;.*/\1/p' "$TMP/err" | tail -n 1)
  mem=$(sed -n 's/.*peak memory \([0-9.]*\) MiB.*/\1/p' "$TMP/err" | tail -n 1)
  sim=$(sed -n 's/.*cost: simulated \([0-9.e+]*\) s in.*/\1/p' "$TMP/err" | tail -n 1)
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$TMP/time")
  thr=$("$BUILD/oastwin-report" --format csv "$TMP/out.h5" 2>/dev/null |
        awk -F, '$2 == "throughput_requests" { printf "%.4g", $3 }')
  printf '%s %s %s %s %s\n' "$wall" "$cpu" "$mem" "$sim" "${thr:--}"
}

row() { # label goal_s args...
  label=$1
  goal=$2
  shift 2
  set -- $(measure "$@")
  if [ "$1" = "FAILED" ]; then
    printf '%-44s %s\n' "$label" "$*"
    return
  fi
  verdict=$(awk -v w="$1" -v g="$goal" 'BEGIN { print (w < g) ? "met" : "MISSED" }')
  printf '%-44s %8s %8s %9s %10s %10s  %s (< %s s)\n' "$label" "$1" "$2" "$3" "$4" "$5" "$verdict" "$goal"
}

echo
echo "== inference serving: Llama-3.1-70B-class model, 384 accelerators (48 replicas x TP 8) =="
printf '%-44s %8s %8s %9s %10s %10s  %s\n' case wall_s cpu_s peak_MiB sim_s req/s goal
if [ -r ../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv ]; then
  row "Azure conv trace, aggregated, analytic" 10 scenarios/bench/inference-azure-conv.yaml
  row "Azure conv trace, 32P+16D TP8, KV flows" 10 scenarios/bench/inference-azure-conv.yaml \
    --set run.fidelity=flow --set workload.serving.mode=disaggregated \
    --set workload.serving.prefill.replicas=32 --set workload.serving.decode.replicas=16
  row "1,000,000 synthetic requests, aggregated" 120 scenarios/bench/inference-synthetic-1m.yaml
else
  echo "skipped: ../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv is absent (both cases read it)"
fi
exit 0
