/* Request trace readers (Azure CSV, Mooncake JSONL, Vidur CSV), line by line with exact
 * positions in every error. Times are kept as integer nanoseconds until the window is applied,
 * so an Azure timestamp (seconds since 1970 with seven decimals) loses nothing to rounding.
 * Invariant: after a successful load, every data row of the file is either a request or
 * counted in outside_window / over_limit. */
#include "reqtrace.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const FMT_NAMES[] = {"auto", "azure", "mooncake", "vidur"};

const char *reqtrace_format_name(reqtrace_fmt f)
{
    return (unsigned)f < sizeof FMT_NAMES / sizeof FMT_NAMES[0] ? FMT_NAMES[f] : "?";
}

/* ---- rows as read ---- */

typedef struct rows {
    size_t n, cap;
    int64_t *t_ns;
    int32_t *prompt, *output;
    int64_t *line;
    int64_t *hoff; /* n + 1 */
    size_t nh, caph;
    int64_t *hashes;
} rows;

static int rows_push(rows *r, int64_t t_ns, int32_t prompt, int32_t output, int64_t line)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4096;
        int64_t *t = realloc(r->t_ns, cap * sizeof *t);
        if (t)
            r->t_ns = t;
        int32_t *p = realloc(r->prompt, cap * sizeof *p);
        if (p)
            r->prompt = p;
        int32_t *o = realloc(r->output, cap * sizeof *o);
        if (o)
            r->output = o;
        int64_t *l = realloc(r->line, cap * sizeof *l);
        if (l)
            r->line = l;
        int64_t *h = realloc(r->hoff, (cap + 1) * sizeof *h);
        if (h)
            r->hoff = h;
        if (!t || !p || !o || !l || !h)
            return -1;
        r->cap = cap;
    }
    if (r->n == 0)
        r->hoff[0] = 0;
    r->t_ns[r->n] = t_ns;
    r->prompt[r->n] = prompt;
    r->output[r->n] = output;
    r->line[r->n] = line;
    r->hoff[r->n + 1] = (int64_t)r->nh;
    r->n++;
    return 0;
}

static int rows_hash(rows *r, int64_t h)
{
    if (r->nh == r->caph) {
        size_t cap = r->caph ? 2 * r->caph : 4096;
        int64_t *p = realloc(r->hashes, cap * sizeof *p);
        if (!p)
            return -1;
        r->hashes = p;
        r->caph = cap;
    }
    r->hashes[r->nh++] = h;
    return 0;
}

static void rows_free(rows *r)
{
    free(r->t_ns);
    free(r->prompt);
    free(r->output);
    free(r->line);
    free(r->hoff);
    free(r->hashes);
    memset(r, 0, sizeof *r);
}

/* ---- scalar parsing ---- */

typedef struct pos {
    const char *path;
    int64_t line;
} pos;

