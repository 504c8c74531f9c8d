# Sourced by tests/scenario_tests.sh (section 10; uses its ok/ko counters, $tmp and $OASTWIN).
# Proves, on the real binary: every malformed request trace and op list in tests/bad_traces/
# fails with exit 2, its exact first error line (tests/bad_traces/NAME.err, FILE:LINE:COL into
# the trace) and no output file; YAML hazards too big to commit (a 2 MiB scalar, a 70 MB file)
# are refused; resource limits refuse or bound up front: the trace limit (--max-trace) stops a
# run whose time series outgrow it (exit 1, no file) or refuses it before running when
# run.stop.sim_time says how many samples there will be, more actors than the kernel's memory
# mappings allow and more requests than memory holds are refused before anything is allocated.
ht="$tmp/hardening"
mkdir -p "$ht"

# ---- 10a. bad request traces and op lists ----
for f in tests/bad_traces/*; do
  name=$(basename "$f")
  case $name in
    *.yaml | *.err) continue ;;
    *.ops) set -- tests/bad_traces/training.yaml --set "workload.replay=$PWD/$f" ;;
    azure-* | mooncake-* | vidur-*)
      set -- tests/bad_traces/inference.yaml --set "workload.requests.trace.path=$PWD/$f" \
        --set "workload.requests.trace.format=${name%%-*}" ;;
    *) set -- tests/bad_traces/inference.yaml --set "workload.requests.trace.path=$PWD/$f" ;;
  esac
  want=$(cat "tests/bad_traces/$name.err" 2>/dev/null) || { ko "bad trace $name: missing tests/bad_traces/$name.err"; continue; }
  "$OASTWIN" run "$@" -o "$ht/$name.h5" --quiet >/dev/null 2>"$ht/err"
  rc=$?
  got=$(head -n 1 "$ht/err" | sed "s|$PWD/||g")
  if [ "$rc" -ne 2 ]; then ko "bad trace $name: exit $rc, want 2 ($got)"
  elif [ "$got" != "$want" ]; then ko "bad trace $name: first error line differs
   want: $want
   got:  $got"
  elif ls "$ht" | grep -q "^$name.h5"; then ko "bad trace $name: left an output file"
  else ok; fi
done

# ---- 10b. YAML hazards generated here (too big to keep in tests/bad/) ----
hz() { # name, want-first-line, file
  "$OASTWIN" run "$3" -o "$ht/$1.h5" --quiet >/dev/null 2>"$ht/err"
  rc=$?
  got=$(head -n 1 "$ht/err")
  if [ "$rc" -eq 2 ] && [ "$got" = "$2" ] && [ ! -e "$ht/$1.h5" ]; then ok; else ko "$1: exit $rc
   want: $2
   got:  $got"; fi
}
awk 'BEGIN { printf "schema_version: 1\nname: "; for (i = 0; i < 2097152; i += 64) printf "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; printf "\n" }' >"$ht/scalar.yaml"
hz huge-scalar "$ht/scalar.yaml:2:7: error: a scalar of more than 1 MiB; refusing it" "$ht/scalar.yaml"
awk 'BEGIN { printf "schema_version: 1\nname: big\n"; for (i = 0; i < 70000; i++) printf "# %01000d\n", i }' >"$ht/file.yaml"
hz huge-file "$ht/file.yaml: error: file of 70210028 bytes exceeds the 64 MiB limit for scenarios" "$ht/file.yaml"
rm -f "$ht/scalar.yaml" "$ht/file.yaml"

# ---- 10c. resource limits ----
lim() { # name, want-exit, want-first-line-prefix, args...
  n=$1; want_rc=$2; want=$3; shift 3
  timeout 120 "$OASTWIN" "$@" >/dev/null 2>"$ht/err"
  rc=$?
  got=$(head -n 1 "$ht/err")
  case $got in
    "$want"*) if [ "$rc" -eq "$want_rc" ] && ! ls "$ht" | grep -q "^$n.h5"; then ok
              else ko "$n: exit $rc (want $want_rc) or left $ht/$n.h5"; fi ;;
    *) ko "$n: exit $rc
   want: $want...
   got:  $got" ;;
  esac
}
# a 1 ns sampling period with no end in sight: the trace limit stops the run (exit 1, no file)
lim trace-limit-run 1 "oastwin: error: stopped at simulated time " \
  run scenarios/default.yaml --set run.sample_interval=1ns --max-trace 2MB -o "$ht/trace-limit-run.h5" -q
if grep -q 'more than its limit of 2 MB (set by --max-trace); sample less often (run.sample_interval)' "$ht/err"; then ok
else ko "trace limit: the message does not say the limit and what to change: $(head -n 1 "$ht/err")"; fi
# with run.stop.sim_time the samples are known: refused before running (exit 2)
lim trace-limit-estimate 2 "--set:1:21: error: 1e+06 samples (run.stop.sim_time / run.sample_interval) of at least 224 B each make at least 224 MB of time series, more than the trace's limit of 10 MB (set by --max-trace); sample less often or stop earlier" \
  run scenarios/tests/small.yaml --set run.sample_interval=1us --set run.stop.sim_time=1s --max-trace 10MB \
  -o "$ht/trace-limit-estimate.h5" -q
lim trace-limit-usage 2 "oastwin: error: --max-trace needs a size such as '2 GB', not '10'" \
  run scenarios/tests/small.yaml --max-trace 10 -o "$ht/trace-limit-usage.h5"
# the default limit is the free space of the output's file system or half the free memory: a
# small run fits, with the limit computed (no flag)
if "$OASTWIN" run scenarios/tests/small.yaml -o "$ht/fits.h5" -q 2>/dev/null && [ -s "$ht/fits.h5" ]; then ok
else ko "a small run under the default trace limit failed"; fi
rm -f "$ht/fits.h5"
# more SimGrid actors than vm.max_map_count allows (two mappings each): refused before SimGrid
maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
if [ "$maps" -gt 0 ] && [ "$maps" -lt 100000 ]; then
  lim actor-room 2 "scenarios/tests/small.yaml:14:9: error: the 60000 ranks of the dp_allreduce workload need 60003 SimGrid actors, but this process can start only about" \
    run scenarios/tests/small.yaml --set topology.accelerators=60000 -o "$ht/actor-room.h5" -q
else
  echo "note: vm.max_map_count is $maps here; the actor-room refusal is not exercised"
fi
# 10^10 synthetic requests: more memory than any machine here holds (256 B each)
lim requests-memory 2 "--set:2:25: error: 10000000000 requests need about 2.56 TB of memory (256 B each: the request while simulated and its row in /inference/requests), more than the" \
  validate tests/bad_traces/inference.yaml --set workload.requests.arrival=poisson \
  --set workload.requests.count=10000000000 --set workload.requests.rate=10Hz \
  --set workload.requests.prompt.tokens=100 --set workload.requests.output.tokens=10 \
  --set workload.requests.trace.path=
