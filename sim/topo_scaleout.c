/* The scale-out network: a rail-optimized fat tree, separate from the scale-up fabric. With one
 * NIC per accelerator, NIC i of every node is on rail i and every rail is its own fat tree (the
 * spine and core ports are partitioned by rail, so cross-rail traffic never enters the fabric:
 * it is forwarded over the scale-up network first, as NCCL's PXN does); with one NIC per node
 * there is one tree. Each tree is a SimGrid FAT_TREE cluster (PGFT, one link between related
 * switches) whose hosts are the NICs in node order, padded to the tree's size. so_route()
 * replays SimGrid's FatTreeZone routing exactly: up by d-mod-k on the destination's position
 * (which SimGrid counts across all FAT_TREE clusters of the process, so tree t starts at
 * t x hosts), then down. Link uids are SimGrid's creation order, also counted across trees. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform_impl.h"
#include "units.h"

static int64_t imin(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Tree levels that carry traffic: above them no route ever climbs (a single leaf, a single pod). */
static int used_levels(const so_tree *so)
{
    if (so->leaves_real <= 1)
        return 1;
    if (so->levels == 3 && so->m[2] > 1)
        return 3;
    return 2;
}

int so_init(platform_t *p, const scenario_t *sc, diag_t *err)
{
    const topo_spec *t = &sc->topo;
    so_tree *so = &p->so;
    int64_t R = t->scaleout.sw.radix;
    double o = t->scaleout.oversubscription;
    so->trees = t->scaleout.nics == TOPO_NIC_PER_ACCELERATOR ? p->apn : 1;
    so->levels = (int32_t)t->scaleout.tiers;
    so->real = p->n / p->apn;
    int64_t d1 = (int64_t)floor((double)R * o / (1 + o) + 1e-9), u1 = R - d1;
    if (d1 < 1 || u1 < 1)
        return scenario_fail_at(sc, "topology.scaleout.switch.radix", err,
                                "a leaf of %lld ports at oversubscription %g leaves no port for NICs or no uplink",
                                (long long)R, o);
    int64_t m1 = imin(d1, so->real), leaves = ceil_div(so->real, m1);
    so->leaves_real = leaves;
    so->m[0] = m1;
    so->w[0] = 1;
    so->w[1] = u1;
    if (so->levels == 2) {
        so->m[1] = leaves;
        if (leaves > R) {
            char what[200];
            snprintf(what, sizeof what,
                     "each spine (one port to each of the %lld leaves of a rail; use topology.scaleout.tiers: 3 or "
                     "a larger radix)",
                     (long long)leaves);
            return plat_ports_error(sc, "topology.scaleout.switch.radix", err, what, leaves, R);
        }
    } else {
        int64_t d2 = R / 2, m2 = imin(d2, leaves), pods = ceil_div(leaves, m2);
        so->m[1] = m2;
        so->m[2] = pods;
        so->w[2] = R - d2;
        if (pods > R) {
            char what[200];
            snprintf(what, sizeof what, "each core switch (one port to each of the %lld pods of a rail)",
                     (long long)pods);
            return plat_ports_error(sc, "topology.scaleout.switch.radix", err, what, pods, R);
        }
    }
    int L = so->levels;
    for (int l = 0; l <= L; l++) {
        int64_t n = 1;
        for (int j = 0; j < l; j++)
            n *= so->w[j];
        for (int j = l; j < L; j++)
            n *= so->m[j];
        so->nodes_at[l] = n;
    }
    so->links_per_tree = 0;
    for (int l = 0; l < L; l++)
        so->links_per_tree += so->nodes_at[l] * so->w[l];
    if ((double)so->trees * (double)so->nodes_at[0] > 4e6)
        return scenario_fail_at(sc, "topology.scaleout.switch.radix", err,
                                "the scale-out trees would hold %.0f NIC positions, more than 4000000",
                                (double)so->trees * (double)so->nodes_at[0]);
    so->bw_Bps = t->scaleout.link.bw_Bps;
    so->lat_s = hw_link_latency(&t->scaleout.link, t->media) + t->scaleout.sw.lat_s;
    return 0;
}

void so_sim_link(const platform_t *p, size_t l, double *bw_Bps, double *lat_s)
{
    (void)l;
    *bw_Bps = p->so.bw_Bps;
    *lat_s = p->so.lat_s;
}

int64_t so_nic(const platform_t *p, int32_t acc, int32_t rail)
{
    int32_t node = acc / p->apn;
    return p->so.trees > 1 ? (int64_t)node * p->apn + rail : node;
}

