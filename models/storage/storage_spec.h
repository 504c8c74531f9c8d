/* The storage section of a scenario (storage.*), in SI units: the tiers a node reaches (host
 * memory, node-local NVMe, a shared parallel file system with aggregate and per-client limits),
 * how checkpoints use them, what data loading reads per token, and the KV-cache offload tier of
 * inference. Filled by the loader from models/storage/storage_schema.c; read by models/storage. */
#ifndef OAS_STORAGE_SPEC_H
#define OAS_STORAGE_SPEC_H

#include <stdint.h>

typedef enum st_ckpt_mode { ST_CKPT_SYNC, ST_CKPT_TWO_STAGE } st_ckpt_mode;
typedef enum st_tier { ST_TIER_PFS, ST_TIER_NVME } st_tier;
typedef enum st_network { ST_NET_SCALEOUT, ST_NET_DEDICATED } st_network;
typedef enum st_kv_tier { ST_KV_NONE, ST_KV_DRAM, ST_KV_SSD } st_kv_tier;

typedef struct storage_spec {
    struct {
        double copy_bw_Bps;   /* accelerator memory -> host memory, per accelerator (PCIe, C2C) */
        double capacity_B;    /* host memory per node available for checkpoint buffers */
    } host;
    struct {
        double write_bw_Bps, read_bw_Bps; /* per node */
        double capacity_B;                /* per node */
    } nvme;
    struct {
        double write_bw_Bps, read_bw_Bps; /* aggregate, all clients */
        double client_bw_Bps;             /* per client (node) */
        double latency_s;                 /* per checkpoint file set: open, metadata, commit */
        int network;                      /* st_network: how clients reach it */
        double nic_bw_Bps;                /* dedicated storage network: per node */
    } pfs;
    struct {
        int mode;                 /* st_ckpt_mode */
        int tier;                 /* st_tier: where checkpoints are made durable */
        double size_B;            /* 0: bytes_per_param x parameters of the model */
        double bytes_per_param;   /* weights + optimizer state */
        int64_t pfs_every;        /* tier = nvme: every Nth checkpoint is also copied to the PFS */
    } ckpt;
    struct {
        double bytes_per_token;   /* training data read per token */
    } data;
    struct {
        int tier;                 /* st_kv_tier */
        double bw_Bps;            /* per replica, reading from the tier */
        double latency_s;         /* per fetch */
        double capacity_B;        /* per replica */
    } kv;
} storage_spec;

#endif
