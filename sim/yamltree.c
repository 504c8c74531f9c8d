/* YAML -> position-carrying tree, from libyaml's event API. Invariant: every node has a file,
 * line and column; limits (depth, nodes, scalar length, alias expansion) are enforced while
 * parsing, before anything large is allocated. */
#include "yamltree.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

typedef struct anchor {
    char *name;
    ynode *node; /* borrowed: lives in the tree */
} anchor;

typedef struct builder {
    yaml_parser_t parser;
    const char *file;
    diag_t *err;
    size_t nodes;
    anchor *anchors;
    size_t nanchors, capanchors;
    const char *text; /* the input, for the character at an error */
    size_t len;
} builder;

const char *yt_intern(const char *name)
{
    /* A tiny process-lifetime list: scenario runs touch a handful of files. */
    static struct interned {
        struct interned *next;
        char s[];
    } *head;
    for (struct interned *i = head; i; i = i->next)
        if (strcmp(i->s, name) == 0)
            return i->s;
    size_t len = strlen(name);
    struct interned *i = malloc(sizeof *i + len + 1);
    if (!i)
        return "<out of memory>";
    memcpy(i->s, name, len + 1);
    i->next = head;
    head = i;
    return i->s;
}

static ynode *node_new(yn_kind kind, const char *file, int line, int col)
{
    ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

void yt_free(ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        yt_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_line);
    free(n->key_col);
    free(n->key_file);
    free(n->value);
    free(n);
}

static int grow(ynode *n)
{
    if (n->n < n->cap)
        return 0;
    size_t cap = n->cap ? n->cap * 2 : 8;
    ynode **items = realloc(n->items, cap * sizeof *items);
    if (!items)
        return -1;
    n->items = items;
    if (n->kind == YN_MAP) {
        char **keys = realloc(n->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        n->keys = keys;
        int *kl = realloc(n->key_line, cap * sizeof *kl);
        if (!kl)
            return -1;
        n->key_line = kl;
        int *kc = realloc(n->key_col, cap * sizeof *kc);
        if (!kc)
            return -1;
        n->key_col = kc;
        const char **kf = realloc(n->key_file, cap * sizeof *kf);
        if (!kf)
            return -1;
        n->key_file = kf;
    }
    n->cap = cap;
    return 0;
}

long yt_index(const ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP)
        return -1;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return (long)i;
    return -1;
}