static int fail(diag_t *err, const pos *p, size_t col0, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(diag_t *err, const pos *p, size_t col0, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_fail_at(err, p->path, (int)p->line, (int)col0 + 1, "%s", msg);
}

/* Shows at most 40 bytes of S[0..len) in messages. */
static void shown(char *buf, size_t n, const char *s, size_t len)
{
    size_t k = len < 40 ? len : 40;
    snprintf(buf, n, "%.*s%s", (int)k, s, len > 40 ? "..." : "");
}

/* A decimal integer in [lo, hi], optionally written with a zero fraction ("128.0"), surrounded by
 * blanks. Returns 0, or -1 with a reason. */
static int parse_count(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *out, char *why, size_t n)
{
    size_t i = 0, end = len;
    while (i < end && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    char txt[64];
    shown(txt, sizeof txt, s + i, end - i);
    if (i == end) {
        snprintf(why, n, "empty value where a token count is expected");
        return -1;
    }
    size_t d0 = i;
    int64_t v = 0;
    while (i < end && isdigit((unsigned char)s[i])) {
        if (v > (INT64_MAX - 9) / 10) {
            snprintf(why, n, "'%s' is too large", txt);
            return -1;
        }
        v = 10 * v + (s[i] - '0');
        i++;
    }
    if (i == d0) {
        snprintf(why, n, "'%s' is not a non-negative integer", txt);
        return -1;
    }
    if (i < end && s[i] == '.') {
        i++;
        while (i < end && s[i] == '0')
            i++;
    }
    if (i != end) {
        snprintf(why, n, "'%s' is not a non-negative integer", txt);
        return -1;
    }
    if (v < lo || v > hi) {
        snprintf(why, n, "%lld is out of range (%lld to %lld)", (long long)v, (long long)lo, (long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* A finite decimal number (JSON grammar, or a plain CSV float), surrounded by blanks. */
static int parse_real(const char *s, size_t len, double *out, char *why, size_t n)
{
    size_t i = 0, end = len;
    while (i < end && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    char buf[64], txt[64];
    shown(txt, sizeof txt, s + i, end - i);
    if (i == end || end - i >= sizeof buf) {
        snprintf(why, n, i == end ? "empty value where a number is expected" : "'%s' is not a number", txt);
        return -1;
    }
    memcpy(buf, s + i, end - i);
    buf[end - i] = '\0';
    for (size_t k = 0; buf[k]; k++)
        if (!(isdigit((unsigned char)buf[k]) || strchr("+-.eE", buf[k]))) {
            snprintf(why, n, "'%s' is not a number", txt);
            return -1;
        }
    errno = 0;
    char *e;
    double v = strtod(buf, &e);
    if (*e || e == buf) {
        snprintf(why, n, "'%s' is not a number", txt);
        return -1;
    }
    if (errno == ERANGE || !isfinite(v)) {
        snprintf(why, n, "'%s' is out of the range of a double", txt);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- Azure timestamps ---- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* NDIG digits at S+*I into *V; advances *I. */
static bool digits(const char *s, size_t len, size_t *i, int ndig, int64_t *v)
{
    int64_t x = 0;
    for (int k = 0; k < ndig; k++, (*i)++) {
        if (*i >= len || !isdigit((unsigned char)s[*i]))
            return false;
        x = 10 * x + (s[*i] - '0');
    }
    *v = x;
    return true;
}

int reqtrace_parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec, size_t *at, char *why,
                             size_t whylen)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    int64_t y, mo, d, h, mi, se;
#define EXPECT(cond, msg)                         \
    do {                                          \
        if (!(cond)) {                            \
            *at = i;                              \
            snprintf(why, whylen, "%s", msg);     \
            return -1;                            \
        }                                         \
    } while (0)
    const char *shape = "expected a timestamp 'YYYY-MM-DD HH:MM:SS[.fraction][+HH:MM]'";
    EXPECT(digits(s, len, &i, 4, &y), shape);
    EXPECT(i < len && s[i] == '-', shape);
    i++;
    EXPECT(digits(s, len, &i, 2, &mo), shape);
    EXPECT(i < len && s[i] == '-', shape);
    i++;
    EXPECT(digits(s, len, &i, 2, &d), shape);
    EXPECT(i < len && (s[i] == ' ' || s[i] == 'T'), shape);
    i++;
    EXPECT(digits(s, len, &i, 2, &h), shape);
    EXPECT(i < len && s[i] == ':', shape);
    i++;
    EXPECT(digits(s, len, &i, 2, &mi), shape);
    EXPECT(i < len && s[i] == ':', shape);
    i++;
    EXPECT(digits(s, len, &i, 2, &se), shape);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12) {
        *at = 5;
        snprintf(why, whylen, "month %02lld is out of range", (long long)mo);
        return -1;
    }
    if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y))) {
        *at = 8;
        snprintf(why, whylen, "day %02lld does not exist in %04lld-%02lld", (long long)d, (long long)y,
                 (long long)mo);
        return -1;
    }
    if (h > 23 || mi > 59 || se > 60) {
        *at = 11;
        snprintf(why, whylen, "time %02lld:%02lld:%02lld is out of range", (long long)h, (long long)mi,
                 (long long)se);
        return -1;
    }
    int64_t ns = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t f0 = i;
        int64_t scale = 100000000;
        while (i < len && isdigit((unsigned char)s[i])) {
            ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        EXPECT(i > f0, "expected digits after the decimal point");
    }
    int64_t off = 0;
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t oh, om;
        EXPECT(digits(s, len, &i, 2, &oh), "expected a time zone offset '+HH:MM'");
        if (i < len && s[i] == ':')
            i++;
        EXPECT(digits(s, len, &i, 2, &om), "expected a time zone offset '+HH:MM'");
        EXPECT(oh <= 23 && om <= 59, "time zone offset out of range");
        off = sign * (oh * 3600 + om * 60);
    }
    EXPECT(i == len, "unexpected text after the timestamp");
#undef EXPECT
    *sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *nsec = (int32_t)ns;
    return 0;
}

/* ---- CSV ---- */

/* Splits LINE (no newline) at commas into at most CAP fields; returns the count (CAP + 1 if
 * there are more). Fields are not quoted in the formats read here. */
static size_t split_csv(const char *line, size_t len, size_t *start, size_t *flen, size_t cap)
{
    size_t n = 0, b = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (n == cap)
                return cap + 1;
            start[n] = b;
            flen[n] = i - b;
            n++;
            b = i + 1;
        }
    }
    return n;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static bool field_is(const char *line, size_t start, size_t len, const char *name)
{
    while (len && (line[start] == ' ' || line[start] == '"')) {
        start++;
        len--;
    }
    while (len && (line[start + len - 1] == ' ' || line[start + len - 1] == '"'))
        len--;
    return strlen(name) == len && strncmp(line + start, name, len) == 0;
}

#define MAXF 64

static int azure_header(const char *line, size_t len, const pos *p, diag_t *err)
{
    size_t st[MAXF], fl[MAXF];
    size_t n = split_csv(line, len, st, fl, MAXF);
    static const char *const want[] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
    if (n != 3)
        return fail(err, p, 0, "expected the Azure header 'TIMESTAMP,ContextTokens,GeneratedTokens'");
    for (size_t k = 0; k < 3; k++)
        if (!field_is(line, st[k], fl[k], want[k]))
            return fail(err, p, st[k],
                        "expected column '%s' here (Azure header 'TIMESTAMP,ContextTokens,GeneratedTokens')", want[k]);
    return 0;
}

static int azure_row(const char *line, size_t len, const pos *p, rows *r, diag_t *err)
{
    size_t st[4], fl[4];
    size_t n = split_csv(line, len, st, fl, 3);
    if (n != 3)
        return fail(err, p, 0, "expected 3 fields (TIMESTAMP,ContextTokens,GeneratedTokens), found %s",
                    n > 3 ? "more" : n == 2 ? "2" : "1");
    int64_t sec;
    int32_t nsec;
    size_t at;
    char why[256];
    if (reqtrace_parse_timestamp(line + st[0], fl[0], &sec, &nsec, &at, why, sizeof why))
        return fail(err, p, st[0] + at, "TIMESTAMP: %s", why);
    int64_t ctx, gen;
    if (parse_count(line + st[1], fl[1], 1, INT32_MAX, &ctx, why, sizeof why))
        return fail(err, p, st[1], "ContextTokens: %s", why);
    if (parse_count(line + st[2], fl[2], 0, INT32_MAX, &gen, why, sizeof why))
        return fail(err, p, st[2], "GeneratedTokens: %s", why);
    /* 1970-01-01 to 2261-12-31 UTC: differences of nanosecond times then fit in int64_t. */
    if (sec < 0 || sec >= 9214646400LL)
        return fail(err, p, st[0],
                    "TIMESTAMP: outside 1970-01-01 to 2261-12-31 UTC, the range read to the nanosecond");
    if (rows_push(r, sec * 1000000000 + nsec, (int32_t)ctx, (int32_t)gen, p->line))
        return diag_fail(err, "out of memory reading '%s'", p->path);
    return 0;
}

typedef struct vidur_cols {
    size_t ncols, at, pre, dec;
} vidur_cols;

static int vidur_header(const char *line, size_t len, const pos *p, vidur_cols *c, diag_t *err)
{
    size_t st[MAXF], fl[MAXF];
    size_t n = split_csv(line, len, st, fl, MAXF);
    if (n > MAXF)
        return fail(err, p, 0, "more than %d columns in the Vidur header", MAXF);
    c->ncols = n;
    c->at = c->pre = c->dec = SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        if (field_is(line, st[k], fl[k], "arrived_at"))
            c->at = k;
        else if (field_is(line, st[k], fl[k], "num_prefill_tokens"))
            c->pre = k;
        else if (field_is(line, st[k], fl[k], "num_decode_tokens"))
            c->dec = k;
    }
    const char *miss = c->at == SIZE_MAX ? "arrived_at" : c->pre == SIZE_MAX ? "num_prefill_tokens"
                                                        : c->dec == SIZE_MAX ? "num_decode_tokens"
                                                                             : NULL;
    if (miss)
        return fail(err, p, 0, "the Vidur header has no column '%s' (needs arrived_at, num_prefill_tokens, "
                               "num_decode_tokens)",
                    miss);
    return 0;
}

