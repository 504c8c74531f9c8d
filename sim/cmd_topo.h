/* `oastwin topo SCENARIO`: the machine a scenario describes, in figures (sim/cmd_topo.c). */
#ifndef OAS_CMD_TOPO_H
#define OAS_CMD_TOPO_H

/* ARGV[1] is "topo". Returns the exit status: 0, 1 (run-time failure) or 2 (bad usage or scenario). */
int cmd_topo(int argc, char **argv);

#endif