ynode *yt_get(const ynode *map, const char *key)
{
    long i = yt_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

ynode *yt_scalar_new(const char *value, const char *file, int line, int col)
{
    ynode *n = node_new(YN_SCALAR, file, line, col);
    if (!n)
        return NULL;
    n->value = strdup(value);
    if (!n->value) {
        free(n);
        return NULL;
    }
    return n;
}

ynode *yt_map_new(const char *file, int line, int col)
{
    return node_new(YN_MAP, file, line, col);
}

int yt_map_put(ynode *map, const char *key, ynode *val, int key_line, int key_col)
{
    long i = yt_index(map, key);
    if (i >= 0) {
        yt_free(map->items[i]);
        map->items[i] = val;
        return 0;
    }
    if (grow(map))
        return -1;
    map->keys[map->n] = strdup(key);
    if (!map->keys[map->n])
        return -1;
    map->key_line[map->n] = key_line;
    map->key_col[map->n] = key_col;
    map->key_file[map->n] = val->file;
    map->items[map->n++] = val;
    return 0;
}

ynode *yt_clone(const ynode *n)
{
    if (!n)
        return NULL;
    ynode *c = node_new(n->kind, n->file, n->line, n->col);
    if (!c)
        return NULL;
    c->quoted = n->quoted;
    if (n->value && !(c->value = strdup(n->value)))
        goto fail;
    for (size_t i = 0; i < n->n; i++) {
        if (grow(c))
            goto fail;
        ynode *item = yt_clone(n->items[i]);
        if (!item)
            goto fail;
        if (c->kind == YN_MAP) {
            c->keys[c->n] = strdup(n->keys[i]);
            if (!c->keys[c->n]) {
                yt_free(item);
                goto fail;
            }
            c->key_line[c->n] = n->key_line[i];
            c->key_col[c->n] = n->key_col[i];
            c->key_file[c->n] = n->key_file[i];
        }
        c->items[c->n++] = item;
    }
    return c;
fail:
    yt_free(c);
    return NULL;
}

int yt_merge(ynode *base, const ynode *over)
{
    if (base->kind != YN_MAP || over->kind != YN_MAP)
        return -1;
    for (size_t i = 0; i < over->n; i++) {
        ynode *cur = yt_get(base, over->keys[i]);
        if (cur && cur->kind == YN_MAP && over->items[i]->kind == YN_MAP) {
            if (yt_merge(cur, over->items[i]))
                return -1;
            continue;
        }
        ynode *c = yt_clone(over->items[i]);
        if (!c || yt_map_put(base, over->keys[i], c, over->key_line[i], over->key_col[i])) {
            yt_free(c);
            return -1;
        }
    }
    return 0;
}

/* ---- building from events ---- */

static size_t count_nodes(const ynode *n)
{
    size_t c = 1;
    for (size_t i = 0; i < n->n; i++)
        c += count_nodes(n->items[i]);
    return c;
}

static int fail_mark(builder *b, yaml_mark_t m, const char *fmt, const char *arg)
{
    return diag_fail_at(b->err, b->file, (int)m.line + 1, (int)m.column + 1, fmt, arg);
}

static int parser_error(builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR) {
        /* libyaml reports encoding problems by byte offset. */
        return diag_fail_at(b->err, b->file, 1, 1,
                            "not valid UTF-8 text (%s at byte %zu); scenarios must be UTF-8",
                            problem, p->problem_offset);
    }
    if (p->error == YAML_MEMORY_ERROR)
        return diag_fail_at(b->err, b->file, 1, 1, "out of memory while parsing YAML");
    char extra[160] = "";
    if (strstr(problem, "tab") || (m.index < b->len && b->text[m.index] == '\t'))
        snprintf(extra, sizeof extra, " (YAML forbids tabs for indentation; use spaces)");
    else if (strstr(problem, "could not find expected ':'") && p->context && strstr(p->context, "simple key"))
        snprintf(extra, sizeof extra, " (a key must fit on one line and be at most 1024 characters)");
    /* A construct left open far above the error (an unterminated quote): say where it began. */
    char began[64] = "";
    if (p->context && p->context_mark.line != m.line)
        snprintf(began, sizeof began, " at line %d, column %d,", (int)p->context_mark.line + 1,
                 (int)p->context_mark.column + 1);
    if (p->context)
        return diag_fail_at(b->err, b->file, (int)m.line + 1, (int)m.column + 1, "invalid YAML: %s%s %s%s",
                            p->context, began, problem, extra);
    return diag_fail_at(b->err, b->file, (int)m.line + 1, (int)m.column + 1, "invalid YAML: %s%s", problem,
                        extra);
}

static int remember_anchor(builder *b, const yaml_char_t *name, ynode *n)
{
    if (!name)
        return 0;
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? 2 * b->capanchors : 8;
        anchor *a = realloc(b->anchors, cap * sizeof *a);
        if (!a)
            return -1;
        b->anchors = a;
        b->capanchors = cap;
    }
    b->anchors[b->nanchors].name = strdup((const char *)name);
    if (!b->anchors[b->nanchors].name)
        return -1;
    b->anchors[b->nanchors++].node = n;
    return 0;
}

static int next_event(builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev))
        return parser_error(b);
    return 0;
}

/* Parses one node whose first event is EV (consumed). Returns the node or NULL. */
static ynode *parse_node(builder *b, yaml_event_t *ev, int depth);

/* Scenarios are plain data: an explicit tag (!!python/object, !!binary, !custom) is refused
 * rather than silently ignored. Returns 0, or -1 with the message set. */
static int refuse_tag(builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *tag = ev->type == YAML_SCALAR_EVENT           ? ev->data.scalar.tag
                             : ev->type == YAML_MAPPING_START_EVENT  ? ev->data.mapping_start.tag
                             : ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
                                                                     : NULL;
    if (!tag)
        return 0;
    const char *t = (const char *)tag, *core = "tag:yaml.org,2002:";
    char shown[80];
    snprintf(shown, sizeof shown, "%s%.60s", strncmp(t, core, strlen(core)) ? "" : "!!",
             strncmp(t, core, strlen(core)) ? t : t + strlen(core));
    return diag_fail_at(b->err, b->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                        "YAML tag '%s' is not supported; scenarios hold plain values", shown);
}

