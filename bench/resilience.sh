#!/bin/sh
# `make bench` section: cost of the job timeline (models/resilience). For each scenario, the wall
# time and peak memory of the run with its full horizon and with the timeline cut at once
# (resilience.horizon = 1 s), so the difference is what the timeline itself costs, and the
# timeline's segments and /events rows. Set BENCH_LLAMA=1 to add the 16,384-GPU, 54-day
# Llama 3 405B-like example (about a minute of CPU for its detailed iteration).
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
tmp=/tmp/oastwin-bench-rs-$$

cost() { # "wall_s peak_MiB" from the cost line on stdin
  sed -n 's/.* in \([0-9.]*\) s wall;.*peak memory \([0-9.]*\) MiB.*/\1 \2/p' | tail -n 1
}
rows() { # rows of dataset $2 in trace $1
  h5dump -H -d "$2" "$1" 2>/dev/null | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p' | head -n 1
}

set -- scenarios/tests/resilience-small.yaml scenarios/examples/checkpoint-interval-sweep/base.yaml
[ "${BENCH_LLAMA:-0}" = 1 ] && set -- "$@" scenarios/examples/llama3-405b-goodput/llama3-405b.yaml
echo "== job timeline (resilience.mode: timeline) =="
printf '%-22s %12s %10s  %12s  %10s %10s\n' scenario full_wall_s full_MiB timeline_s segments events
for s in "$@"; do
  full=$("$OASTWIN" run "$s" -q -o "$tmp.h5" 2>&1 >/dev/null | cost)
  seg=$(rows "$tmp.h5" /resilience/timeline)
  ev=$(rows "$tmp.h5" /events)
  cut=$("$OASTWIN" run "$s" -q -o "$tmp.h5" --set resilience.horizon=1s 2>&1 >/dev/null | cost)
  rm -f "$tmp.h5"
  set -- $full $cut
  printf '%-22s %12s %10s  %12s  %10s %10s\n' "$(basename "$s" .yaml)" "$1" "$2" \
    "$(awk -v a="$1" -v b="$3" 'BEGIN { printf "%.3f", a - b }')" "$seg" "$ev"
done
exit 0
