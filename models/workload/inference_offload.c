/* KV-cache offload tier of one replica (storage.kv_offload: host DRAM or SSD pool): a second-level
 * prefix cache of 512-token hash blocks. Blocks evicted from the HBM prefix cache are written here
 * (a block already here is only marked recently used); when full, the least recently used block
 * is dropped. A block fetched back into HBM stays here (the tier is a cache, as LMCache's CPU
 * store is), so its next HBM eviction writes nothing.
 * Invariant: entries <= capacity, every entry is in the hash table and the LRU list exactly once. */
#include <stdlib.h>

#include "inference_impl.h"

typedef struct tentry {
    int64_t hash;
    int32_t prev, next; /* LRU links (-1: none); head = least recently used */
    int32_t chain;      /* next entry in the same bucket, or the next free entry */
} tentry;

struct inf_tier {
    int64_t capacity, n;
    tentry *e;
    int32_t ne, cap_e, free_e;
    int32_t *bucket;
    uint32_t nbucket; /* power of two */
    int32_t head, tail;
    uint64_t writes, evictions, hits;
};

inf_tier *inf_tier_new(int64_t capacity_blocks, int64_t distinct_hashes)
{
    inf_tier *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->capacity = capacity_blocks > 0 ? capacity_blocks : 0;
    t->head = t->tail = t->free_e = -1;
    /* It never holds more entries than its capacity or than the distinct hashes of the requests. */
    int64_t most = t->capacity < distinct_hashes ? t->capacity : distinct_hashes;
    uint32_t nb = 64;
    while ((int64_t)nb < 2 * most && nb < (1u << 30))
        nb <<= 1;
    t->nbucket = nb;
    t->bucket = malloc(nb * sizeof *t->bucket);
    if (!t->bucket) {
        free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        t->bucket[i] = -1;
    return t;
}

void inf_tier_free(inf_tier *t)
{
    if (!t)
        return;
    free(t->e);
    free(t->bucket);
    free(t);
}

int64_t inf_tier_capacity(const inf_tier *t)
{
    return t->capacity;
}

int64_t inf_tier_used(const inf_tier *t)
{
    return t->n;
}

uint64_t inf_tier_writes(const inf_tier *t)
{
    return t->writes;
}

uint64_t inf_tier_evictions(const inf_tier *t)
{
    return t->evictions;
}

uint64_t inf_tier_hits(const inf_tier *t)
{
    return t->hits;
}

static uint32_t tslot(const inf_tier *t, int64_t h)
{
    uint64_t x = (uint64_t)h * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32) & (t->nbucket - 1);
}

static int32_t tfind(const inf_tier *t, int64_t h)
{
    for (int32_t i = t->bucket[tslot(t, h)]; i >= 0; i = t->e[i].chain)
        if (t->e[i].hash == h)
            return i;
    return -1;
}

static void tunlink(inf_tier *t, int32_t i)
{
    tentry *x = &t->e[i];
    if (x->prev >= 0)
        t->e[x->prev].next = x->next;
    else
        t->head = x->next;
    if (x->next >= 0)
        t->e[x->next].prev = x->prev;
    else
        t->tail = x->prev;
    x->prev = x->next = -1;
}

static void tappend(inf_tier *t, int32_t i)
{
    tentry *x = &t->e[i];
    x->prev = t->tail;
    x->next = -1;
    if (t->tail >= 0)
        t->e[t->tail].next = i;
    else
        t->head = i;
    t->tail = i;
}

static void tdrop_lru(inf_tier *t)
{
    int32_t i = t->head;
    tunlink(t, i);
    int32_t *link = &t->bucket[tslot(t, t->e[i].hash)];
    while (*link != i)
        link = &t->e[*link].chain;
    *link = t->e[i].chain;
    t->e[i].chain = t->free_e;
    t->free_e = i;
    t->n--;
    t->evictions++;
}

int inf_tier_put(inf_tier *t, int64_t hash)
{
    if (t->capacity < 1)
        return 0;
    int32_t i = tfind(t, hash);
    if (i >= 0) {
        tunlink(t, i);
        tappend(t, i);
        return 0;
    }
    if (t->n == t->capacity)
        tdrop_lru(t);
    if (t->free_e >= 0) {
        i = t->free_e;
        t->free_e = t->e[i].chain;
    } else {
        if (t->ne == t->cap_e) {
            int32_t cap = t->cap_e ? 2 * t->cap_e : 1024;
            tentry *e = realloc(t->e, (size_t)cap * sizeof *e);
            if (!e)
                return -1;
            t->e = e;
            t->cap_e = cap;
        }
        i = t->ne++;
    }
    tentry *x = &t->e[i];
    x->hash = hash;
    uint32_t s = tslot(t, hash);
    x->chain = t->bucket[s];
    t->bucket[s] = i;
    tappend(t, i);
    t->n++;
    t->writes++;
    return 0;
}

int32_t inf_tier_match(const inf_tier *t, const int64_t *hashes, int32_t n)
{
    int32_t k = 0;
    while (k < n && tfind(t, hashes[k]) >= 0)
        k++;
    return k;
}

void inf_tier_touch(inf_tier *t, const int64_t *hashes, int32_t n)
{
    for (int32_t k = 0; k < n; k++) {
        int32_t i = tfind(t, hashes[k]);
        if (i < 0)
            continue;
        tunlink(t, i);
        tappend(t, i);
        t->hits++;
    }
}

void inf_tier_reset(inf_tier *t)
{
    t->n = 0;
    t->ne = 0;
    t->free_e = -1;
    t->head = t->tail = -1;
    for (uint32_t i = 0; i < t->nbucket; i++)
        t->bucket[i] = -1;
}
