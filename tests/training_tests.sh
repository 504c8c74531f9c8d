# Sourced by tests/scenario_tests.sh (section 11; uses its ok/ko counters, $tmp, $OASTWIN, $REPORT).
# Proves, on the real binary, for workload.kind = training (docs/training.md):
#  a. a generated job writes /training/{iterations,collectives,ranks,groups,stages,operators} with
#     units, and its breakdown adds up (compute + exposed + bubble + idle = iteration time);
#  b. the symmetry collapse is exact: stage classes and replica classes give the same trace, bit
#     for bit, as simulating every rank (h5diff);
#  c. flow and analytic fidelity agree on an uncongested job; the same scenario twice is identical;
#  d. an op list replays at both fidelities with its iterations;
#  e. the example and benchmark scenarios validate, and the ten Megatron-LM rows
#     (analysis/validate_megatron.sh --check) land within +-15% of the published TFLOPS per GPU.
# It does not prove the efficiencies are right for other hardware (docs/sources.md says how they
# were set), nor anything at flow fidelity at scale (bench/training.sh measures that).
tt="$tmp/training"
mkdir -p "$tt"
REPORT=${REPORT:-build/oastwin-report}
tfig() { # trace, figure -> value
  "$REPORT" --format csv "$1" | awk -F, -v n="$2" '$1 == "figure" && $2 == n { print $3 }'
}
trun() { # name, args... (a run that must succeed)
  n=$1
  shift
  if "$OASTWIN" run "$@" --quiet >/dev/null 2>"$tt/err"; then ok; else ko "training $n: $(head -n 3 "$tt/err")"; fi
}
same() { # name, a.h5, b.h5: identical datasets but the symmetry note and the resolved scenario
  if h5diff --exclude-attribute / --exclude-path /summary/symmetry --exclude-path /scenario/resolved \
    "$2" "$3" >/dev/null 2>&1; then ok; else ko "training $1: $2 and $3 differ"; fi
}

# ---- 11a. tables, units, breakdown ----
trun small scenarios/tests/training-small.yaml -o "$tt/small.h5"
for ds in /training/iterations /training/collectives /training/ranks /training/groups /training/stages \
          /training/operators /summary/mfu /summary/time_to_train /summary/achieved_flops_per_accelerator; do
  if h5dump -a "$ds/units" "$tt/small.h5" >/dev/null 2>&1; then ok; else ko "training: $ds missing or without units"; fi
done
if [ "$(tfig "$tt/small.h5" iterations_completed)" = 2 ]; then ok; else ko "training small: not 2 iterations"; fi
if awk -v d="$(tfig "$tt/small.h5" iteration_time_mean)" -v c="$(tfig "$tt/small.h5" compute_time_mean)" \
     -v e="$(tfig "$tt/small.h5" exposed_comm_time_mean)" -v b="$(tfig "$tt/small.h5" bubble_time_mean)" \
     -v i="$(tfig "$tt/small.h5" idle_time_mean)" -v m="$(tfig "$tt/small.h5" mfu)" \
     'BEGIN { s = c + e + b + i; exit !(d > 0 && c > 0 && e > 0 && b > 0 && i >= -1e-12 &&
                                         (s - d) < 1e-9 * d && (d - s) < 1e-9 * d && m > 0 && m < 1) }'
then ok; else ko "training small: compute + exposed + bubble + idle differs from the iteration time"; fi

# ---- 11b. symmetry: collapsed runs equal full-resolution ones ----
trun small-full scenarios/tests/training-small.yaml -o "$tt/small-full.h5" --set workload.symmetry=off
same stage-classes "$tt/small.h5" "$tt/small-full.h5"
case $(tfig "$tt/small.h5" symmetry) in
  "collapsed: 16 ranks simulated as 4 "*) ok ;;
  *) ko "training small: not collapsed to one actor per stage: $(tfig "$tt/small.h5" symmetry)" ;;
