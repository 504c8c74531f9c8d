#!/bin/sh
# `make bench` section: wall time of the OAS scorecard battery (docs/scorecard.md) for one
# 384-accelerator design, scenarios/designs/cloudmatrix384.yaml, with -j 2 (goal: under 5 minutes
# on 2 cores), and the sum of its sub-runs' own wall times (the work -j shares out). Never a test.
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
dir=${TMPDIR:-/tmp}/oastwin-scorecard-bench-$$
mkdir -p "$dir"
echo "== oastwin scorecard: the battery for one 384-accelerator design (goal < 300 s with -j 2 on 2 cores) =="
t0=$(date +%s.%N)
"$OASTWIN" scorecard scenarios/designs/cloudmatrix384.yaml -j 2 -q -o "$dir/cards.h5" >/dev/null 2>"$dir/err"
rc=$?
t1=$(date +%s.%N)
runs=$(ls "$dir"/cards.runs/cloudmatrix384/*.log 2>/dev/null | wc -l)
sub=$(cat "$dir"/cards.runs/cloudmatrix384/*.log 2>/dev/null |
      sed -n 's/.* in \([0-9.]*\) s wall;.*/\1/p' | awk '{ s += $1 } END { printf "%.1f", s }')
slow=$(for l in "$dir"/cards.runs/cloudmatrix384/*.log; do
         w=$(sed -n 's/.* in \([0-9.]*\) s wall;.*/\1/p' "$l")
         [ -n "$w" ] && echo "$w $(basename "$l" .log)"
       done | sort -rn | head -n 1)
printf '%-16s %6s %10s %16s %10s  %s\n' design runs wall_s sum_of_runs_s status slowest_run
printf '%-16s %6s %10.1f %16s %10s  %s\n' cloudmatrix384 "$runs" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$sub" \
  "$([ $rc -eq 0 ] && echo ok || echo "exit $rc")" "$slow"
[ $rc -eq 0 ] || head -n 3 "$dir/err"
rm -rf "$dir"
exit 0
