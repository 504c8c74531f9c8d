/* A YAML document as a small tree whose every node keeps its file, line and column, so that
 * even semantic errors found long after parsing point at the source. Built from libyaml's event
 * stream with hard limits (depth, node count, scalar size, alias expansion) so hostile input is
 * refused with a message instead of exhausting memory. Duplicate keys are errors.
 * Ownership: yt_load_*() return a tree the caller frees with yt_free(); strings inside belong to
 * the tree. File names are interned for the life of the process (nodes point at them). */
#ifndef OAS_YAMLTREE_H
#define OAS_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum yn_kind { YN_SCALAR, YN_MAP, YN_SEQ } yn_kind;

typedef struct ynode ynode;
struct ynode {
    yn_kind kind;
    const char *file;
    int line, col;    /* 1-based position of the node's value */
    char *value;      /* scalar text (NUL-terminated; YN_SCALAR only) */
    bool quoted;      /* scalar was written in quotes (so "1" is a string, not a number) */
    size_t n, cap;    /* entries of a map, items of a sequence */
    char **keys;      /* map keys (YN_MAP) */
    int *key_line, *key_col;
    const char **key_file; /* where each key was written (a --set key differs from its map) */
    ynode **items;    /* map values or sequence items */
};

/* Limits that keep hostile files bounded. */
enum {
    YT_MAX_DEPTH = 64,
    YT_MAX_NODES = 1000000,
    YT_MAX_SCALAR = 1 << 20,
    YT_MAX_FILE = 64 << 20,
};

/* Loads the first (only) document of PATH. *TEXT_OUT, if non-NULL, receives the file's bytes
 * (caller frees). Errors name the file and position. */
ynode *yt_load_file(const char *path, char **text_out, diag_t *err);
/* Same from memory; NAME is used in messages. */
ynode *yt_load_string(const char *text, size_t len, const char *name, diag_t *err);
void yt_free(ynode *n);

/* Map lookup (NULL if absent or N is not a map). */
ynode *yt_get(const ynode *map, const char *key);
/* Index of KEY in MAP or -1. */
long yt_index(const ynode *map, const char *key);
/* A new scalar node (value copied). */
ynode *yt_scalar_new(const char *value, const char *file, int line, int col);
ynode *yt_map_new(const char *file, int line, int col);
/* Puts KEY -> VAL into MAP (replacing and freeing an existing value). Takes VAL. The key's
 * position is VAL's file at KEY_LINE:KEY_COL. 0 or -1. */
int yt_map_put(ynode *map, const char *key, ynode *val, int key_line, int key_col);
/* Deep copy. */
ynode *yt_clone(const ynode *n);
/* Overlays OVER onto BASE: maps merge key by key recursively, anything else replaces.
 * OVER is not modified. 0 or -1. */
int yt_merge(ynode *base, const ynode *over);
/* Interns a file name for node positions. */
const char *yt_intern(const char *name);

#endif
