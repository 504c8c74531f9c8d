#!/bin/sh
# `make bench` section: cost of `oastwin bench` sweeps (wall time and peak memory), never a test.
# Every operation from 1 KiB to 4 GiB (138 collectives) on the presets of
# scenarios/examples/compare-topologies at the analytic fidelity, and a few sizes at the flow
# fidelity on NVL72 (all-reduce, all-to-all) and CloudMatrix384 (all-reduce: a pairwise all-to-all
# over 384 ranks is 147,072 flows per size, about 20 s each at flow fidelity).
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
ex=scenarios/examples/compare-topologies
out=${TMPDIR:-/tmp}/oastwin-collbench-$$.h5
cost() { # "wall_s peak_MiB transfers" from the cost line on stdin
  sed -n 's/.* in \([0-9.]*\) s wall; \([0-9]*\) transfers.*peak memory \([0-9.]*\) MiB.*/\1 \3 \2/p' | tail -n 1
}
echo "== oastwin bench: collective sweeps =="
printf '%-18s %-9s %-28s %10s %9s %12s\n' scenario fidelity sweep wall_s MiB transfers
for s in nvl72 cloudmatrix384 oas-reference torus-256 nvl72x4-cluster; do
  c=$("$OASTWIN" bench "$ex/$s.yaml" -q -o "$out" 2>&1 >/dev/null | cost)
  set -- $c
  printf '%-18s %-9s %-28s %10s %9s %12s\n' "$s" analytic "6 ops, 1KiB:4GiB" "$1" "$2" "$3"
done
for run in "nvl72 allreduce,alltoall 1MiB:64MiB" "cloudmatrix384 allreduce 16MiB:64MiB"; do
  set -- $run
  s=$1 ops=$2 sizes=$3
  c=$("$OASTWIN" bench "$ex/$s.yaml" -q -o "$out" --set run.fidelity=flow --ops "$ops" --sizes "$sizes" \
        2>&1 >/dev/null | cost)
  set -- $c
  printf '%-18s %-9s %-28s %10s %9s %12s\n' "$s" flow "$ops $sizes" "$1" "$2" "$3"
done
rm -f "$out"
