#!/bin/sh
# Replays the Azure LLM conversation trace against the two configurations of this folder and
# prints the goodput and latencies of each. Usage: sh run.sh [OUT_DIR [--set KEY=VALUE ...]]
# (from anywhere; the --set overrides apply to both runs, e.g. a shorter window for a quick look:
# --set workload.requests.duration=600s).
# Needs build/oastwin (make) and the trace in ../shared/data/azure-llm-2023/ next to the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
bin=${OASTWIN:-$top/build/oastwin}
report=${REPORT:-$top/build/oastwin-report}
out=${1:-$here}
[ $# -gt 0 ] && shift
trace="$here/../../../../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv"
if [ ! -r "$trace" ]; then
  echo "capacity-planning: skipped: the Azure conversation trace is not at $trace"
  echo "  (download data/AzureLLMInferenceTrace_conv.csv from github.com/Azure/AzurePublicDataset)"
  exit 0
fi
mkdir -p "$out"
for cfg in aggregated disaggregated; do
  "$bin" run "$here/$cfg.yaml" -q -o "$out/$cfg.h5" "$@"
done
echo "Azure conversation trace x2.5 on 16 accelerators, SLO TTFT 450 ms / TPOT 40 ms:"
"$report" --compare "$out/aggregated.h5" "$out/disaggregated.h5" |
  grep -E '^(figure|goodput_requests|slo_attainment|slo_ttft_attainment|slo_tpot_attainment|ttft_p50|ttft_p99|tpot_p50|tpot_p99|throughput_output_tokens|kv_transfer_time_mean) '
