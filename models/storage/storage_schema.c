/* Scenario keys of the storage model (storage.*): host memory, node-local NVMe, the parallel
 * file system and its network, checkpoints, data loading (all when resilience.mode = timeline)
 * and the KV-cache offload tier of inference. Defaults describe a DGX H100-class node and the
 * Llama 3 storage (Tectonic); sources are in docs/sources.md, "Resilience and storage". */
#include <math.h>

#include "scenario.h"
#include "storage/storage.h"
#include "units.h"

#define OFF(m) offsetof(scenario_t, storage.m)
#define BIG 1e300
#define WHEN_ON "resilience.mode=timeline"

static const char *const MODES[] = {"sync", "two_stage", NULL};
static const char *const TIERS[] = {"pfs", "nvme", NULL};
static const char *const NETS[] = {"scaleout", "dedicated", NULL};
static const char *const KV_TIERS[] = {"none", "dram", "ssd", NULL};

static const field FIELDS[] = {
    {"storage.checkpoint.mode", F_ENUM, DIM_NONE, OFF(ckpt.mode), 0, MODES, "sync", 0, 0, false,
     "`sync`: training stops while the checkpoint is copied to host memory and written to its tier. "
     "`two_stage`: training stops only for the copy; the write runs in the background and the checkpoint "
     "counts once it is complete (a failure during the write falls back to the previous one).",
     WHEN_ON, NULL, NULL},
    {"storage.checkpoint.tier", F_ENUM, DIM_NONE, OFF(ckpt.tier), 0, TIERS, "pfs", 0, 0, false,
     "Where a checkpoint is made durable: `pfs` (survives any failure) or `nvme` (node-local: a host failure "
     "falls back to the last checkpoint copied to the PFS, see `pfs_every`).",
     WHEN_ON, NULL, NULL},
    {"storage.host.copy_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(host.copy_bw_Bps), 0, NULL, "63 GB/s", 0, BIG, true,
     "Copy bandwidth from one accelerator's memory to host memory (and back). Default: PCIe 5.0 x16, 32 GT/s x 16 "
     "lanes x 128/130, per direction (an upper bound; H100 SXM).",
     WHEN_ON, NULL, NULL},
    {"storage.host.capacity", F_QTY, DIM_BYTES, OFF(host.capacity_B), 0, NULL, "1 TB", 0, BIG, false,
     "Host memory per node free for checkpoint buffers (a two-stage checkpoint holds the node's whole shard). "
     "Default: half of a DGX H100's 2 TB.",
     "storage.checkpoint.mode=two_stage", NULL, NULL},
    {"storage.nvme.write_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(nvme.write_bw_Bps), 0, NULL, "30.4 GB/s", 0, BIG, true,
     "Node-local NVMe write bandwidth, per node. Default: 8 U.2 drives (DGX H100) x 3.8 GB/s sequential write "
     "(PCIe 4.0 enterprise drive class).",
     "storage.checkpoint.tier=nvme", NULL, NULL},
    {"storage.nvme.read_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(nvme.read_bw_Bps), 0, NULL, "56 GB/s", 0, BIG, true,
     "Node-local NVMe read bandwidth, per node. Default: 8 drives x 7 GB/s sequential read.",
     "storage.checkpoint.tier=nvme", NULL, NULL},
    {"storage.nvme.capacity", F_QTY, DIM_BYTES, OFF(nvme.capacity_B), 0, NULL, "30.72 TB", 0, BIG, false,
     "Node-local NVMe capacity. Default: DGX H100, 8 x 3.84 TB.", "storage.checkpoint.tier=nvme", NULL, NULL},
    {"storage.pfs.write_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(pfs.write_bw_Bps), 0, NULL, "2 TB/s", 0, BIG, true,
     "Aggregate write bandwidth of the shared parallel file system, all clients together. Default: Llama 3's "
     "Tectonic, 2 TB/s sustained (7 TB/s peak).",
     WHEN_ON, NULL, NULL},
    {"storage.pfs.read_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(pfs.read_bw_Bps), 0, NULL, "2 TB/s", 0, BIG, true,
     "Aggregate read bandwidth of the parallel file system. Default: as the write bandwidth.", WHEN_ON, NULL, NULL},
    {"storage.pfs.client_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(pfs.client_bw_Bps), 0, NULL, "0 b/s", 0, BIG, false,
     "Most one client (node) gets from the file system whatever its network offers (client software, "
     "protocol). `0 b/s`: no limit beyond the network.",
     WHEN_ON, NULL, NULL},
    {"storage.pfs.latency", F_QTY, DIM_TIME, OFF(pfs.latency_s), 0, NULL, "0 s", 0, BIG, false,
     "Fixed cost of writing or reading one checkpoint (file creation, metadata, commit). `0 s`: not modelled.",
     WHEN_ON, NULL, NULL},
    {"storage.pfs.network", F_ENUM, DIM_NONE, OFF(pfs.network), 0, NETS, "dedicated", 0, 0, false,
     "How nodes reach the file system: `scaleout` through their scale-out NICs (the NICs' bandwidth per node "
     "bounds a client), `dedicated` through a storage network with `nic_bandwidth` per node.",
     WHEN_ON, NULL, NULL},
    {"storage.pfs.nic_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(pfs.nic_bw_Bps), 0, NULL, "800 Gb/s", 0, BIG, true,
     "Storage-network bandwidth of one node. Default: DGX H100, two ConnectX-7 ports at 400 Gb/s toward the "
     "storage fabric.",
     "storage.pfs.network=dedicated", NULL, NULL},
    {"storage.checkpoint.size", F_QTY, DIM_BYTES, OFF(ckpt.size_B), 0, NULL, "0 B", 0, BIG, false,
     "Size of one checkpoint of the whole job. `0 B`: `bytes_per_parameter` x the model's parameters "
     "(workload.model).",
     WHEN_ON, NULL, NULL},
    {"storage.checkpoint.bytes_per_parameter", F_QTY, DIM_BYTES, OFF(ckpt.bytes_per_param), 0, NULL, "16 B", 0, BIG,
     true,
     "Checkpoint bytes per parameter. Default: mixed-precision Adam, 2 (bf16 weights) + 4 (fp32 master) + 4 + 4 "
     "(moments) + 2 (gradients) = 16 (REFERENCE 'Reliability').",
     WHEN_ON, NULL, NULL},
    {"storage.checkpoint.pfs_every", F_INT, DIM_NONE, OFF(ckpt.pfs_every), 0, NULL, "1", 1, 1000000, false,
     "Tier nvme: every Nth checkpoint is also copied to the PFS in the background.", "storage.checkpoint.tier=nvme",
     NULL, NULL},
    {"storage.data.bytes_per_token", F_QTY, DIM_BYTES, OFF(data.bytes_per_token), 0, NULL, "4 B", 0, BIG, false,
     "Training data read from the PFS per token, prefetched during the previous iteration (an iteration lasts "
     "at least the read). Default: one int32 token id per token, pre-tokenized data.",
     WHEN_ON, NULL, NULL},
    {"storage.kv_offload.tier", F_ENUM, DIM_NONE, OFF(kv.tier), 0, KV_TIERS, "none", 0, 0, false,
     "KV-cache offload tier for prefix caching (host DRAM or SSD pool, per replica; Mooncake's KV store): "
     "512-token blocks evicted from the HBM prefix cache are kept there (LRU, up to `capacity`); a prompt "
     "whose prefix continues in the tier fetches those blocks (latency + bytes / bandwidth, one fetch at a "
     "time per replica) before its prefill, instead of recomputing them. Needs workload.serving.prefix_caching; "
     "the tier is lost when its replica fails. See docs/inference.md.",
     "workload.kind=inference", NULL, NULL},
    {"storage.kv_offload.bandwidth", F_QTY, DIM_BANDWIDTH, OFF(kv.bw_Bps), 0, NULL, "63 GB/s", 0, BIG, true,
     "Bandwidth of fetching KV blocks from the tier into accelerator memory, per replica. Default: host DRAM "
     "over PCIe 5.0 x16 (32 GT/s x 16 lanes x 128/130). For `ssd` set the pool's read bandwidth, e.g. 14 GB/s "
     "for one PCIe 5.0 NVMe drive (Micron 9550, sequential read) or 56 GB/s for 8 PCIe 4.0 drives.",
     "storage.kv_offload.tier=dram|ssd", NULL, NULL},
    {"storage.kv_offload.latency", F_QTY, DIM_TIME, OFF(kv.latency_s), 0, NULL, "10 us", 0, BIG, false,
     "Fixed cost of one fetch from the tier (a request's blocks are fetched at once). Default: an estimate for "
     "host DRAM (copy launch and DMA set-up); an NVMe read takes on the order of 100 us.",
     "storage.kv_offload.tier=dram|ssd", NULL, NULL},
    {"storage.kv_offload.capacity", F_QTY, DIM_BYTES, OFF(kv.capacity_B), 0, NULL, "1 TB", 0, BIG, true,
     "Capacity of the tier per replica, in whole 512-token blocks of the model's KV cache (all layers). "
     "Default: half of a DGX H100's 2 TB of host memory.",
     "storage.kv_offload.tier=dram|ssd", NULL, NULL},
};

static int check(scenario_t *sc, diag_t *err)
{
    const storage_spec *s = &sc->storage;
    /* Only an inference workload reads the tier (the field's `when`); it needs the prefix cache. */
    if (s->kv.tier != ST_KV_NONE && sc->wl.kind == WL_INFERENCE && !sc->wl.inference.prefix_caching)
        return scenario_fail_at(sc, "storage.kv_offload.tier", err,
                                "'storage.kv_offload.tier' keeps blocks evicted from the prefix cache, but "
                                "workload.serving.prefix_caching is false");
    if (sc->resilience.mode != RS_MODE_TIMELINE)
        return 0;
    if (s->pfs.network == ST_NET_SCALEOUT && sc->topo.scaleout.kind == TOPO_SO_NONE)
        return scenario_fail_at(sc, "storage.pfs.network", err,
                                "'storage.pfs.network' is scaleout but the topology has no scale-out network "
                                "(topology.scaleout); use 'dedicated'");
    return 0;
}

const schema_part schema_part_storage = {"storage", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
