/* Private to the platform builder (sim/platform*.c, sim/topo_*.c): the platform struct, the
 * table of operations of a scale-up kind, and the scale-out fat tree. Every supernode of a
 * cluster has the same shape, so a kind describes one supernode with local numbers
 * (accelerators 0..ns-1, switches 0..switches-1, simulated links 0..sn_links-1) and the core
 * offsets them by supernode. Invariant: the routes a kind returns are exactly the shared links
 * SimGrid uses for the same pair in the XML that kind writes (FATPIPE switch crossbars are
 * only in the latency). */
#ifndef OAS_PLATFORM_IMPL_H
#define OAS_PLATFORM_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "platform.h"

/* One physical link of a supernode or of the scale-out fabric. Ends are node ids: inside a
 * supernode (local), accelerators 0..ns-1 then switches ns + k; in the scale-out fabric
 * (global), see platform_node_kind(). */
typedef struct phys_link {
    int64_t a, b;
    int64_t via;            /* the circuit switch a torus circuit crosses, or -1 */
    int32_t tier;           /* 0: accelerator link; 1: second-level link (uplink, circuit); scale-out: level */
    int32_t plane;          /* plane or rail, -1 if none */
    const hw_link *cls;
    double lat_s;
    uint32_t sim_up, sim_down; /* simulated links carrying a->b and b->a (local ids in a supernode) */
} phys_link;

/* One switch chip of a supernode (local index k). */
typedef struct sw_node {
    char name[48];
    int32_t tier, plane;
} sw_node;

/* What a kind tells the report about one supernode. */
typedef struct topo_stats {
    int64_t switches[3];            /* switch chips by tier (1, 2; OCS counted as tier 1) */
    const char *tier_name[3];
    int64_t links[HW_MEDIUM__COUNT]; /* physical links by medium */
    int64_t modules[HW_MEDIUM__COUNT]; /* optical modules (one per module end) by medium */
    double switch_power_W;
    double bisection_Bps;           /* per direction */
    bool nonblocking;
    int32_t diameter_hops;
} topo_stats;

typedef struct topo_ops {
    const char *name;
    /* Derives the kind's sizes into P and checks switch ports (errors positioned in SC). */
    int (*init)(platform_t *p, const scenario_t *sc, diag_t *err);
    /* Bandwidth and latency of local simulated link L as written in the XML. */
    void (*sim_link)(const platform_t *p, size_t l, double *bw_Bps, double *lat_s);
    int (*route)(const platform_t *p, int32_t a, int32_t b, double *lat_s, uint32_t *links, size_t cap);
    void (*write_xml)(const platform_t *p, FILE *f, int32_t s);
    void (*link_name)(const platform_t *p, int32_t s, size_t l, char *buf, size_t n);
    int64_t (*nphys)(const platform_t *p);
    void (*phys)(const platform_t *p, int64_t i, phys_link *out);
    int32_t (*nswitches)(const platform_t *p);
    void (*switch_node)(const platform_t *p, int32_t s, int32_t k, sw_node *out);
    void (*stats)(const platform_t *p, topo_stats *st);
    void (*describe)(const platform_t *p, FILE *f);
} topo_ops;

extern const topo_ops topo_switched_ops, topo_clos2_ops, topo_torus_ops, topo_fullmesh_ops;

/* The scale-out fabric: T identical PGFT fat trees (one per rail, or one), each of H NIC hosts
 * padded to hosts = m[0] x ... x m[L-1] positions, p = 1 everywhere (SimGrid's FAT_TREE). */
typedef struct so_tree {
    int32_t trees, levels;          /* T, L (2 or 3) */
    int64_t real;                   /* H: NICs per tree (one per node) */
    int64_t m[3], w[3];             /* children and parents per node, by level */
    int64_t nodes_at[4];            /* nodes per level, 0 = hosts (padded) */
    int64_t links_per_tree;
    int64_t leaves_real;            /* leaves holding at least one NIC */
    double bw_Bps, lat_s;           /* every link; lat = link + switch traversal */
    size_t base;                    /* first simulated link id of the fabric */
} so_tree;

struct platform {
    const topo_ops *ops;
    topo_spec t;                    /* copy of the scenario's topology */
    uint64_t seed;
    char host_speeds[1024];         /* speed attribute of accelerator hosts (one per pstate) */
    int32_t S, ns, n, apn;          /* supernodes, accelerators per supernode, total, per node */
    /* kind-specific sizes, filled by ops->init */
    int32_t planes, nodes, l2_per_plane;
    double acc_bw_Bps, acc_lat_s, up_bw_Bps, up_lat_s, sw_lat_s;
    int nd;
    int64_t dim[3], cube[3], stride[3]; /* torus, fullmesh: stride[j] = dim[0] x ... x dim[j-1] */
    double ocs_lat_s;
    int64_t ocs_per_dim[3], ocs_total;
    size_t fm_off[3];
    size_t sn_links;                /* simulated links per supernode */
    int32_t sw_per_sn;              /* switch chips per supernode */
    /* scale-out */
    bool has_so;
    so_tree so;
    /* all simulated links */
    size_t nlinks;
    double *link_bw, *link_lat;     /* current values */
    double *xml_bw, *xml_lat;       /* as written in the XML (platform_simgrid_sync applies the rest) */
    /* degraded physical links: id and factor */
    int64_t *deg_id;
    double *deg_factor;
    size_t ndeg, capdeg;
    size_t *deg_slot;               /* per physical link: 1 + its index in deg_id, 0 if never degraded */
};

/* ---- scale-out (sim/topo_scaleout.c) ---- */
int so_init(platform_t *p, const scenario_t *sc, diag_t *err);
void so_sim_link(const platform_t *p, size_t l, double *bw_Bps, double *lat_s);
int so_route(const platform_t *p, int32_t src_acc, int32_t dst_acc, double *lat_s, uint32_t *links, size_t cap);
void so_write_xml(const platform_t *p, FILE *f);
void so_link_name(const platform_t *p, size_t l, char *buf, size_t n);
/* NIC of accelerator ACC on rail RAIL (its node's NIC when NICs are per node), as a NIC id. */
int64_t so_nic(const platform_t *p, int32_t acc, int32_t rail);
int64_t so_nics(const platform_t *p);
int64_t so_nphys(const platform_t *p);
/* Physical link I of the fabric with global node ids (NICs and switches offset by the caller's
 * NIC_BASE and SW_BASE). */
void so_phys(const platform_t *p, int64_t i, int64_t nic_base, int64_t sw_base, phys_link *out);
int64_t so_nswitches(const platform_t *p);
void so_switch_node(const platform_t *p, int64_t k, sw_node *out);
/* Physical switch chips by tier (1 leaf, 2 spine or aggregation, 3 core), links, modules. */
void so_stats(const platform_t *p, topo_stats *st);
void so_describe(const platform_t *p, FILE *f);

/* ---- shared helpers (sim/platform.c) ---- */
/* Writes the accelerator hosts G0..G1-1 as <host> elements. */
void plat_write_hosts(const platform_t *p, FILE *f, int32_t g0, int32_t g1);
/* Error about the ports a switch needs (names both numbers). */
int plat_ports_error(const scenario_t *sc, const char *key, diag_t *err, const char *what, int64_t need,
                     int64_t radix);

#endif