static ynode *parse_alias(builder *b, yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = b->nanchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) != 0)
            continue;
        size_t add = count_nodes(b->anchors[i].node);
        if (b->nodes + add > YT_MAX_NODES) {
            fail_mark(b, ev->start_mark,
                      "alias '*%s' would expand the document past the limit of 1,000,000 nodes", name);
            return NULL;
        }
        b->nodes += add;
        ynode *c = yt_clone(b->anchors[i].node);
        if (!c) {
            diag_fail(b->err, "out of memory");
            return NULL;
        }
        c->line = (int)ev->start_mark.line + 1;
        c->col = (int)ev->start_mark.column + 1;
        return c;
    }
    diag_fail_at(b->err, b->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                 "unknown alias '*%s': no node anchored '&%s' ends before it", name, name);
    return NULL;
}

static ynode *parse_scalar(builder *b, yaml_event_t *ev)
{
    if (ev->data.scalar.length > YT_MAX_SCALAR) {
        fail_mark(b, ev->start_mark, "a scalar of more than %s; refusing it", "1 MiB");
        return NULL;
    }
    if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
        fail_mark(b, ev->start_mark, "a scalar contains a NUL character%s", "");
        return NULL;
    }
    ynode *n = node_new(YN_SCALAR, b->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
    if (!n || !(n->value = strdup((const char *)ev->data.scalar.value))) {
        yt_free(n);
        diag_fail(b->err, "out of memory");
        return NULL;
    }
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (remember_anchor(b, ev->data.scalar.anchor, n)) {
        diag_fail(b->err, "out of memory");
        yt_free(n);
        return NULL;
    }
    return n;
}

static ynode *parse_collection(builder *b, yaml_event_t *ev, int depth)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    if (depth >= YT_MAX_DEPTH) {
        fail_mark(b, ev->start_mark, "nesting deeper than %s levels; refusing it", "64");
        return NULL;
    }
    ynode *n = node_new(is_map ? YN_MAP : YN_SEQ, b->file, (int)ev->start_mark.line + 1,
                        (int)ev->start_mark.column + 1);
    if (!n) {
        diag_fail(b->err, "out of memory");
        return NULL;
    }
    const yaml_char_t *anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    for (;;) {
        yaml_event_t e;
        if (next_event(b, &e))
            goto fail;
        if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        char *key = NULL;
        int kline = 0, kcol = 0;
        if (is_map) {
            if (e.type != YAML_SCALAR_EVENT) {
                fail_mark(b, e.start_mark, "a mapping key must be a plain name%s", "");
                yaml_event_delete(&e);
                goto fail;
            }
            if (refuse_tag(b, &e)) {
                yaml_event_delete(&e);
                goto fail;
            }
            kline = (int)e.start_mark.line + 1;
            kcol = (int)e.start_mark.column + 1;
            if (e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp((const char *)e.data.scalar.value, "<<")) {
                diag_fail_at(b->err, b->file, kline, kcol,
                             "YAML merge keys ('<<') are not supported; write the keys out (or use 'preset:')");
                yaml_event_delete(&e);
                goto fail;
            }
            key = strdup((const char *)e.data.scalar.value);
            if (!key) {
                yaml_event_delete(&e);
                diag_fail(b->err, "out of memory");
                goto fail;
            }
            long dup = yt_index(n, key);
            if (dup >= 0) {
                diag_fail_at(b->err, b->file, kline, kcol, "duplicate key '%s' (first defined at line %d)", key,
                             n->key_line[dup]);
                free(key);
                yaml_event_delete(&e);
                goto fail;
            }
            yaml_event_delete(&e);
            if (next_event(b, &e)) {
                free(key);
                goto fail;
            }
        }
        ynode *child = parse_node(b, &e, depth + 1);
        if (!child || grow(n)) {
            if (child)
                diag_fail(b->err, "out of memory");
            yt_free(child);
            free(key);
            goto fail;
        }
        if (is_map) {
            n->keys[n->n] = key;
            n->key_line[n->n] = kline;
            n->key_col[n->n] = kcol;
            n->key_file[n->n] = b->file;
        }
        n->items[n->n++] = child;
    }
    if (remember_anchor(b, anchor_name, n)) {
        diag_fail(b->err, "out of memory");
        goto fail;
    }
    return n;
