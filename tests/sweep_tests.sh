# Sweeps, reports, the HTML page and the Python module; sourced by tests/scenario_tests.sh (uses
# its ok/ko counters, $tmp, $OASTWIN, $REPORT and $BUILD). Proves: a 12-point sweep gives the
# same index (byte for byte) with -j 2 and under mpirun -np 2; re-running skips complete points;
# a sweep killed midway finishes only the missing points; failed and invalid points are recorded
# without stopping the rest; bad sweep files fail with FILE:LINE:COL; the report prints the
# expected differences; the HTML page is self-contained and renders (headless Chromium) to a
# non-blank screenshot; the Python loader round-trips every dataset of docs/hdf5-schema.md.
REPORT=${REPORT:-$BUILD/oastwin-report}
PY=/usr/bin/python3 # Debian's python (h5py, numpy, matplotlib); not a pyenv one from PATH
sw="$tmp/sweep"
mkdir -p "$sw"
epoch="SOURCE_DATE_EPOCH=1700000000"
mpi_env="OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1"

# ---- 5a. a 12-point sweep with -j 2, then resumed ----
env $epoch "$OASTWIN" sweep scenarios/tests/sweep12.yaml -j 2 -o "$sw/j2" -q >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '12 points: 12 ok' "$sw/out"; then ok; else ko "sweep -j 2: exit $rc: $(cat "$sw/out" "$sw/err")"; fi
if h5dump -d /summary/points_ok "$sw/j2/sweep.h5" 2>/dev/null | grep -q '(0): 12'; then ok; else ko "index does not count 12 ok points"; fi
if h5dump -d /sweep/points "$sw/j2/sweep.h5" 2>/dev/null | grep -q 'DATASPACE  SIMPLE { ( 12 )'; then ok; else ko "/sweep/points has not 12 rows"; fi
cp "$sw/j2/sweep.h5" "$sw/first.h5"
stat -c '%i %Y' "$sw"/j2/points/*.h5 >"$sw/stat1"
env $epoch "$OASTWIN" sweep scenarios/tests/sweep12.yaml -j 2 -o "$sw/j2" >"$sw/out" 2>"$sw/err"
if grep -q '12 already complete, 0 to run' "$sw/err"; then ok; else ko "re-run did not skip the complete points: $(cat "$sw/err")"; fi
stat -c '%i %Y' "$sw"/j2/points/*.h5 >"$sw/stat2"
if cmp -s "$sw/stat1" "$sw/stat2"; then ok; else ko "re-run rewrote complete traces"; fi
if cmp -s "$sw/first.h5" "$sw/j2/sweep.h5"; then ok; else ko "re-run changed the index"; fi

# ---- 5b. the same sweep under mpirun -np 2: identical index ----
if command -v mpirun >/dev/null 2>&1 && [ -x "$BUILD/oastwin-mpi" ]; then
  env $epoch $mpi_env timeout 120 mpirun --oversubscribe -np 2 "$OASTWIN" sweep scenarios/tests/sweep12.yaml \
    -o "$sw/mpi" >"$sw/out" 2>"$sw/err"
  rc=$?
  if [ "$rc" -eq 0 ] && cmp -s "$sw/first.h5" "$sw/mpi/sweep.h5"; then ok
  else ko "mpirun -np 2: exit $rc or index differs from -j 2: $(tail -5 "$sw/err")"; fi
  if grep -q 'on rank 1' "$sw/err" && grep -q 'on rank 0' "$sw/err"; then ok
  else ko "mpirun -np 2 did not run points on both ranks: $(grep -c ' on rank ' "$sw/err") lines"; fi
else
  ko "mpirun or $BUILD/oastwin-mpi missing (tools/deps.sh installs openmpi-bin and libopenmpi-dev)"
fi

# ---- 5c. killed midway, then finished: only the missing points run ----
cat >"$sw/slow.yaml" <<EOF
name: slow6
base: $PWD/scenarios/tests/small.yaml
set:
  workload.iterations: 20
grid:
  topology.link.bandwidth: [100 GB/s, 200 GB/s, 400 GB/s]
  topology.accelerators: [4, 8]
EOF
env $epoch "$OASTWIN" sweep "$sw/slow.yaml" -j 2 -o "$sw/slow" -q >/dev/null 2>&1 &
spid=$!
n=0
while [ "$n" -lt 200 ] && [ "$(ls "$sw/slow/points" 2>/dev/null | grep -c '\.h5$')" -lt 2 ]; do
  sleep 0.05; n=$((n + 1))
done
kill -TERM "$spid" 2>/dev/null
wait "$spid"
rc=$?
done_before=$(ls "$sw/slow/points" | grep -c '\.h5$')
if [ "$rc" -ne 0 ] && [ "$done_before" -gt 0 ] && [ "$done_before" -lt 6 ]; then ok
else ko "killing the sweep: exit $rc with $done_before of 6 traces (want non-zero, 1..5)"; fi
if ls "$sw/slow/points" | grep -q 'tmp'; then ko "a killed sweep left temporary files"; else ok; fi
stat -c '%n %i %Y' "$sw"/slow/points/*.h5 >"$sw/stat1"
env $epoch "$OASTWIN" sweep "$sw/slow.yaml" -j 2 -o "$sw/slow" >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "$done_before already complete, $((6 - done_before)) to run" "$sw/err"; then ok
else ko "resumed sweep: exit $rc, want '$done_before already complete': $(head -3 "$sw/err")"; fi
stat -c '%n %i %Y' "$sw"/slow/points/*.h5 | grep -F -f "$sw/stat1" | cmp -s - "$sw/stat1" && ok || ko "resuming rewrote traces that were complete"
env $epoch "$OASTWIN" sweep "$sw/slow.yaml" -j 4 -o "$sw/slow-clean" -q >/dev/null 2>&1
if cmp -s "$sw/slow/sweep.h5" "$sw/slow-clean/sweep.h5"; then ok; else ko "killed-and-resumed index differs from an uninterrupted one"; fi

# ---- 5d. a failing point is recorded and the rest go on; fixing it re-runs only it ----
printf 'base: %s/scenarios/tests/small.yaml\nset:\n  run.fidelity: analytic\ngrid:\n  seed: [1, 2, 3, 4]\n' "$PWD" \
  >"$sw/four.yaml"
mkdir -p "$sw/fail/points/0003.h5" # a directory where the trace should go: the run fails
env $epoch "$OASTWIN" sweep "$sw/four.yaml" -j 2 -o "$sw/fail" -q >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '3 ok, 1 failed' "$sw/out"; then ok; else ko "failing point: exit $rc: $(cat "$sw/out")"; fi
if "$REPORT" "$sw/fail/sweep.h5" --format json | grep -q '"status": "failed", "error": "oastwin: error: cannot write the trace'; then ok
else ko "the index does not record point 3's failure and error"; fi
rmdir "$sw/fail/points/0003.h5"
env $epoch "$OASTWIN" sweep "$sw/four.yaml" -j 2 -o "$sw/fail" >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '3 already complete, 1 to run' "$sw/err" && grep -q '4 ok, 0 failed' "$sw/out"; then ok
else ko "after the fix: exit $rc, $(head -1 "$sw/err")"; fi

# ---- 5e. an invalid point, a changed sweep, bad sweep files ----
printf 'base: %s/scenarios/tests/small.yaml\ngrid:\n  topology.accelerators: [4, 0]\nset:\n  seed: 1\n' "$PWD" >"$sw/inv.yaml"
"$OASTWIN" sweep "$sw/inv.yaml" -o "$sw/inv" -q >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^$sw/inv.yaml:3:30: error: .*topology.accelerators.* (point 1)" "$sw/err" &&
   grep -q '1 ok, 0 failed, 1 invalid' "$sw/out"; then ok
else ko "invalid point: exit $rc: $(cat "$sw/err" "$sw/out")"; fi
sed -i 's|seed: 1|seed: 2|' "$sw/inv.yaml" # the same point with another seed: its old trace is stale
"$OASTWIN" sweep "$sw/inv.yaml" -o "$sw/inv" >/dev/null 2>"$sw/err"
if grep -q '0 already complete, 1 to run, 1 invalid' "$sw/err"; then ok; else ko "a changed sweep reused a stale point: $(grep complete "$sw/err")"; fi
bad_sweep() { # name, want-first-line, yaml
  printf '%s' "$3" >"$sw/$1.yaml"
  "$OASTWIN" sweep "$sw/$1.yaml" -o "$sw/bad" >/dev/null 2>"$sw/err"
  rc=$?
  got=$(head -n 1 "$sw/err")
  if [ "$rc" -eq 2 ] && [ "$got" = "$2" ]; then ok; else ko "bad sweep $1: exit $rc
   want: $2
   got:  $got"; fi
}
bad_sweep typo "$sw/typo.yaml:2:1: error: unknown key 'gird' in a sweep file (did you mean 'grid'?); a sweep has base, name, output, set, grid, zip" \
  'base: x.yaml
gird:
  seed: [1, 2]
'
bad_sweep zip "$sw/zip.yaml:4:9: error: 'zip.seed' has 3 values but 'zip.topology.planes' has 2: zipped lists must have equal length" \
  'base: x.yaml
zip:
  topology.planes: [1, 2]
  seed: [1, 2, 3]
'
bad_sweep noaxes "$sw/noaxes.yaml:1:1: error: a sweep needs 'grid' or 'zip' (the values to sweep)" 'base: x.yaml
'
bad_sweep twice "$sw/twice.yaml:5:10: error: 'seed' is already set at $sw/twice.yaml:3:9; a path may be swept or set only once" \
  'base: x.yaml
set:
  seed: 3
grid:
  seed: [1, 2]
'
bad_sweep listval "$sw/listval.yaml:3:24: error: 'topology.planes': a swept value must be a scalar or a mapping of scalars (--set takes scalars), not a list" \
  'base: x.yaml
grid:
  topology.planes: [1, [2, 3]]
'
bad_sweep nobase "$sw/nobase.yaml:1:7: error: 'base': cannot open scenario '$sw/x.yaml': No such file or directory" \
  'base: x.yaml
grid:
  seed: [1, 2]
'
# every point invalid: still an index, with one row per point and no figure
printf 'base: %s/scenarios/tests/small.yaml\ngrid:\n  run.fidelity: [fast, slow]\n' "$PWD" >"$sw/allinv.yaml"
"$OASTWIN" sweep "$sw/allinv.yaml" -o "$sw/allinv" -q >"$sw/out" 2>"$sw/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '0 ok, 0 failed, 2 invalid' "$sw/out" &&
   h5dump -d /sweep/summary "$sw/allinv/sweep.h5" 2>/dev/null | grep -q 'DATASPACE  SIMPLE { ( 2 )' &&
   "$REPORT" "$sw/allinv/sweep.h5" >/dev/null 2>&1; then ok
else ko "all points invalid: exit $rc: $(cat "$sw/out" "$sw/err")"; fi

# ---- 5f. the report: a pair of traces, a sweep index ----
a="$sw/mpi/points/0000.h5" b="$sw/mpi/points/0004.h5" # link bandwidth 100 GB/s vs 200 GB/s
"$REPORT" --compare "$a" "$b" --format csv >"$sw/cmp.csv"
row() { grep "^$1," "$sw/cmp.csv"; }
if row topology_scaleup_bw_per_accelerator | grep -q ',400000000000,800000000000,100$'; then ok; else ko "compare: bandwidth row $(row topology_scaleup_bw_per_accelerator)"; fi
if row compute_time_mean | grep -q ',0$'; then ok; else ko "compare: compute time should not change: $(row compute_time_mean)"; fi
if row allreduce_time_mean | awk -F, '{ d = ($4 - $3) / $3 * 100; e = d - $5; exit !($4 < $3 && e < 1e-3 && e > -1e-3) }'
then ok; else ko "compare: all-reduce time difference wrong or not faster: $(row allreduce_time_mean)"; fi
"$REPORT" "$sw/first.h5" >"$sw/rep.txt" 2>&1
if grep -q '^status  *ok  *ok' "$sw/rep.txt" && grep -q 'Δ p11' "$sw/rep.txt"; then ok; else ko "report of a sweep index: $(head -3 "$sw/rep.txt")"; fi
"$REPORT" "$sw/first.h5" --format json >"$sw/rep.json"
if $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["files"]) == 12 and len(d["figures"]) > 5' "$sw/rep.json" 2>/dev/null
then ok; else ko "JSON report of a sweep index is not valid or incomplete"; fi

# ---- 5g. the HTML page: self-contained, and rendered by headless Chromium ----
"$REPORT" "$a" --html "$sw/run.html" && "$REPORT" --compare "$a" "$b" --html "$sw/cmp.html" &&
  "$REPORT" "$sw/first.h5" --html "$sw/sweep.html"
if [ $? -eq 0 ] && [ -s "$sw/run.html" ] && [ -s "$sw/cmp.html" ] && [ -s "$sw/sweep.html" ]; then ok; else ko "--html did not write the pages"; fi
if grep -qiE '<script|<link|<img|src=|href=|url\(' "$sw/run.html" "$sw/cmp.html" "$sw/sweep.html"; then
  ko "an HTML page refers to something outside itself"; else ok; fi
if [ "$(grep -c '<svg' "$sw/run.html")" -ge 2 ] && [ "$(grep -c '<svg' "$sw/sweep.html")" -ge 4 ]; then ok; else ko "HTML pages lack charts"; fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "sweep tests: chromium is not installed; installing it for the HTML rendering test (sh tools/deps.sh chromium)"
  sh tools/deps.sh chromium >/dev/null 2>&1 || true
fi
if command -v chromium >/dev/null 2>&1 && cc -std=c11 -O2 -o "$sw/png_check" tests/png_check.c -lz 2>"$sw/err"; then
  shot() { # html, png
    prof=$(mktemp -d "$tmp/chromium.XXXXXX")
    timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
      --screenshot="$2" --window-size=1200,1600 "file://$1" >/dev/null 2>&1
    rm -rf "$prof"
  }
  for page in run sweep blank; do # in parallel: each Chromium start takes seconds
    [ "$page" = blank ] && printf '<!DOCTYPE html><html><body></body></html>\n' >"$sw/blank.html"
    shot "$sw/$page.html" "$sw/$page.png" &
  done
  wait
  for page in run sweep; do
    rm -f "$sw/png.out"
    if [ -s "$sw/$page.png" ] && "$sw/png_check" "$sw/$page.png" 16 0.02 >"$sw/png.out"; then ok
    else ko "the $page page renders blank or not at all: $(cat "$sw/png.out" 2>/dev/null)"; fi
  done
  if [ -s "$sw/blank.png" ] && ! "$sw/png_check" "$sw/blank.png" 16 0.02 >/dev/null; then ok
  else ko "png_check does not tell a blank page"; fi
else
  echo "sweep tests: SKIP rendering the HTML report: chromium cannot be installed here ($(head -1 "$sw/err" 2>/dev/null))"
fi

# ---- 5h. the Python module (Debian's python3 with h5py, numpy, matplotlib) ----
if $PY -c 'import h5py, numpy, matplotlib' 2>/dev/null; then
  traces=$(ls "$tmp"/*.h5 2>/dev/null)
  for y in $(ls scenarios/examples/*.yaml scenarios/examples/*/*.yaml 2>/dev/null); do
    grep -q '^base:' "$y" && continue # a sweep file
    out="$sw/ex-$(echo "$y" | tr '/' '_').h5"
    timeout 60 "$OASTWIN" run "$y" -o "$out" -q >/dev/null 2>&1 && traces="$traces $out"
  done
  if MPLCONFIGDIR="$tmp/mpl" $PY tests/python/test_analysis.py docs/hdf5-schema.md "$sw/mpi/sweep.h5" \
       $traces "$sw/mpi/points/0000.h5" >"$sw/py.out" 2>&1; then ok
  else ko "python tests: $(grep -v '^python:' "$sw/py.out" | head -20)"; fi
  tail -1 "$sw/py.out"
else
  ko "/usr/bin/python3 lacks h5py, numpy or matplotlib (tools/deps.sh installs python3-h5py python3-numpy python3-matplotlib)"
fi