esac
trun cluster scenarios/tests/training-cluster.yaml -o "$tt/cluster.h5"
trun cluster-full scenarios/tests/training-cluster.yaml -o "$tt/cluster-full.h5" --set workload.symmetry=off
same replica-classes "$tt/cluster.h5" "$tt/cluster-full.h5"
case $(tfig "$tt/cluster.h5" symmetry) in
  *"(2 classes of data-parallel replicas"*) ok ;;
  *) ko "training cluster: want 2 replica classes: $(tfig "$tt/cluster.h5" symmetry)" ;;
esac
trun cluster-rep scenarios/tests/training-cluster.yaml -o "$tt/cluster-rep.h5" \
  --set workload.collective_log=representative
full_rows=$(h5dump -H -d /training/collectives "$tt/cluster.h5" | sed -n 's/.*SIMPLE { ( \([0-9]*\) ).*/\1/p' | head -n 1)
rep_rows=$(h5dump -H -d /training/collectives "$tt/cluster-rep.h5" | sed -n 's/.*SIMPLE { ( \([0-9]*\) ).*/\1/p' | head -n 1)
if [ -n "$rep_rows" ] && [ "$rep_rows" -gt 0 ] && [ "$rep_rows" -lt "$full_rows" ]; then ok
else ko "training: collective_log=representative wrote $rep_rows rows, all wrote $full_rows"; fi

# ---- 11c. fidelities and determinism ----
trun small-flow scenarios/tests/training-small.yaml -o "$tt/small-flow.h5" --set run.fidelity=flow
if awk -v a="$(tfig "$tt/small.h5" iteration_time_mean)" -v f="$(tfig "$tt/small-flow.h5" iteration_time_mean)" \
     'BEGIN { r = f / a - 1; exit !(r < 0.02 && r > -0.02) }'; then ok
else ko "training small: flow and analytic iteration times differ by more than 2%"; fi
trun small-again scenarios/tests/training-small.yaml -o "$tt/small-again.h5"
if h5diff --exclude-attribute / "$tt/small.h5" "$tt/small-again.h5" >/dev/null 2>&1; then ok
else ko "training small: the same scenario twice gave different datasets"; fi

# ---- 11d. op-list replay ----
trun replay scenarios/tests/training-replay.yaml -o "$tt/replay.h5"
trun replay-flow scenarios/tests/training-replay.yaml -o "$tt/replay-flow.h5" --set run.fidelity=flow
if [ "$(tfig "$tt/replay.h5" iterations_completed)" = 2 ] &&
   awk -v a="$(tfig "$tt/replay.h5" iteration_time_mean)" -v f="$(tfig "$tt/replay-flow.h5" iteration_time_mean)" \
     'BEGIN { r = f / a - 1; exit !(a > 0 && r < 0.01 && r > -0.01) }'; then ok
else ko "training replay: 2 iterations at both fidelities within 1%"; fi

# ---- 11e. examples, benchmarks, presets; the Megatron-LM table ----
for y in scenarios/examples/llama3-70b-on-4-cloudmatrix/llama3-70b.yaml scenarios/bench/training-405b-16k.yaml \
         scenarios/bench/training-70b-1k-flow.yaml; do
  if "$OASTWIN" validate "$y" >/dev/null 2>"$tt/err"; then ok; else ko "training: $y: $(head -n 1 "$tt/err")"; fi
done
for m in gpt3-175b:1.74616e+11 llama3-70b:7.05537e+10 llama3-405b:4.05853e+11 deepseek-v3:6.71026e+11; do
  if "$OASTWIN" validate scenarios/tests/training-preset.yaml --set "workload.model.preset=${m%%:*}" \
       2>"$tt/err" | grep -q "(${m##*:} parameters"; then ok
  else ko "training: model preset ${m%%:*} does not load with ${m##*:} parameters: $(head -n 1 "$tt/err")"; fi
done
if OASTWIN=$OASTWIN REPORT=$REPORT sh analysis/validate_megatron.sh --check -j 2 >"$tt/megatron" 2>&1; then ok
else ko "training: Megatron-LM weak scaling outside +-15%:
$(cat "$tt/megatron")"; fi