int64_t so_nics(const platform_t *p)
{
    return (int64_t)p->so.trees * p->so.real;
}

/* ---- labels and positions (SimGrid's generate_labels: digit i of a level-l node counts to w[i]
 * below l and to m[i] from l on; digit 0 is the least significant) ---- */

static int64_t radix_at(const so_tree *so, int level, int i)
{
    return i < level ? so->w[i] : so->m[i];
}

static void label_of(const so_tree *so, int level, int64_t pos, int64_t *label)
{
    for (int i = 0; i < so->levels; i++) {
        int64_t r = radix_at(so, level, i);
        label[i] = pos % r;
        pos /= r;
    }
}

static int64_t pos_of(const so_tree *so, int level, const int64_t *label)
{
    int64_t pos = 0, mul = 1;
    for (int i = 0; i < so->levels; i++) {
        pos += label[i] * mul;
        mul *= radix_at(so, level, i);
    }
    return pos;
}

/* uid (within a tree) of the link from node POS of LEVEL to its Q-th parent. */
static int64_t uid_of(const so_tree *so, int level, int64_t pos, int64_t q)
{
    int64_t base = 0;
    for (int l = 0; l < level; l++)
        base += so->nodes_at[l] * so->w[l];
    return base + pos * so->w[level] + q;
}

/* SimGrid netpoint id of node POS of LEVEL in its tree: hosts are 0..hosts-1, switches count
 * down from 2 x hosts - 1, level by level. */
static int64_t netpoint_id(const so_tree *so, int level, int64_t pos)
{
    if (level == 0)
        return pos;
    int64_t before = 0;
    for (int l = 1; l < level; l++)
        before += so->nodes_at[l];
    return 2 * so->nodes_at[0] - 1 - (before + pos);
}

int so_route(const platform_t *p, int32_t src_acc, int32_t dst_acc, double *lat_s, uint32_t *links, size_t cap)
{
    const so_tree *so = &p->so;
    int32_t rail = dst_acc % p->apn;
    int64_t sn = so_nic(p, src_acc, rail), dn = so_nic(p, dst_acc, rail);
    int64_t tree = so->trees > 1 ? dn % p->apn : 0, spos = so->trees > 1 ? sn / p->apn : sn,
            dpos = so->trees > 1 ? dn / p->apn : dn;
    int64_t dglob = tree * so->nodes_at[0] + dpos; /* SimGrid's position counter spans the trees */
    int64_t cur[3], dest[3];
    label_of(so, 0, spos, cur);
    label_of(so, 0, dpos, dest);
    size_t base = so->base + 2 * (size_t)(tree * so->links_per_tree);
    int level = 0, n = 0;
    for (;;) { /* up, until the destination is below */
        bool below = level > 0;
        for (int i = level; below && i < so->levels; i++)
            below = cur[i] == dest[i];
        if (below)
            break;
        int64_t d = dglob;
        for (int i = 0; i < level; i++)
            d /= so->w[i];
        int64_t q = d % so->w[level];
        if ((size_t)n >= cap)
            return -1;
        links[n++] = (uint32_t)(base + 2 * (size_t)uid_of(so, level, pos_of(so, level, cur), q));
        cur[level] = q;
        level++;
    }
    while (level > 0) { /* down */
        int64_t q = cur[level - 1];
        cur[level - 1] = dest[level - 1];
        level--;
        if ((size_t)n >= cap)
            return -1;
        links[n++] = (uint32_t)(base + 2 * (size_t)uid_of(so, level, pos_of(so, level, cur), q) + 1);
    }
    *lat_s = n * so->lat_s;
    return n;
}

/* The tree-local link uid U: its child (level, position) and parent index. */
static void uid_decode(const so_tree *so, int64_t u, int *level, int64_t *pos, int64_t *q)
{
    int l = 0;
    while (l < so->levels - 1 && u >= so->nodes_at[l] * so->w[l]) {
        u -= so->nodes_at[l] * so->w[l];
        l++;
    }
    *level = l;
    *pos = u / so->w[l];
    *q = u % so->w[l];
}

static int64_t parent_pos(const so_tree *so, int level, int64_t pos, int64_t q)
{
    int64_t lab[3];
    label_of(so, level, pos, lab);
    lab[level] = q;
    return pos_of(so, level + 1, lab);
}