static int vidur_row(const char *line, size_t len, const pos *p, const vidur_cols *c, rows *r, diag_t *err)
{
    size_t st[MAXF], fl[MAXF];
    size_t n = split_csv(line, len, st, fl, MAXF);
    if (n != c->ncols) {
        if (n > MAXF)
            return fail(err, p, 0, "expected %zu fields like the header, found more than %d", c->ncols, MAXF);
        return fail(err, p, 0, "expected %zu fields like the header, found %zu", c->ncols, n);
    }
    char why[256];
    double at;
    if (parse_real(line + st[c->at], fl[c->at], &at, why, sizeof why))
        return fail(err, p, st[c->at], "arrived_at: %s", why);
    if (at < 0 || at > 9.2e9)
        return fail(err, p, st[c->at], "arrived_at: %g s is out of range (0 to 9.2e9 s)", at);
    int64_t pre, dec;
    if (parse_count(line + st[c->pre], fl[c->pre], 1, INT32_MAX, &pre, why, sizeof why))
        return fail(err, p, st[c->pre], "num_prefill_tokens: %s", why);
    if (parse_count(line + st[c->dec], fl[c->dec], 0, INT32_MAX, &dec, why, sizeof why))
        return fail(err, p, st[c->dec], "num_decode_tokens: %s", why);
    if (rows_push(r, llround(at * 1e9), (int32_t)pre, (int32_t)dec, p->line))
        return diag_fail(err, "out of memory reading '%s'", p->path);
    return 0;
}

