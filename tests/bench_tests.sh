# `oastwin bench`, sourced by tests/scenario_tests.sh (uses its ok, ko, expect_err, $tmp and
# $OASTWIN). What it proves:
#  1. a sweep prints the nccl-tests-like table, writes /bench (units on every column) beside
#     /topology and the bench figures, ignores the scenario's workload, and twice gives
#     identical datasets, at both fidelities;
#  2. bad options and scenarios fail with exit 2, a clear first line and no output file;
#  3. `oastwin run` and `validate` take a collbench workload written in a scenario.
# The closed-form and bandwidth figures themselves are checked in tests/check_collbench.c.
bs=scenarios/tests/small.yaml
case $OASTWIN in /*) boast=$OASTWIN ;; *) boast=$PWD/$OASTWIN ;; esac

# ---- 1. a sweep ----
if "$OASTWIN" bench "$bs" -o "$tmp/bench1.h5" --sizes 1KiB:1MiB >"$tmp/bench.out" 2>"$tmp/err"; then ok
else ko "bench small: $(cat "$tmp/err")"; fi
if grep -q '^#      size(B)  op  ' "$tmp/bench.out"; then ok; else ko "bench printed no table header"; fi
for op in allreduce allgather reducescatter alltoall broadcast p2p; do
  n=$(grep -c "^ *[0-9][0-9]*  $op " "$tmp/bench.out")
  if [ "$n" -eq 11 ]; then ok; else ko "bench: $n rows of $op on stdout, want 11 (1 KiB .. 1 MiB)"; fi
done
if grep -q 'cost: simulated' "$tmp/err"; then ok; else ko "bench: no cost line on stderr"; fi
for ds in /bench /topology/nodes /topology/links /scenario/resolved /summary/bench_allreduce_busbw_peak \
          /summary/bench_alltoall_time_smallest /summary/bench_p2p_busbw_largest /summary/bench_group_size; do
  if h5dump -a "$ds/units" "$tmp/bench1.h5" >/dev/null 2>&1; then ok; else ko "bench: $ds missing or without units"; fi
done
units=$(h5dump -a /bench/units "$tmp/bench1.h5" 2>/dev/null | sed -n '/DATA {/,/}/p' | grep -o '"[^"]*"' | \
  sed 's/\\000//g' | tr '\n' ',')
if [ "$units" = '"","","","1","","1","1","B","s","B/s","B/s","s","1",' ]; then ok
else ko "bench: /bench units are not (op..time_vs_closed_form) = (,,,1,,1,1,B,s,B/s,B/s,s,1)"; fi
if h5dump -d /scenario/resolved "$tmp/bench1.h5" 2>/dev/null | grep -q 'kind: collbench'; then ok
else ko "bench: the resolved scenario does not record workload.kind collbench"; fi
if h5dump -d /scenario/resolved "$tmp/bench1.h5" 2>/dev/null | grep -q 'gradient_bytes'; then
  ko "bench: the scenario's dp_allreduce workload leaked into the resolved scenario"; else ok; fi
"$OASTWIN" bench "$bs" -o "$tmp/bench2.h5" --sizes 1KiB:1MiB -q >"$tmp/quiet.out" 2>/dev/null
if [ ! -s "$tmp/quiet.out" ]; then ok; else ko "bench -q printed on stdout"; fi
if h5diff --exclude-attribute / "$tmp/bench1.h5" "$tmp/bench2.h5" >/dev/null 2>&1; then ok
else ko "bench: the same scenario twice gave different datasets"; fi
if "$OASTWIN" bench "$bs" -q -o "$tmp/bench3.h5" --sizes 1KiB:1MiB --set run.fidelity=analytic 2>"$tmp/err"; then ok
else ko "bench analytic: $(cat "$tmp/err")"; fi
if (cd "$tmp" && "$boast" bench "$OLDPWD/$bs" -q --ops p2p --sizes 1MiB 2>/dev/null) && [ -f "$tmp/small-bench.h5" ]; then ok
else ko "bench without -o did not write NAME-bench.h5"; fi

# ---- 2. errors ----
expect_err bench-sizes-reversed "oastwin: error: --sizes: the lower bound 4.29497 GB is above the upper bound 1.024 kB" \
  bench "$bs" --sizes 4GiB:1KiB -o "$tmp/x.h5"
expect_err bench-sizes-unitless "oastwin: error: --sizes: '1024' needs a unit of data size (for example '128 GiB')" \
  bench "$bs" --sizes=1024 -o "$tmp/x.h5"
expect_err bench-unknown-op "oastwin: error: --ops: unknown operation 'allreduc' (did you mean 'allreduce'?)" \
  bench "$bs" --ops allreduc,p2p -o "$tmp/x.h5"
expect_err bench-unknown-alg "oastwin: error: --algorithm: unknown algorithm 'tree' (one of auto, ring, dbtree, rhd, direct, pairwise, hier, multiplane, torus)" \
  bench "$bs" --algorithm tree -o "$tmp/x.h5"
expect_err bench-unknown-group "oastwin: error: --group: unknown group 'rack' (one of all, node, supernode)" \
  bench "$bs" --group rack -o "$tmp/x.h5"
expect_err bench-missing-value "oastwin: error: '--ops' needs a value" bench "$bs" -o "$tmp/x.h5" --ops
expect_err bench-alg-cannot "--ops:1:20: error: 'workload.bench.ops': algorithm 'ring' cannot do alltoall (it does allreduce, allgather, reducescatter, broadcast, p2p)" \
  bench "$bs" --algorithm ring --ops alltoall -o "$tmp/x.h5"
expect_err bench-group-of-one "--group:1:22: error: group 'node' has 1 accelerator on this machine (8 accelerators, 1 per node, 8 per supernode); a collective needs at least 2" \
  bench "$bs" --group node -o "$tmp/x.h5"
expect_err bench-hier-flat "--algorithm:1:26: error: algorithm 'hier' needs a group spanning several nodes or supernodes; group 'all' has 8 accelerators and no level below it on this machine" \
  bench "$bs" --algorithm hier -o "$tmp/x.h5"
expect_err bench-too-big "--sizes:1:22: error: 'workload.bench.sizes': the largest message (1.09951 TB) does not fit in HBM (hardware.accelerator.hbm_capacity = 85.8993 GB)" \
  bench "$bs" --sizes 1KiB:1TiB -o "$tmp/x.h5"
expect_err bench-kind "oastwin: error: 'oastwin bench' runs the collbench workload; --set workload.kind cannot change it (use 'oastwin run' for other workloads)" \
  bench "$bs" --set workload.kind=dp_allreduce -o "$tmp/x.h5"
expect_err bench-foreign-key "--set:1:21: error: 'workload.iterations' applies only when workload.kind is dp_allreduce" \
  bench "$bs" --set workload.iterations=3 -o "$tmp/x.h5"
expect_err bench-no-scenario "oastwin: error: 'bench' needs a SCENARIO file" bench --ops p2p
[ -e "$tmp/x.h5" ] && ko "a failed bench left $tmp/x.h5" || ok
if "$OASTWIN" bench --help | grep -q '^usage: oastwin bench SCENARIO'; then ok; else ko "bench --help"; fi

# ---- 3. a collbench workload written in a scenario ----
sed '/^workload:/,$d' "$bs" >"$tmp/cb.yaml"
cat >>"$tmp/cb.yaml" <<'EOF'
workload:
  kind: collbench
  bench:
    ops: alltoall, allreduce
    sizes: 1 MiB:4 MiB
    algorithm: multiplane
    plane_algorithm: auto
run:
  fidelity: analytic
EOF
if "$OASTWIN" run "$tmp/cb.yaml" -q -o "$tmp/cb.h5" 2>"$tmp/err"; then ok; else ko "run collbench: $(cat "$tmp/err")"; fi
if h5dump -d /summary/bench_collectives "$tmp/cb.h5" 2>/dev/null | grep -q '(0): 6'; then ok
else ko "run collbench: want 6 collectives (2 ops x 3 sizes)"; fi
if "$OASTWIN" validate "$tmp/cb.yaml" | grep -q 'collective benchmark of alltoall, allreduce at 3 sizes'; then ok
else ko "validate does not describe the collbench workload"; fi
