/* Storage tiers and what they cost a job: checkpoint save (synchronous, or two-stage: copy to
 * host memory, then a background write) and restore, data loading per iteration, and the KV-cache
 * offload tier of inference. Transfers through a shared tier are priced by a max-min fair fluid
 * model (progressive filling: every active client gets min(its own cap, an equal share of what
 * the others leave); when one finishes the others speed up), which is what SimGrid's flow model
 * computes for a set of flows sharing one link behind per-flow limits. Pure functions.
 * Ownership: callers own every buffer; nothing here allocates except storage_fluid_s's scratch. */
#ifndef OAS_STORAGE_H
#define OAS_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "storage/storage_spec.h"

/* N clients move BYTES[i] each through a pool of aggregate bandwidth AGG_BPS, each client at
 * most CLIENT_BPS[i] (or CLIENT_BPS[0] for all when UNIFORM_CAP). Returns the time the last one
 * finishes (0 when nothing moves); FINISH[i], if non-NULL, receives each one's end.
 * AGG_BPS <= 0 means no shared limit. Returns -1 on a client with no bandwidth or no memory. */
double storage_fluid_s(const double *bytes, size_t n, const double *client_Bps, int uniform_cap, double agg_Bps,
                       double *finish);

/* The job as storage sees it: NODES nodes of ACCELS_PER_NODE accelerators, each node's NIC
 * bandwidth toward the PFS over the scale-out network (used when storage.pfs.network =
 * scaleout; 0: there is none). */
typedef struct st_job {
    int64_t nodes;
    int64_t accels_per_node;
    double scaleout_nic_Bps;
} st_job;

/* The PFS rate one of N nodes gets when all write or read at once with aggregate AGG_BPS:
 * min(per-client cap, node NIC, AGG / N); *BOUND names the binding limit. */
double storage_pfs_client_Bps(const storage_spec *s, const st_job *j, double agg_Bps, const char **bound);

/* Checkpoint costs for a checkpoint of SIZE_B bytes sharded evenly over the job's nodes and
 * accelerators. Times are for the whole job (all nodes in parallel). */
typedef struct st_ckpt_cost {
    double size_B, node_B, accel_B;
    double copy_s;        /* accelerator memory -> host memory */
    double write_s;       /* host memory -> the durable tier (PFS or NVMe), latency included */
    double stall_s;       /* what training waits for: copy + write (sync) or copy (two-stage) */
    double background_s;  /* two-stage: the write after the stall; sync: 0 */
    double pfs_copy_s;    /* tier = nvme: the background copy of every pfs_every-th checkpoint to the PFS */
    double restore_s;     /* read back from the durable tier + copy into accelerator memory */
    double restore_pfs_s; /* tier = nvme: restore from the PFS copy (after a host failure) */
    double write_Bps;     /* per node, to the durable tier */
    const char *write_bound; /* "aggregate", "client", "nic", "nvme" */
} st_ckpt_cost;

/* Fills C. Errors (a node's shard larger than host memory for a two-stage checkpoint, or than
 * half the NVMe for tier nvme, which keeps the previous checkpoint until the new one is
 * complete) are returned as -1 with ERR naming the keys and both figures. */
int storage_checkpoint_cost(const storage_spec *s, const st_job *j, double size_B, st_ckpt_cost *c, diag_t *err);

/* Reading the training data of TOKENS tokens from the PFS, spread evenly over the nodes. */
double storage_data_read_s(const storage_spec *s, const st_job *j, double tokens);

/* Inference: fetching BYTES of KV cache from the offload tier into accelerator memory
 * (latency + bytes / bandwidth); 0 when there is no tier. */
double storage_kv_fetch_s(const storage_spec *s, double bytes);

#endif