/* ---- Mooncake JSONL: one object per line ---- */

typedef struct jcur {
    const char *s;
    size_t len, i;
    const pos *p;
    diag_t *err;
} jcur;

static void jws(jcur *c)
{
    while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r'))
        c->i++;
}

static int jfail(jcur *c, const char *what)
{
    if (c->i >= c->len)
        return fail(c->err, c->p, c->i, "%s, found the end of the line", what);
    return fail(c->err, c->p, c->i, "%s, found '%c'", what, c->s[c->i]);
}

/* A JSON string; its contents (escapes kept raw) at [*b, *b + *n). */
static int jstring(jcur *c, size_t *b, size_t *n)
{
    if (c->i >= c->len || c->s[c->i] != '"')
        return jfail(c, "expected a string");
    c->i++;
    *b = c->i;
    while (c->i < c->len && c->s[c->i] != '"') {
        if (c->s[c->i] == '\\')
            c->i++;
        c->i++;
    }
    if (c->i >= c->len)
        return fail(c->err, c->p, *b - 1, "unterminated string");
    *n = c->i - *b;
    c->i++;
    return 0;
}

/* The extent of a JSON number at the cursor. */
static int jnumber_span(jcur *c, size_t *b, size_t *n)
{
    *b = c->i;
    while (c->i < c->len && (isdigit((unsigned char)c->s[c->i]) || strchr("+-.eE", c->s[c->i])))
        c->i++;
    *n = c->i - *b;
    if (*n == 0)
        return jfail(c, "expected a number");
    return 0;
}