fail:
    yt_free(n);
    return NULL;
}

static ynode *parse_node(builder *b, yaml_event_t *ev, int depth)
{
    ynode *n = NULL;
    if (++b->nodes > YT_MAX_NODES) {
        fail_mark(b, ev->start_mark, "more than %s nodes; refusing the document", "1,000,000");
    } else if (refuse_tag(b, ev)) {
        n = NULL;
    } else if (ev->type == YAML_SCALAR_EVENT) {
        n = parse_scalar(b, ev);
    } else if (ev->type == YAML_ALIAS_EVENT) {
        n = parse_alias(b, ev);
    } else if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT) {
        n = parse_collection(b, ev, depth);
    } else {
        fail_mark(b, ev->start_mark, "unexpected YAML structure%s", "");
    }
    yaml_event_delete(ev);
    return n;
}

ynode *yt_load_string(const char *text, size_t len, const char *name, diag_t *err)
{
    builder b = {.file = yt_intern(name), .err = err, .text = text, .len = len};
    ynode *root = NULL;
    if (!yaml_parser_initialize(&b.parser)) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    /* UTF-8 only: libyaml would otherwise decode a UTF-16 file (after its byte-order mark), whose
     * NUL bytes then cut the verbatim source stored in the trace. */
    yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);
    yaml_event_t ev;
    /* STREAM-START, then DOCUMENT-START or STREAM-END for an empty file. */
    if (next_event(&b, &ev))
        goto done;
    yaml_event_delete(&ev);
    if (next_event(&b, &ev))
        goto done;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        diag_fail_at(err, b.file, 1, 1, "the scenario is empty");
        goto done;
    }
    yaml_event_delete(&ev);
    if (next_event(&b, &ev))
        goto done;
    root = parse_node(&b, &ev, 0);
    if (!root)
        goto done;
    if (next_event(&b, &ev)) /* DOCUMENT-END */
        goto fail_root;
    yaml_event_delete(&ev);
    if (next_event(&b, &ev))
        goto fail_root;
    if (ev.type != YAML_STREAM_END_EVENT) {
        fail_mark(&b, ev.start_mark, "more than one YAML document; a scenario is %s", "one document");
        yaml_event_delete(&ev);
        goto fail_root;
    }
    yaml_event_delete(&ev);
    goto done;
fail_root:
    yt_free(root);
    root = NULL;
done:
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    yaml_parser_delete(&b.parser);
    return root;
}

ynode *yt_load_file(const char *path, char **text_out, diag_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return diag_fail(err, "%s: error: cannot open scenario: %s", path, strerror(errno)), NULL;
    if (S_ISDIR(st.st_mode))
        return diag_fail(err, "%s: error: is a directory, not a scenario file", path), NULL;
    if (!S_ISREG(st.st_mode))
        return diag_fail(err, "%s: error: not a regular file", path), NULL;
    if (st.st_size > YT_MAX_FILE)
        return diag_fail(err, "%s: error: file of %lld bytes exceeds the 64 MiB limit for scenarios", path,
                         (long long)st.st_size),
               NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(err, "%s: error: cannot open scenario: %s", path, strerror(errno)), NULL;
    size_t len = (size_t)st.st_size;
    char *text = malloc(len + 1);
    if (!text) {
        fclose(f);
        return diag_fail(err, "%s: error: out of memory", path), NULL;
    }
    size_t got = fread(text, 1, len, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != len) {
        free(text);
        return diag_fail(err, "%s: error: cannot read scenario", path), NULL;
    }
    text[len] = '\0';
    ynode *root = yt_load_string(text, len, path, err);
    if (root && text_out)
        *text_out = text;
    else
        free(text);
    return root;
}
