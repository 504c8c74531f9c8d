/* Baseline for `make bench`: the ring all-reduce of the bench scenario written directly against
 * SimGrid's C API (same platform shape, same network configuration, same transfers: 2(p-1) steps,
 * each rank sends n/p to its successor), so the cost of OAS Twin's layers over bare SimGrid is
 * a measured ratio. Usage: bare_ring P BYTES. Prints the simulated time and a cost line. */
#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int P;
static double N;
static char token;

static void rank_main(int argc, char **argv)
{
    (void)argc;
    int r = atoi(argv[1]);
    char name[32];
    snprintf(name, sizeof name, "m%d", (r + 1) % P);
    sg_mailbox_t next = sg_mailbox_by_name(name);
    snprintf(name, sizeof name, "m%d", r);
    sg_mailbox_t self = sg_mailbox_by_name(name);
    for (int s = 0; s < 2 * (P - 1); s++) {
        void *data;
        sg_comm_t c[2];
        c[0] = sg_mailbox_put_async(next, &token, (long)(N / P));
        c[1] = sg_mailbox_get_async(self, &data);
        sg_comm_wait_all(c, 2);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bare_ring P BYTES\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    P = atoi(argv[1]);
    N = atof(argv[2]);
    char xml[] = "/tmp/bare_ring_XXXXXX.xml";
    int fd = mkstemps(xml, 4);
    FILE *f = fdopen(fd, "w");
    /* The bench scenario's supernode: 8 planes x 50 GB/s, 105 ns links, 200 ns switch. */
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n"
               "<cluster id=\"sn0\" prefix=\"acc\" suffix=\"\" radical=\"0-%d\" speed=\"1e15f\" bw=\"400e9Bps\" "
               "lat=\"105e-9s\" sharing_policy=\"SPLITDUPLEX\" bb_bw=\"400e9Bps\" bb_lat=\"200e-9s\" "
               "bb_sharing_policy=\"FATPIPE\"/>\n</platform>\n",
            P - 1);
    fclose(f);
    static char c1[] = "--cfg=network/model:CM02", c2[] = "--cfg=network/crosstraffic:0",
                c3[] = "--cfg=network/TCP-gamma:0", c4[] = "--cfg=contexts/stack-size:256",
                c5[] = "--log=root.thres:critical";
    int sargc = 6;
    char *sargv[] = {argv[0], c1, c2, c3, c4, c5, NULL};
    simgrid_init(&sargc, sargv);
    simgrid_load_platform(xml);
    unlink(xml);
    for (int r = 0; r < P; r++) {
        char host[32], rank[16];
        snprintf(host, sizeof host, "acc%d", r);
        snprintf(rank, sizeof rank, "%d", r);
        static char rname[] = "rank";
        char *av[] = {rname, rank, NULL};
        sg_actor_create("rank", sg_host_by_name(host), rank_main, 2, av);
    }
    simgrid_run();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("simulated %.9g s\n", simgrid_get_clock());
    fprintf(stderr, "[bare] cost: simulated %.6g s in %.3f s wall; %ld transfers; peak memory %.1f MiB\n",
            simgrid_get_clock(), (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
            2L * (P - 1) * P, (double)ru.ru_maxrss / 1024.0);
    return 0;
}