static int jskip(jcur *c, int depth)
{
    if (depth > 32)
        return fail(c->err, c->p, c->i, "JSON nested too deeply");
    jws(c);
    if (c->i >= c->len)
        return jfail(c, "expected a value");
    char ch = c->s[c->i];
    size_t b, n;
    if (ch == '"')
        return jstring(c, &b, &n);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->i++;
        jws(c);
        if (c->i < c->len && c->s[c->i] == close) {
            c->i++;
            return 0;
        }
        for (;;) {
            if (ch == '{') {
                jws(c);
                if (jstring(c, &b, &n))
                    return -1;
                jws(c);
                if (c->i >= c->len || c->s[c->i] != ':')
                    return jfail(c, "expected ':'");
                c->i++;
            }
            if (jskip(c, depth + 1))
                return -1;
            jws(c);
            if (c->i < c->len && c->s[c->i] == ',') {
                c->i++;
                continue;
            }
            if (c->i < c->len && c->s[c->i] == close) {
                c->i++;
                return 0;
            }
            return jfail(c, ch == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t wl = strlen(words[k]);
        if (c->len - c->i >= wl && strncmp(c->s + c->i, words[k], wl) == 0) {
            c->i += wl;
            return 0;
        }
    }
    if (ch == '-' || isdigit((unsigned char)ch))
        return jnumber_span(c, &b, &n);
    return jfail(c, "expected a value");
}

static int mooncake_row(const char *line, size_t len, const pos *p, rows *r, diag_t *err)
{
    jcur c = {line, len, 0, p, err};
    jws(&c);
    if (c.i >= len || line[c.i] != '{')
        return jfail(&c, "expected a JSON object '{...}' (Mooncake format: one request per line)");
    c.i++;
    bool have_t = false, have_in = false, have_out = false, have_h = false;
    double t_ms = 0;
    int64_t in = 0, out = 0;
    size_t h0 = r->nh;
    char why[256];
    jws(&c);
    if (c.i < len && line[c.i] == '}') {
        c.i++;
    } else {
        for (;;) {
            jws(&c);
            size_t kb, kn;
            size_t kcol = c.i;
            if (jstring(&c, &kb, &kn))
                return -1;
            jws(&c);
            if (c.i >= len || line[c.i] != ':')
                return jfail(&c, "expected ':'");
            c.i++;
            jws(&c);
            size_t vcol = c.i;
#define KEY(name) (kn == strlen(name) && strncmp(line + kb, name, kn) == 0)
            bool *seen = KEY("timestamp") ? &have_t : KEY("input_length") ? &have_in
                                                  : KEY("output_length")  ? &have_out
                                                  : KEY("hash_ids")       ? &have_h
                                                                          : NULL;
            if (seen && *seen)
                return fail(err, p, kcol, "duplicate key \"%.*s\"", (int)kn, line + kb);
            if (seen)
                *seen = true;
            if (KEY("timestamp") || KEY("input_length") || KEY("output_length")) {
                size_t b, n;
                if (jnumber_span(&c, &b, &n))
                    return -1;
                if (KEY("timestamp")) {
                    if (parse_real(line + b, n, &t_ms, why, sizeof why))
                        return fail(err, p, vcol, "timestamp: %s", why);
                    if (t_ms < 0 || t_ms > 9.2e12)
                        return fail(err, p, vcol, "timestamp: %g ms is out of range (0 to 9.2e12 ms)", t_ms);
                } else if (KEY("input_length")) {
                    if (parse_count(line + b, n, 1, INT32_MAX, &in, why, sizeof why))
                        return fail(err, p, vcol, "input_length: %s", why);
                } else if (parse_count(line + b, n, 0, INT32_MAX, &out, why, sizeof why)) {
                    return fail(err, p, vcol, "output_length: %s", why);
                }
            } else if (KEY("hash_ids")) {
                if (c.i >= len || line[c.i] != '[')
                    return jfail(&c, "hash_ids: expected a list of integers '[...]'");
                c.i++;
                jws(&c);
                if (c.i < len && line[c.i] == ']') {
                    c.i++;
                } else {
                    for (;;) {
                        jws(&c);
                        size_t b, n, hcol = c.i;
                        int64_t h;
                        if (jnumber_span(&c, &b, &n))
                            return -1;
                        if (parse_count(line + b, n, 0, INT64_MAX, &h, why, sizeof why))
                            return fail(err, p, hcol, "hash_ids: %s", why);
                        if (rows_hash(r, h))
                            return diag_fail(err, "out of memory reading '%s'", p->path);
                        jws(&c);
                        if (c.i < len && line[c.i] == ',') {
                            c.i++;
                            continue;
                        }
                        if (c.i < len && line[c.i] == ']') {
                            c.i++;
                            break;
                        }
                        return jfail(&c, "hash_ids: expected ',' or ']'");
                    }
                }
            } else if (jskip(&c, 0)) {
                return -1;
            }
#undef KEY
            jws(&c);
            if (c.i < len && line[c.i] == ',') {
                c.i++;
                continue;
            }
            if (c.i < len && line[c.i] == '}') {
                c.i++;
                break;
            }
            return jfail(&c, "expected ',' or '}'");
        }
    }
    jws(&c);
    if (c.i != len)
        return fail(err, p, c.i, "unexpected text after the JSON object (one request per line)");
    const char *miss = !have_t ? "timestamp" : !have_in ? "input_length" : !have_out ? "output_length" : NULL;
    if (miss)
        return fail(err, p, 0, "missing key \"%s\" (Mooncake rows need timestamp, input_length, output_length)",
                    miss);
    if (have_h && (int64_t)(r->nh - h0) > (in + 511) / 512)
        return fail(err, p, 0, "hash_ids lists %zu blocks, more than the %lld 512-token blocks of input_length %lld",
                    r->nh - h0, (long long)((in + 511) / 512), (long long)in);
    if (rows_push(r, llround(t_ms * 1e6), (int32_t)in, (int32_t)out, p->line))
        return diag_fail(err, "out of memory reading '%s'", p->path);
    return 0;
}

/* ---- the file ---- */

static reqtrace_fmt detect(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)line[i]))
        i++;
    if (i < len && line[i] == '{')
        return REQTRACE_MOONCAKE;
    size_t st[MAXF], fl[MAXF];
    size_t n = split_csv(line, len, st, fl, MAXF);
    for (size_t k = 0; k < n && k < MAXF; k++) {
        if (field_is(line, st[k], fl[k], "TIMESTAMP") || field_is(line, st[k], fl[k], "ContextTokens"))
            return REQTRACE_AZURE;
        if (field_is(line, st[k], fl[k], "arrived_at") || field_is(line, st[k], fl[k], "num_prefill_tokens"))
            return REQTRACE_VIDUR;
    }
    return REQTRACE_AUTO;
}