void so_link_name(const platform_t *p, size_t l, char *buf, size_t n)
{
    const so_tree *so = &p->so;
    int64_t uid = (int64_t)(l / 2), u = uid % so->links_per_tree, pos, q;
    int level;
    uid_decode(so, u, &level, &pos, &q);
    snprintf(buf, n, "link_from_%lld_%lld_%lld_%s", (long long)netpoint_id(so, level, pos),
             (long long)netpoint_id(so, level + 1, parent_pos(so, level, pos, q)), (long long)uid,
             l % 2 ? "DOWN" : "UP");
}

/* NIC id at position POS of TREE, or a padding id (above every NIC) for unused positions. */
static int64_t host_id(const platform_t *p, int64_t tree, int64_t pos)
{
    const so_tree *so = &p->so;
    if (pos < so->real)
        return so->trees > 1 ? pos * p->apn + tree : pos;
    return so_nics(p) + tree * (so->nodes_at[0] - so->real) + (pos - so->real);
}

void so_write_xml(const platform_t *p, FILE *f)
{
    const so_tree *so = &p->so;
    char params[160];
    int L = so->levels;
    snprintf(params, sizeof params, L == 2 ? "2;%lld,%lld;%lld,%lld;1,1" : "3;%lld,%lld,%lld;%lld,%lld,%lld;1,1,1",
             (long long)so->m[0], (long long)so->m[1], (long long)(L == 2 ? so->w[0] : so->m[2]),
             (long long)(L == 2 ? so->w[1] : so->w[0]), (long long)so->w[1], (long long)so->w[2]);
    for (int64_t t = 0; t < so->trees; t++) {
        fprintf(f, "  <cluster id=\"so_rail%lld\" prefix=\"nic\" suffix=\"\" radical=\"", (long long)t);
        /* host names in position order, consecutive ids as ranges */
        int64_t pos = 0, P0 = so->nodes_at[0];
        while (pos < P0) {
            int64_t a = host_id(p, t, pos), end = pos + 1;
            while (end < P0 && host_id(p, t, end) == a + (end - pos))
                end++;
            if (end - pos > 1)
                fprintf(f, "%s%lld-%lld", pos ? "," : "", (long long)a, (long long)(a + end - pos - 1));
            else
                fprintf(f, "%s%lld", pos ? "," : "", (long long)a);
            pos = end;
        }
        fprintf(f,
                "\" speed=\"1f\"\n           bw=\"%.17gBps\" lat=\"%.17gs\" sharing_policy=\"SPLITDUPLEX\" "
                "topology=\"FAT_TREE\" topo_parameters=\"%s\"/>\n",
                so->bw_Bps, so->lat_s, params);
    }
}

/* ---- physical links: the links of each tree below its used levels whose child subtree holds a
 * NIC: NIC links, then leaf uplinks, then aggregation uplinks ---- */

static int64_t real_nodes(const so_tree *so, int level)
{
    if (level == 0)
        return so->real;
    if (level == 1)
        return so->leaves_real;
    return so->w[1] * ceil_div(so->leaves_real, so->m[1]); /* aggregation switches of pods with a NIC */
}

/* Nodes with a NIC below them come first at every level (leaf j covers positions j m0 ..; the
 * aggregation switches of pod k are positions k w1 ..), so the I-th of them is position I. */
int64_t so_nphys(const platform_t *p)
{
    const so_tree *so = &p->so;
    int64_t n = 0;
    for (int l = 0; l < used_levels(so); l++)
        n += real_nodes(so, l) * so->w[l];
    return (int64_t)so->trees * n;
}

void so_phys(const platform_t *p, int64_t i, int64_t nic_base, int64_t sw_base, phys_link *o)
{
    const so_tree *so = &p->so;
    int64_t per = so_nphys(p) / so->trees, tree = i / per, r = i % per;
    int level = 0;
    while (r >= real_nodes(so, level) * so->w[level]) {
        r -= real_nodes(so, level) * so->w[level];
        level++;
    }
    int64_t pos = r / so->w[level], q = r % so->w[level];
    int64_t uid = tree * so->links_per_tree + uid_of(so, level, pos, q);
    int64_t ppos = parent_pos(so, level, pos, q);
    /* global switch index: tree, level, position */
    int64_t per_tree_sw = 0;
    for (int l = 1; l <= so->levels; l++)
        per_tree_sw += so->nodes_at[l];
    int64_t before = 0;
    for (int l = 1; l <= level; l++)
        before += so->nodes_at[l];
    int64_t parent = sw_base + tree * per_tree_sw + before + ppos;
    int64_t child;
    if (level == 0)
        child = nic_base + host_id(p, tree, pos);
    else
        child = sw_base + tree * per_tree_sw + before - so->nodes_at[level] + pos;
    *o = (phys_link){.a = child,
                     .b = parent,
                     .via = -1,
                     .tier = level,
                     .plane = so->trees > 1 ? (int32_t)tree : -1,
                     .cls = &p->t.scaleout.link,
                     .lat_s = so->lat_s,
                     .sim_up = (uint32_t)(so->base + 2 * (size_t)uid),
                     .sim_down = (uint32_t)(so->base + 2 * (size_t)uid + 1)};
}

