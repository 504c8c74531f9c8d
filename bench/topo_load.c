/* Topology load bench for `make bench`: one scenario at one size, in this process, stage by stage:
 * scenario loading and platform building, the /topology tables and figures, writing the SimGrid
 * XML, SimGrid loading and sealing it. Usage: topo_load SCENARIO SUPERNODES. Prints one row:
 * accelerators, seconds per stage, total, XML size and peak memory (the process's maximum RSS).
 * One size per process, so that SimGrid is initialised once and the peak is that size's. */
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"
#include "scenario.h"
#include "trace.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: topo_load SCENARIO SUPERNODES\n");
        return 2;
    }
    char set[64];
    snprintf(set, sizeof set, "topology.supernodes=%s", argv[2]);
    const char *sets[] = {set};
    diag_t err = {{0}};
    scenario_t sc;
    double t0 = now();
    if (scenario_load(argv[1], sets, 1, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    platform_t *p = platform_build(&sc, &err);
    if (!p) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    double t1 = now();
    trace_t *t = trace_new();
    if (!t || platform_to_trace(p, t)) {
        fprintf(stderr, "topo_load: out of memory\n");
        return 1;
    }
    double t2 = now();
    char xml[] = "/tmp/oastwin-topo-load-XXXXXX.xml";
    int fd = mkstemps(xml, 4);
    if (fd < 0)
        return 1;
    close(fd);
    if (platform_write_xml(p, xml, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t3 = now();
    struct stat st;
    double xml_MiB = stat(xml, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
    static char a0[] = "topo_load", a1[] = "--log=root.thres:critical";
    char *av[] = {a0, a1, NULL};
    int ac = 2;
    simgrid_init(&ac, av);
    simgrid_load_platform(xml);
    unlink(xml);
    if (platform_simgrid_sync(p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    simgrid_run(); /* no actor: seals the platform */
    double t4 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%12d %10.3f %10.3f %10.3f %10.3f %10.3f %10.1f %10.1f\n", platform_accelerators(p), t1 - t0, t2 - t1,
           t3 - t2, t4 - t3, t4 - t0, xml_MiB, (double)ru.ru_maxrss / 1024.0);
    trace_free(t);
    platform_free(p);
    scenario_free(&sc);
    return 0;
}