static int read_rows(FILE *f, const char *path, reqtrace_fmt *fmt, rows *r, diag_t *err)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    pos p = {path, 0};
    bool header_done = false;
    vidur_cols vc = {0};
    int rc = 0;
    while ((got = getline(&buf, &cap, f)) >= 0) {
        p.line++;
        size_t len = (size_t)got;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (memchr(buf, '\0', len)) {
            rc = fail(err, &p, (size_t)((char *)memchr(buf, '\0', len) - buf), "NUL byte in a text file");
            break;
        }
        /* A UTF-8 byte-order mark on the first line is not part of the data. */
        const char *line = buf;
        if (p.line == 1 && len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
            (unsigned char)buf[2] == 0xBF) {
            line += 3;
            len -= 3;
        }
        if (blank(line, len))
            continue;
        if (*fmt == REQTRACE_AUTO) {
            *fmt = detect(line, len);
            if (*fmt == REQTRACE_AUTO) {
                char txt[64];
                shown(txt, sizeof txt, line, len);
                rc = fail(err, &p, 0,
                          "cannot tell the trace format from '%s' (expected an Azure header 'TIMESTAMP,...', a Vidur "
                          "header 'arrived_at,...' or a Mooncake JSON object); set workload.requests.trace.format",
                          txt);
                break;
            }
        }
        if (!header_done && *fmt != REQTRACE_MOONCAKE) {
            header_done = true;
            rc = *fmt == REQTRACE_AZURE ? azure_header(line, len, &p, err) : vidur_header(line, len, &p, &vc, err);
            if (rc)
                break;
            continue;
        }
        if (*fmt == REQTRACE_AZURE)
            rc = azure_row(line, len, &p, r, err);
        else if (*fmt == REQTRACE_VIDUR)
            rc = vidur_row(line, len, &p, &vc, r, err);
        else
            rc = mooncake_row(line, len, &p, r, err);
        if (rc)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = diag_fail(err, "%s: error: cannot read the request trace", path);
    free(buf);
    return rc;
}

