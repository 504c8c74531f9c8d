/* Storage pricing: the max-min fair fluid model of clients sharing a tier, and what checkpoints,
 * restores, data loading and KV-cache fetches cost on the scenario's tiers. Invariant: every
 * time is latency + bytes / a bandwidth no client exceeds (its own cap, its NIC, or its fair
 * share of the aggregate), so doubling the binding limit halves the transfer part. */
#include "storage/storage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

double storage_fluid_s(const double *bytes, size_t n, const double *client_Bps, int uniform_cap, double agg_Bps,
                       double *finish)
{
    double *left = malloc((n ? n : 1) * sizeof *left);
    if (!left)
        return -1;
    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        double cap = client_Bps[uniform_cap ? 0 : i];
        left[i] = bytes[i];
        if (finish)
            finish[i] = 0;
        if (bytes[i] > 0) {
            if (!(cap > 0)) {
                free(left);
                return -1;
            }
            active++;
        }
    }
    double now = 0;
    while (active > 0) {
        /* Progressive filling: raise every active client's rate together; a client stops rising
         * at its own cap, the others share what the aggregate has left. LEVEL ends as the rate
         * of every client whose cap is above it. */
        double remaining = agg_Bps > 0 ? agg_Bps : INFINITY;
        size_t unfixed = active;
        double level = 0;
        while (unfixed > 0) {
            double share = remaining / (double)unfixed;
            double lowest = INFINITY;
            for (size_t i = 0; i < n; i++) {
                double cap = client_Bps[uniform_cap ? 0 : i];
                if (left[i] > 0 && cap > level && cap < lowest)
                    lowest = cap;
            }
            if (!(lowest <= share) || isinf(lowest)) {
                level = share;
                break;
            }
            for (size_t i = 0; i < n; i++)
                if (left[i] > 0 && client_Bps[uniform_cap ? 0 : i] == lowest) {
                    remaining -= lowest;
                    unfixed--;
                }
            level = lowest;
        }
        if (isinf(level)) { /* no cap and no aggregate: nothing bounds the transfer */
            free(left);
            return -1;
        }
        /* Every client runs at min(cap, level) until the first one finishes. */
        double dt = INFINITY;
        for (size_t i = 0; i < n; i++)
            if (left[i] > 0)
                dt = fmin(dt, left[i] / fmin(client_Bps[uniform_cap ? 0 : i], level));
        now += dt;
        for (size_t i = 0; i < n; i++) {
            if (!(left[i] > 0))
                continue;
            left[i] -= fmin(client_Bps[uniform_cap ? 0 : i], level) * dt;
            if (left[i] <= 1e-12 * bytes[i]) {
                left[i] = 0;
                active--;
                if (finish)
                    finish[i] = now;
            }
        }
    }
    free(left);
    return now;
}

/* The node's network limit toward the PFS. */
static double node_nic_Bps(const storage_spec *s, const st_job *j)
{
    return s->pfs.network == ST_NET_DEDICATED ? s->pfs.nic_bw_Bps : j->scaleout_nic_Bps;
}

double storage_pfs_client_Bps(const storage_spec *s, const st_job *j, double agg_Bps, const char **bound)
{
    double r = INFINITY;
    const char *b = "aggregate";
    if (agg_Bps > 0) {
        r = agg_Bps / (double)(j->nodes > 0 ? j->nodes : 1);
    }
    double nic = node_nic_Bps(s, j);
    if (nic > 0 && nic < r) {
        r = nic;
        b = "nic";
    }
    if (s->pfs.client_bw_Bps > 0 && s->pfs.client_bw_Bps < r) {
        r = s->pfs.client_bw_Bps;
        b = "client";
    }
    if (bound)
        *bound = b;
    return r;
}

/* All NODES clients moving B bytes each through the PFS with aggregate AGG: the fluid model
 * with every client capped at min(client cap, NIC). */
