/* Private to the scenario loader and schema.c: sets of fields drawn from several tables, the
 * walk that finds each field's node, and the binding pass. */
#ifndef OAS_SCHEMA_IMPL_H
#define OAS_SCHEMA_IMPL_H

#include "schema.h"

typedef struct fset {
    const field *const *f;
    size_t n;
} fset;

struct schema_pos {
    const char *file;
    int line, col;
    bool set; /* written in the scenario or by --set (not a default) */
};

const field *fset_find(const fset *s, const char *path);
long fset_index(const fset *s, const char *path);
/* Finds the node of every field under MAP (FOUND parallel to S), reporting unknown keys. */
int fset_walk(const fset *s, const ynode *map, const char *prefix, const char *shown, const ynode **found,
              diag_t *err);
/* Binds found values and defaults, in set order; records positions in POS if non-NULL. */
int fset_bind(const fset *s, void *base, const ynode *root, const ynode **found, const char *shown_prefix,
              struct schema_pos *pos, diag_t *err);
bool fset_condition(const fset *s, const void *base, const field *f, char *why, size_t n);
void schema_missing_pos(const ynode *root, const char *path, const char **file, int *line, int *col);
const char *schema_kind_word(const ynode *n);

#endif