/* Stable order by time: indices sorted by (t, index). */
static const int64_t *SORT_T;
static int cmp_idx(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (SORT_T[x] != SORT_T[y])
        return SORT_T[x] < SORT_T[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Seconds from T0 to T (T >= T0), exact for spans below 2^53 ns, without signed overflow for
 * timestamps at the ends of the int64 range. */
static double since(int64_t t, int64_t t0)
{
    return 1e-9 * (double)((uint64_t)t - (uint64_t)t0);
}

int reqtrace_load(const char *path, const reqtrace_opts *o, reqtrace *out, diag_t *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return diag_fail(err, "%s: error: cannot open the request trace: %s", path, strerror(errno));
    rows r = {0};
    reqtrace_fmt fmt = o->format;
    int rc = read_rows(f, path, &fmt, &r, err);
    fclose(f);
    if (rc) {
        rows_free(&r);
        return -1;
    }
    if (r.n == 0) {
        rows_free(&r);
        return diag_fail(err, "%s: error: the request trace has no requests", path);
    }
    out->format = fmt;
    out->rows = r.n;
    size_t *idx = malloc(r.n * sizeof *idx);
    if (!idx) {
        rows_free(&r);
        return diag_fail(err, "out of memory reading '%s'", path);
    }
    bool sorted = true;
    for (size_t i = 0; i < r.n; i++) {
        idx[i] = i;
        if (i && r.t_ns[i] < r.t_ns[i - 1])
            sorted = false;
    }
    if (!sorted) {
        SORT_T = r.t_ns;
        qsort(idx, r.n, sizeof *idx, cmp_idx);
        SORT_T = NULL;
    }
    int64_t t0 = r.t_ns[idx[0]];
    out->span_s = since(r.t_ns[idx[r.n - 1]], t0);
    double scale = o->rate_scale > 0 ? o->rate_scale : 1.0;
    size_t keep = 0, nh = 0;
    size_t *kept = malloc(r.n * sizeof *kept);
    if (!kept) {
        free(idx);
        rows_free(&r);
        return diag_fail(err, "out of memory reading '%s'", path);
    }
    for (size_t k = 0; k < r.n; k++) {
        size_t i = idx[k];
        double rel = since(r.t_ns[i], t0);
        if (rel < o->window_start_s || (o->window_duration_s > 0 && rel >= o->window_start_s + o->window_duration_s)) {
            out->outside_window++;
            continue;
        }
        if (o->limit > 0 && (int64_t)keep >= o->limit) {
            out->over_limit++;
            continue;
        }
        kept[keep++] = i;
        nh += (size_t)(r.hoff[i + 1] - r.hoff[i]);
    }
    if (keep == 0) {
        free(idx);
        free(kept);
        rows_free(&r);
        return diag_fail(err, "%s: error: no request of the trace's %zu arrives inside the window [%g s, %s) "
                              "(the trace spans %g s)",
                         path, out->rows, o->window_start_s,
                         o->window_duration_s > 0 ? "start + duration" : "end", out->span_s);
    }
    out->n = keep;
    out->arrival_s = malloc(keep * sizeof *out->arrival_s);
    out->prompt_tokens = malloc(keep * sizeof *out->prompt_tokens);
    out->output_tokens = malloc(keep * sizeof *out->output_tokens);
    out->line = malloc(keep * sizeof *out->line);
    out->hash_off = malloc((keep + 1) * sizeof *out->hash_off);
    out->hashes = malloc((nh ? nh : 1) * sizeof *out->hashes);
    if (!out->arrival_s || !out->prompt_tokens || !out->output_tokens || !out->line || !out->hash_off ||
        !out->hashes) {
        free(idx);
        free(kept);
        rows_free(&r);
        reqtrace_free(out);
        return diag_fail(err, "out of memory reading '%s'", path);
    }
    out->hash_off[0] = 0;
    for (size_t k = 0; k < keep; k++) {
        size_t i = kept[k];
        double rel = since(r.t_ns[i], t0);
        out->arrival_s[k] = (rel - o->window_start_s) / scale;
        out->prompt_tokens[k] = r.prompt[i];
        out->output_tokens[k] = r.output[i];
        out->line[k] = r.line[i];
        int64_t a = r.hoff[i], b = r.hoff[i + 1];
        if (b > a)
            memcpy(out->hashes + out->hash_off[k], r.hashes + a, (size_t)(b - a) * sizeof *out->hashes);
        out->hash_off[k + 1] = out->hash_off[k] + (b - a);
    }
    free(idx);
    free(kept);
    rows_free(&r);
    return 0;
}

void reqtrace_free(reqtrace *t)
{
    free(t->arrival_s);
    free(t->prompt_tokens);
    free(t->output_tokens);
    free(t->line);
    free(t->hash_off);
    free(t->hashes);
    memset(t, 0, sizeof *t);
}
