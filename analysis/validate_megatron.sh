#!/bin/sh
# Megatron-LM weak-scaling validation: runs the ten GPT rows of Narayanan et al. (SC'21, Table 1)
# in scenarios/validation/megatron/ with one shared set of efficiency parameters (the schema
# defaults), and compares the simulated TFLOPS per GPU (summary figure
# achieved_flops_per_accelerator, Megatron-LM's counting with recomputation) with the published
# ones. Every row must land within +-15%.
#
# usage: analysis/validate_megatron.sh [--check] [--write] [-j N] [--set KEY=VALUE]...
#   --check   print the table; exit 1 if a row is off by more than 15% (used by `make check`)
#   --write   also replace the "Training: Megatron-LM weak scaling" section of docs/validation.md
#   -j N      run N rows at a time (default 1)
#   --set     passed to every run (e.g. --set run.fidelity=flow)
# Environment: OASTWIN, REPORT (binaries; default build/oastwin, build/oastwin-report).
# Needs only sh, awk and the two binaries.
set -u
OASTWIN=${OASTWIN:-build/oastwin}
REPORT=${REPORT:-build/oastwin-report}
DIR=scenarios/validation/megatron
DOC=docs/validation.md
TOL=15
check=0
write=0
jobs=1
sets=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --write) write=1 ;;
    -j) shift; jobs=$1 ;;
    --set) shift; sets="$sets --set $1" ;;
    *) echo "validate_megatron.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oastwin-megatron.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# row file, published TFLOPS per GPU (Narayanan et al., SC'21, Table 1; REFERENCE.md)
ROWS="row01-gpt-1.7b 137
row02-gpt-3.6b 138
row03-gpt-7.5b 142
row04-gpt-18.4b 135
row05-gpt-39.1b 138
row06-gpt-76.1b 140
row07-gpt-145.6b 148
row08-gpt-310.1b 155
row09-gpt-529.6b 163
row10-gpt-1008b 163"

figure() { # trace, name -> value
  "$REPORT" --format csv "$1" | awk -F, -v n="$2" '$1 == "figure" && $2 == n { print $3 }'
}

run_row() { # row file, published -> $tmp/ROW.line (and $tmp/ROW.bad when out of range)
  row=$1 pub=$2
  y="$DIR/$row.yaml"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  if ! "$OASTWIN" run "$y" -q -o "$tmp/$row.h5" $sets 2>"$tmp/$row.err"; then
    echo "validate_megatron.sh: $row failed: $(head -n 1 "$tmp/$row.err")" >&2
    echo "| $row | failed |" >"$tmp/$row.line"
    : >"$tmp/$row.bad"
    return
  fi
  t1=$(date +%s.%N)
  sim=$(figure "$tmp/$row.h5" achieved_flops_per_accelerator)
  bub=$(figure "$tmp/$row.h5" bubble_fraction)
  com=$(figure "$tmp/$row.h5" comm_fraction)
  ranks=$(figure "$tmp/$row.h5" ranks)
  rm -f "$tmp/$row.h5"
  tp=$(awk '/^    tp:/ {print $2}' "$y")
  pp=$(awk '/^    pp:/ {print $2}' "$y")
  vs=$(awk '/^    virtual_stages:/ {print $2}' "$y")
  mb=$(awk '/^  micro_batch:/ {print $2}' "$y")
  model=$(awk '/^    name:/ {print $2; exit}' "$y")
  awk -v m="$model" -v g="$ranks" -v tp="$tp" -v pp="$pp" -v mb="$mb" -v vs="$vs" -v p="$pub" -v s="$sim" \
    -v b="$bub" -v c="$com" -v w0="$t0" -v w1="$t1" -v tol="$TOL" 'BEGIN {
      t = s / 1e12; e = 100 * (t - p) / p; ok = (e <= tol && e >= -tol)
      printf "| %s | %d | %d | %d | %d | %d | %d | %.1f | %+.1f%%%s | %.1f%% | %.1f%% | %.1f s |\n",
             m, g, tp, pp, mb, vs, p, t, e, ok ? "" : " **out of range**", 100 * b, 100 * c, w1 - w0
      if (!ok) exit 1 }' >"$tmp/$row.line" || : >"$tmp/$row.bad"
}