int64_t so_nswitches(const platform_t *p)
{
    const so_tree *so = &p->so;
    int64_t n = 0;
    for (int l = 1; l <= so->levels; l++)
        n += so->nodes_at[l];
    return (int64_t)so->trees * n;
}

void so_switch_node(const platform_t *p, int64_t k, sw_node *o)
{
    const so_tree *so = &p->so;
    int64_t per = so_nswitches(p) / so->trees, tree = k / per, r = k % per;
    int level = 1;
    while (r >= so->nodes_at[level]) {
        r -= so->nodes_at[level];
        level++;
    }
    static const char *const NAMES[2][4] = {{"", "leaf", "spine", ""}, {"", "leaf", "agg", "core"}};
    snprintf(o->name, sizeof o->name, "so_rail%lld_%s%lld", (long long)tree, NAMES[so->levels == 3][level],
             (long long)r);
    o->tier = level;
    o->plane = so->trees > 1 ? (int32_t)tree : -1;
}

void so_stats(const platform_t *p, topo_stats *st)
{
    const so_tree *so = &p->so;
    const hw_link *l = &p->t.scaleout.link;
    const hw_medium *m = p->t.media;
    int64_t T = so->trees, R = p->t.scaleout.sw.radix, H = so->real, L1 = so->leaves_real;
    int used = used_levels(so);
    st->tier_name[0] = "leaf";
    st->switches[0] = T * L1;
    int64_t links = T * H, modules = T * H * hw_link_modules(l, m, 1);
    /* leaves: their NICs and, if the tree climbs, their uplinks */
    for (int64_t j = 0; j < L1; j++) {
        int64_t nics = imin(so->m[0], H - j * so->m[0]);
        modules += T * hw_link_modules(l, m, nics + (used > 1 ? so->w[1] : 0));
    }
    if (used > 1) {
        links += T * L1 * so->w[1];
        if (so->levels == 2) {
            /* spine slices of L1 ports each, packed into chips of R ports */
            st->tier_name[1] = "spine";
            st->switches[1] = ceil_div(T * so->w[1] * L1, R);
            modules += hw_link_modules(l, m, T * so->w[1] * L1);
        } else {
            int64_t pods = ceil_div(L1, so->m[1]);
            st->tier_name[1] = "aggregation";
            st->switches[1] = T * pods * so->w[1];
            for (int64_t pod = 0; pod < pods; pod++) {
                int64_t lv = imin(so->m[1], L1 - pod * so->m[1]);
                modules += T * so->w[1] * hw_link_modules(l, m, lv + (used > 2 ? so->w[2] : 0));
            }
            if (used > 2) {
                links += T * pods * so->w[1] * so->w[2];
                st->tier_name[2] = "core";
                st->switches[2] = ceil_div(T * so->w[1] * so->w[2] * pods, R);
                modules += hw_link_modules(l, m, T * so->w[1] * so->w[2] * pods);
            }
        }
    }
    st->links[l->medium] += links;
    st->modules[l->medium] += modules;
    st->switch_power_W = (double)(st->switches[0] + st->switches[1] + st->switches[2]) * p->t.scaleout.sw.power_W;
    double share = used > 1 ? fmin(1.0, (double)so->w[1] / (double)so->m[0]) : 1.0;
    st->bisection_Bps = (double)T * (double)(H / 2) * so->bw_Bps * share;
    st->nonblocking = share >= 1.0;
    st->diameter_hops = 2 * used;
}

void so_describe(const platform_t *p, FILE *f)
{
    const so_tree *so = &p->so;
    char bw[64], lat[64];
    units_format(so->bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(so->lat_s, DIM_TIME, lat, sizeof lat);
    fprintf(f,
            "Scale-out: %s, %d-tier rail-optimized fat tree%s (%lld NICs per tree, %lld NIC ports and %lld uplinks "
            "per leaf), %s links, %s per hop including the switch. ",
            so->trees > 1 ? "one NIC per accelerator" : "one NIC per node", so->levels,
            so->trees > 1 ? " per rail" : "", (long long)so->real, (long long)so->m[0], (long long)so->w[1], bw, lat);
}
