#!/bin/sh
# `make bench` section (run by bench/run.sh): topology load time and peak memory at about 1k, 4k and
# 16k accelerators: CloudMatrix384-like supernodes on a rail-optimized fat tree
# (scenarios/bench/cluster-cm384.yaml with 3, 11 and 43 supernodes). Goal: 16k under 5 s and 2 GB.
# Columns: build = scenario + platform, tables = /topology tables and figures (latency over 2^18
# sampled pairs), xml = writing the SimGrid platform, simgrid = loading and sealing it.
set -u
BUILD=${BUILD:-build}
SUPERNODES=${BENCH_TOPO_SUPERNODES:-"3 11 43"}
export OASTWIN_PRESETS=${OASTWIN_PRESETS:-scenarios/presets}
echo
echo "== topology load: CloudMatrix384-like supernodes + rail-optimized 2-tier fat tree =="
printf '%12s %10s %10s %10s %10s %10s %10s %10s\n' accelerators build_s tables_s xml_s simgrid_s total_s xml_MiB peak_MiB
for s in $SUPERNODES; do
  "$BUILD/bench/topo_load" scenarios/bench/cluster-cm384.yaml "$s" || echo "topo_load failed at $s supernodes"
done
exit 0
