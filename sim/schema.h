/* The scenario schema: tables of fields, one table ("part") per model, so each model declares
 * its own keys next to its code. A field maps a dotted YAML path to a member of scenario_t (by
 * offset), with its type, unit, default, bounds, documentation and an optional condition on an
 * earlier enumerated field ("workload.kind=training|inference"). The same tables drive
 * validation, unknown-key suggestions, the resolved dump and docs/scenario-reference.md.
 * Lists of mappings (schedules, replicas, sweep axes) are F_CUSTOM fields: the part's callback
 * binds the YAML subtree itself, usually element by element with schema_bind_map().
 * Ownership: tables are static; nothing here allocates except what callbacks choose to. */
#ifndef OAS_SCHEMA_H
#define OAS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "units.h"
#include "yamltree.h"

typedef enum fkind {
    F_INT,    /* int64_t */
    F_QTY,    /* double, SI, with a dimension (DIM_NONE: plain number) */
    F_STR,    /* char[size] */
    F_ENUM,   /* int: index into names */
    F_BOOL,   /* bool: true/false */
    F_CUSTOM, /* any node; bound by the field's callback */
} fkind;

struct scenario;

typedef struct field field;
struct field {
    const char *path;         /* dotted path from the root (or from the element, in sub-tables) */
    fkind kind;
    unit_dim dim;             /* F_QTY */
    size_t off;               /* offset of the member in the base struct */
    size_t size;              /* F_STR buffer size */
    const char *const *names; /* F_ENUM: NULL-terminated */
    const char *def;          /* default as YAML text; NULL = required; "" for F_STR = empty */
    double lo, hi;            /* inclusive bounds (F_INT, F_QTY); lo_open makes lo exclusive */
    bool lo_open;
    const char *doc;          /* one sentence or two; the unit/default come from the other members */
    const char *when;         /* NULL or "other.path=value|value": the field exists only then */
    /* F_CUSTOM: binds NODE (NULL when absent) into BASE; returns 0 or -1 with ERR set. */
    int (*custom)(void *base, const ynode *node, const field *f, diag_t *err);
    const char *custom_type;  /* F_CUSTOM: type shown in the reference, e.g. "list of mappings" */
};

/* A model's part of the scenario: its fields (paths from the scenario root) and an optional
 * cross-field check run after every part is bound. */
typedef struct schema_part {
    const char *name;
    const field *fields;
    size_t nfields;
    int (*check)(struct scenario *sc, diag_t *err);
} schema_part;

#define SCHEMA_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Binds the mapping MAP to BASE with the sub-table FIELDS (paths relative to MAP): unknown keys,
 * types, units, bounds, defaults and conditions, with errors at MAP's positions. PREFIX is the
 * path of MAP shown in messages ("failures.schedule[2]"). */
int schema_bind_map(void *base, const field *fields, size_t n, const ynode *map, const char *prefix, diag_t *err);
/* Converts one scalar TEXT for field F into BASE (used by schema_bind_map and the loader). */
int schema_bind_scalar(void *base, const field *f, const char *shown_path, const char *text, const char *file,
                       int line, int col, diag_t *err);
/* Formats the value of F in BASE as YAML text. */
void schema_format_value(const void *base, const field *f, char *buf, size_t n);
/* Writes the Markdown rows for a table (used for sub-tables in the reference). */
void schema_markdown_rows(FILE *out, const field *fields, size_t n, const char *prefix);

#endif