n=0
for r in $(echo "$ROWS" | awk '{print $1 ":" $2}'); do
  run_row "${r%%:*}" "${r##*:}" &
  n=$((n + 1))
  if [ $((n % jobs)) -eq 0 ]; then wait; fi
done
wait

table="$tmp/table.md"
printf '| model | GPUs | TP | PP | micro-batch | virtual stages | published TFLOPS/GPU | simulated | error | bubble | exposed comm | wall |\n' >"$table"
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n' >>"$table"
for r in $(echo "$ROWS" | awk '{print $1}'); do
  cat "$tmp/$r.line" >>"$table"
  cat "$tmp/$r.line"
done
status=0
nbad=$(ls "$tmp" | grep -c '\.bad$')
if [ "$nbad" -gt 0 ]; then
  echo "validate_megatron.sh: $nbad row(s) outside +-$TOL% or failed" >&2
  status=1
fi

if [ "$write" -eq 1 ]; then
  section="$tmp/section.md"
  {
    echo "## Training: Megatron-LM weak scaling"
    echo
    echo "Narayanan et al., \"Efficient Large-Scale Language Model Training on GPU Clusters Using"
    echo "Megatron-LM\", SC'21, Table 1: ten GPT models from 1.7 B parameters on 32 A100 GPUs to 1 T on"
    echo "3,072, weak-scaled with tensor, pipeline (interleaved 1F1B) and data parallelism on DGX A100"
    echo "nodes with InfiniBand HDR. The scenarios are \`scenarios/validation/megatron/row*.yaml\`; each"
    echo "row's micro-batch, interleaving and DDP flavour come from Megatron-LM's"
    echo "\`examples/sc21/run_table_1.sh\`. All ten rows use ONE set of efficiency parameters, the schema"
    echo "defaults (\`workload.efficiency.*\`, docs/scenario-reference.md; sources in docs/sources.md)."
    echo "\"Simulated\" is the summary figure \`achieved_flops_per_accelerator\`: model FLOP plus the"
    echo "recomputed forward pass, per GPU per second (the paper's eq. 3 counting). Bubble and exposed"
    echo "communication are shares of the iteration time. Analytic fidelity$(echo "$sets" | grep -q flow && echo " (here: flow)")."
    echo
    echo "Produced by \`analysis/validate_megatron.sh --write\`; \`make check\` runs the same comparison"
    echo "(\`--check\`) and fails if a row leaves +-$TOL%. \"wall\" is the run's wall time on the machine that"
    echo "wrote the table."
    echo
    cat "$table"
    echo
    awk -F'|' 'NR > 2 && NF > 10 { e = $10; gsub(/[ %+*a-z]/, "", e); v = e + 0; s += (v < 0 ? -v : v); if ((v < 0 ? -v : v) > m) m = (v < 0 ? -v : v); n++ }
      END { if (n) printf "Mean absolute error %.1f%%, largest %.1f%%, over %d rows.\n\n", s / n, m, n }' "$table"
  } >"$section"
  if [ ! -f "$DOC" ]; then
    { echo "# Validation"; echo; echo "How OAS Twin's models compare with published measurements. Each section is"
      echo "produced by a script named in it."; echo; cat "$section"; } >"$DOC"
  elif grep -q '^## Training: Megatron-LM weak scaling' "$DOC"; then
    awk -v f="$section" '
      /^## Training: Megatron-LM weak scaling/ { while ((getline l < f) > 0) print l; skip = 1; next }
      skip && /^## / { skip = 0 }
      !skip { print }' "$DOC" >"$tmp/doc" && cat "$tmp/doc" >"$DOC"
  else
    { echo; cat "$section"; } >>"$DOC"
  fi
  echo "validate_megatron.sh: wrote the table to $DOC"
fi
if [ "$check" -eq 1 ] || [ "$write" -eq 1 ]; then
  exit $status
fi
exit 0
