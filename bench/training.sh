#!/bin/sh
# `make bench` section (called by bench/run.sh): LLM training replay at scale (docs/training.md).
#  1. one iteration of Llama 3 405B on 16,384 H100 (TP 8 x PP 16 x DP 128) at analytic fidelity:
#     goal under 60 s wall and 4 GB;
#  2. one iteration of Llama 3 70B on 1,024 H100 (TP 8 x PP 4 x DP 32) at flow fidelity: goal
#     under 10 minutes.
# Prints wall time, peak memory, simulated time, point-to-point transfers (simulated as flows, or
# priced analytically, for every rank the run stands for) and transfers per wall second.
# Figures, never pass/fail. BENCH_TRAINING=16k or 1k runs one of them.
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
which=${BENCH_TRAINING:-all}
out=$(mktemp -d "${TMPDIR:-/tmp}/oastwin-bench-training.XXXXXX")
trap 'rm -rf "$out"' EXIT

row() { # label, scenario, goal_s, goal_MiB, extra args...
  label=$1 y=$2 goal_s=$3 goal_mb=$4
  shift 4
  "$OASTWIN" run "$y" -q -o "$out/t.h5" "$@" 2>"$out/err" >/dev/null
  rc=$?
  line=$(grep 'cost: simulated' "$out/err" | tail -n 1)
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    printf '%-44s  failed: %s\n' "$label" "$(head -n 1 "$out/err")"
    return
  fi
  echo "$line" | sed -n 's/.*simulated \([0-9.e+-]*\) s in \([0-9.]*\) s wall; \([0-9]*\) transfers, \([0-9]*\) actors; peak memory \([0-9.]*\) MiB.*/\1 \2 \3 \4 \5/p' |
    awk -v l="$label" -v gs="$goal_s" -v gm="$goal_mb" '{
      ok = ($2 <= gs && $5 <= gm) ? "yes" : "NO"
      printf "%-44s %10.1f %10.1f %8.0f %14.4g %14.4g %10.3f %8s\n", l, $2, $5, $4, $3, ($2 > 0 ? $3 / $2 : 0), $1, ok }'
  "$BUILD/oastwin-report" --format csv "$out/t.h5" 2>/dev/null |
    awk -F, '$1 == "figure" && $2 == "symmetry" { gsub(/"/, "", $3); print "    symmetry: " $3 }'
  rm -f "$out/t.h5"
}

echo "== LLM training replay: one iteration (scenarios/bench/training-*.yaml) =="
printf '%-44s %10s %10s %8s %14s %14s %10s %8s\n' job wall_s peak_MiB actors transfers transfers/s sim_s in_goal
if [ "$which" = all ] || [ "$which" = 16k ]; then
  row "Llama3-405B 16384 H100 analytic (<60s,<4GB)" scenarios/bench/training-405b-16k.yaml 60 4096
  row "  same, collective_log=representative" scenarios/bench/training-405b-16k.yaml 60 4096 \
    --set workload.collective_log=representative
fi
if [ "$which" = all ] || [ "$which" = 1k ]; then
  row "Llama3-70B 1024 H100 flow (<600s)" scenarios/bench/training-70b-1k-flow.yaml 600 1000000
fi
exit 0
