# Power and thermal scenario tests, sourced by tests/scenario_tests.sh (uses its ok/ko/run_ok,
# $OASTWIN and $tmp). They run the real binary and read /summary figures back with h5dump:
#  - every power/thermal dataset exists with units; /events exists;
#  - the W32 -> W45 what-if: no throttling at W32; at W45 the GB200 rack throttles and the
#    training iteration slows down, while PUE falls (no chiller);
#  - a fault injected at t shows in /events and raises the rack outlet;
#  - a power cap slows compute by the cap's clock exactly;
#  - bad power/cooling input fails with a positioned message.

fig() { # file, summary figure -> value
  h5dump -d "/summary/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -n 1
}
# awk comparisons: cmp_ok NAME "A OP B" (awk expression over numbers)
cmp_ok() {
  if awk "BEGIN { exit !($2) }"; then ok; else ko "$1: $2"; fi
}

ex=scenarios/examples/supply-water-w32-vs-w45/gb200-nvl72.yaml
run_ok gb200-w32 "$ex" -o "$tmp/w32.h5"
run_ok gb200-w45 "$ex" -o "$tmp/w45.h5" --set cooling.facility.class=W45
for ds in /power/facility /power/racks /power/accelerators /thermal/racks /thermal/cdus /thermal/junction \
          /thermal/pstate /events /summary/pue /summary/throttled_time /summary/facility_energy; do
  if h5dump -a "$ds/units" "$tmp/w45.h5" >/dev/null 2>&1; then ok; else ko "$ds missing or has no units attribute"; fi
done
thr32=$(fig "$tmp/w32.h5" throttled_time); thr45=$(fig "$tmp/w45.h5" throttled_time)
it32=$(fig "$tmp/w32.h5" iteration_time_mean); it45=$(fig "$tmp/w45.h5" iteration_time_mean)
pue32=$(fig "$tmp/w32.h5" pue); pue45=$(fig "$tmp/w45.h5" pue)
tj32=$(fig "$tmp/w32.h5" junction_temperature_max)
cmp_ok "W32 does not throttle" "$thr32 == 0 && $tj32 < 87"
cmp_ok "W45 throttles" "$thr45 > 0"
cmp_ok "W45 slows the iteration by 5-20%" "$it45 > 1.05 * $it32 && $it45 < 1.20 * $it32"
cmp_ok "W45 needs no chiller: lower PUE" "$pue45 < $pue32 && $pue45 > 1"
if h5dump -d /events "$tmp/w45.h5" 2>/dev/null | grep -q '"throttle_down'; then ok; else ko "no throttle_down in /events"; fi

# A rack flow fault at 0.1 s: recorded, and the outlet rise grows 1/0.5.
run_ok fault scenarios/tests/small.yaml -o "$tmp/fault.h5" --set cooling.faults.rack_flow.at=0.1s \
  --set cooling.faults.rack_flow.remaining=0.5 --set workload.iterations=10
run_ok nofault scenarios/tests/small.yaml -o "$tmp/nofault.h5" --set workload.iterations=10
if h5dump -d /events "$tmp/fault.h5" 2>/dev/null | grep -q '"fault\\000'; then ok; else ko "the fault is not in /events"; fi
o1=$(fig "$tmp/fault.h5" rack_outlet_temperature_max); o0=$(fig "$tmp/nofault.h5" rack_outlet_temperature_max)
cmp_ok "half the flow raises the outlet" "$o1 > $o0"

# A rack cap that allows state 2 of 5 (clock 0.75): compute takes 0.1 s / 0.75.
run_ok cap scenarios/tests/small.yaml -o "$tmp/cap.h5" --set hardware.accelerator.dvfs.states=5 \
  --set cooling.rack.accelerators=4 --set power.rack.cap=2500W
c=$(fig "$tmp/cap.h5" compute_time_mean)
cmp_ok "capped compute = 0.1 s / 0.75" "$c > 0.13333 * 0.999 && $c < 0.13333 * 1.001"

expect_err release-above-max \
  "--set:1:50: error: 'hardware.accelerator.thermal.release_temperature' (90 degC) must be below max_temperature (87 degC)" \
  run scenarios/tests/small.yaml --set hardware.accelerator.thermal.release_temperature=90degC -o "$tmp/x.h5"
expect_err cap-too-low \
  "--set:1:16: error: 'power.rack.cap' (1 kW) is below what a rack of 8 accelerators draws even in its slowest performance state (5.99773 kW)" \
  run scenarios/tests/small.yaml --set power.rack.cap=1kW -o "$tmp/x.h5"
expect_err difference-in-kelvin \
  "--set:1:22: error: 'cooling.cdu.approach' must be zero or positive, not '4 K'" \
  run scenarios/tests/small.yaml --set "cooling.cdu.approach=4 K" -o "$tmp/x.h5"
