/* KV cache of one replica: a count of fixed-size blocks, and a prefix cache of 512-token blocks
 * named by their Mooncake hash_ids, kept after their requests finish and evicted least recently
 * used first when new blocks are needed (vLLM's automatic prefix caching, at hash granularity);
 * an evicted block is written to the replica's offload tier when it has one (inference_offload.c).
 * Invariant: used = private blocks + cached entries x blocks_per_entry <= capacity, and the
 * LRU list holds exactly the cached entries with no reference. */
#include <stdlib.h>
#include <string.h>

#include "inference_impl.h"

typedef struct entry {
    int64_t hash;
    int32_t refs;
    int32_t prev, next; /* LRU links (-1: none) while refs == 0 */
    int32_t chain;      /* next entry in the same hash bucket, or the next free entry */
} entry;

struct inf_kv {
    int64_t capacity, used, evictable;
    int32_t block_tokens, per_entry;
    bool prefix;
    entry *e;
    int32_t ne, cap_e, free_e;
    int32_t *bucket;
    uint32_t nbucket; /* power of two */
    int32_t lru_head, lru_tail; /* head: least recently used */
    uint64_t evictions;
    inf_tier *tier;   /* evicted blocks go there (NULL: dropped) */
};

inf_kv *inf_kv_new(int64_t capacity_blocks, int32_t block_tokens, bool prefix_caching)
{
    inf_kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return NULL;
    kv->capacity = capacity_blocks;
    kv->block_tokens = block_tokens;
    kv->per_entry = INF_PREFIX_TOKENS / block_tokens;
    kv->prefix = prefix_caching;
    kv->lru_head = kv->lru_tail = -1;
    kv->free_e = -1;
    if (prefix_caching) {
        int64_t max_entries = capacity_blocks / kv->per_entry + 1;
        uint32_t nb = 64;
        while ((int64_t)nb < 2 * max_entries && nb < (1u << 30))
            nb <<= 1;
        kv->nbucket = nb;
        kv->bucket = malloc(nb * sizeof *kv->bucket);
        if (!kv->bucket) {
            free(kv);
            return NULL;
        }
        for (uint32_t i = 0; i < nb; i++)
            kv->bucket[i] = -1;
    }
    return kv;
}

void inf_kv_free(inf_kv *kv)
{
    if (!kv)
        return;
    free(kv->e);
    free(kv->bucket);
    free(kv);
}

int64_t inf_kv_capacity(const inf_kv *kv)
{
    return kv->capacity;
}

int64_t inf_kv_used(const inf_kv *kv)
{
    return kv->used;
}

int64_t inf_kv_available(const inf_kv *kv)
{
    return kv->capacity - kv->used + kv->evictable;
}

int32_t inf_kv_block_tokens(const inf_kv *kv)
{
    return kv->block_tokens;
}

uint64_t inf_kv_evictions(const inf_kv *kv)
{
    return kv->evictions;
}

void inf_kv_attach_tier(inf_kv *kv, inf_tier *t)
{
    kv->tier = t;
}

static uint32_t slot(const inf_kv *kv, int64_t h)
{
    uint64_t x = (uint64_t)h * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32) & (kv->nbucket - 1);
}

static int32_t find(const inf_kv *kv, int64_t h)
{
    for (int32_t i = kv->bucket[slot(kv, h)]; i >= 0; i = kv->e[i].chain)
        if (kv->e[i].hash == h)
            return i;
    return -1;
}

static void lru_unlink(inf_kv *kv, int32_t i)
{
    entry *x = &kv->e[i];
    if (x->prev >= 0)
        kv->e[x->prev].next = x->next;
    else
        kv->lru_head = x->next;
    if (x->next >= 0)
        kv->e[x->next].prev = x->prev;
    else
        kv->lru_tail = x->prev;
    x->prev = x->next = -1;
    kv->evictable -= kv->per_entry;
}

static void lru_append(inf_kv *kv, int32_t i)
{
    entry *x = &kv->e[i];
    x->prev = kv->lru_tail;
    x->next = -1;
    if (kv->lru_tail >= 0)
        kv->e[kv->lru_tail].next = i;
    else
        kv->lru_head = i;
    kv->lru_tail = i;
    kv->evictable += kv->per_entry;
}

static void evict_one(inf_kv *kv)
{
    int32_t i = kv->lru_head;
    lru_unlink(kv, i);
    entry *x = &kv->e[i];
    uint32_t s = slot(kv, x->hash);
    int32_t *link = &kv->bucket[s];
    while (*link != i)
        link = &kv->e[*link].chain;
    *link = x->chain;
    x->chain = kv->free_e;
    kv->free_e = i;
    kv->used -= kv->per_entry;
    kv->evictions++;
    if (kv->tier)
        (void)inf_tier_put(kv->tier, x->hash); /* out of memory: the block is simply not kept */
}

bool inf_kv_take(inf_kv *kv, int64_t n)
{
    if (n <= 0)
        return true;
    if (n > inf_kv_available(kv))
        return false;
    while (kv->capacity - kv->used < n)
        evict_one(kv);
    kv->used += n;
    return true;
}

void inf_kv_give(inf_kv *kv, int64_t n)
{
    kv->used -= n;
}

int32_t inf_kv_match(inf_kv *kv, const int64_t *hashes, int32_t n, int32_t max)
{
    if (!kv->prefix)
        return 0;
    int32_t k = 0;
    while (k < n && k < max) {
        int32_t i = find(kv, hashes[k]);
        if (i < 0)
            break;
        if (kv->e[i].refs++ == 0)
            lru_unlink(kv, i);
        k++;
    }
    return k;
}

void inf_kv_unref(inf_kv *kv, const int64_t *hashes, int32_t n)
{
    for (int32_t k = 0; k < n; k++) {
        int32_t i = find(kv, hashes[k]);
        if (i >= 0 && --kv->e[i].refs == 0)
            lru_append(kv, i);
    }
}

bool inf_kv_promote(inf_kv *kv, int64_t hash)
{
    if (!kv->prefix)
        return false;
    int32_t i = find(kv, hash);
    if (i >= 0) {
        if (kv->e[i].refs++ == 0)
            lru_unlink(kv, i);
        kv->used -= kv->per_entry; /* the private copy is dropped */
        return true;
    }
    if (kv->free_e >= 0) {
        i = kv->free_e;
        kv->free_e = kv->e[i].chain;
    } else {
        if (kv->ne == kv->cap_e) {
            int32_t cap = kv->cap_e ? 2 * kv->cap_e : 1024;
            entry *e = realloc(kv->e, (size_t)cap * sizeof *e);
            if (!e)
                return false; /* not remembered: the blocks stay private to the request */
            kv->e = e;
            kv->cap_e = cap;
        }
        i = kv->ne++;
    }
    entry *x = &kv->e[i];
    x->hash = hash;
    x->refs = 1;
    x->prev = x->next = -1;
    uint32_t s = slot(kv, hash);
    x->chain = kv->bucket[s];
    kv->bucket[s] = i;
    /* used is unchanged: the request's private blocks now belong to the cache */
    return true;
}

void inf_kv_reset(inf_kv *kv)
{
    kv->used = kv->evictable = 0;
    kv->ne = 0;
    kv->free_e = -1;
    kv->lru_head = kv->lru_tail = -1;
    for (uint32_t i = 0; i < kv->nbucket; i++)
        kv->bucket[i] = -1;
    if (kv->tier)
        inf_tier_reset(kv->tier);
}