static double pfs_all_s(const storage_spec *s, const st_job *j, double node_B, double agg_Bps)
{
    if (!(node_B > 0))
        return 0;
    double cap = INFINITY;
    double nic = node_nic_Bps(s, j);
    if (nic > 0)
        cap = nic;
    if (s->pfs.client_bw_Bps > 0)
        cap = fmin(cap, s->pfs.client_bw_Bps);
    if (isinf(cap) && !(agg_Bps > 0))
        return 0; /* no limit at all: rejected by the schema check */
    /* Identical clients: one fluid computation on NODES equal entries is the closed form
     * node_B / min(cap, agg / nodes); computed through the fluid model for uniformity. */
    size_t n = (size_t)(j->nodes > 0 ? j->nodes : 1);
    double *b = malloc(n * sizeof *b);
    if (!b)
        return node_B / fmin(cap, agg_Bps / (double)n);
    for (size_t i = 0; i < n; i++)
        b[i] = node_B;
    double t = storage_fluid_s(b, n, &cap, 1, agg_Bps, NULL);
    free(b);
    return s->pfs.latency_s + t;
}

int storage_checkpoint_cost(const storage_spec *s, const st_job *j, double size_B, st_ckpt_cost *c, diag_t *err)
{
    memset(c, 0, sizeof *c);
    double nodes = (double)(j->nodes > 0 ? j->nodes : 1);
    c->size_B = size_B;
    c->node_B = size_B / nodes;
    c->accel_B = c->node_B / (double)(j->accels_per_node > 0 ? j->accels_per_node : 1);
    c->copy_s = c->accel_B / s->host.copy_bw_Bps;
    char a[64], b[64];
    if (s->ckpt.mode == ST_CKPT_TWO_STAGE && c->node_B > s->host.capacity_B) {
        units_format(c->node_B, DIM_BYTES, a, sizeof a);
        units_format(s->host.capacity_B, DIM_BYTES, b, sizeof b);
        return diag_fail(err,
                         "a node's checkpoint shard (%s) does not fit in the host memory left for checkpoints "
                         "(storage.host.capacity = %s) needed by a two-stage checkpoint",
                         a, b);
    }
    double pfs_write = pfs_all_s(s, j, c->node_B, s->pfs.write_bw_Bps);
    double pfs_read = pfs_all_s(s, j, c->node_B, s->pfs.read_bw_Bps);
    if (s->ckpt.tier == ST_TIER_NVME) {
        if (2 * c->node_B > s->nvme.capacity_B) {
            units_format(c->node_B, DIM_BYTES, a, sizeof a);
            units_format(s->nvme.capacity_B, DIM_BYTES, b, sizeof b);
            return diag_fail(err,
                             "storage.checkpoint.tier = nvme keeps the previous checkpoint while writing the next: "
                             "two node shards (2 x %s) do not fit in storage.nvme.capacity (%s)",
                             a, b);
        }
        c->write_s = c->node_B / s->nvme.write_bw_Bps;
        c->write_Bps = s->nvme.write_bw_Bps;
        c->write_bound = "nvme";
        c->restore_s = c->node_B / s->nvme.read_bw_Bps + c->copy_s;
        c->pfs_copy_s = pfs_write;
        c->restore_pfs_s = pfs_read + c->copy_s;
    } else {
        c->write_s = pfs_write;
        c->write_Bps = storage_pfs_client_Bps(s, j, s->pfs.write_bw_Bps, &c->write_bound);
        c->restore_s = pfs_read + c->copy_s;
        c->restore_pfs_s = c->restore_s;
    }
    if (s->ckpt.mode == ST_CKPT_TWO_STAGE) {
        c->stall_s = c->copy_s;
        c->background_s = c->write_s;
    } else {
        c->stall_s = c->copy_s + c->write_s;
        c->background_s = 0;
    }
    return 0;
}

double storage_data_read_s(const storage_spec *s, const st_job *j, double tokens)
{
    double total = tokens * s->data.bytes_per_token;
    if (!(total > 0))
        return 0;
    return pfs_all_s(s, j, total / (double)(j->nodes > 0 ? j->nodes : 1), s->pfs.read_bw_Bps);
}

double storage_kv_fetch_s(const storage_spec *s, double bytes)
{
    if (s->kv.tier == ST_KV_NONE || !(bytes > 0))
        return 0;
    return s->kv.latency_s + bytes / s->kv.bw_Bps;
}
