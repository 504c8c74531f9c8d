/* Edit distance (optimal string alignment: Levenshtein plus adjacent transpositions) over
 * bytes, kept in three rolling rows, and the closest-candidate search built on it. Rows live
 * on the stack for short strings and on the heap only past 256 bytes. */
#include "strutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STACK_ROW 257

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

size_t str_edit_distance(const char *a, const char *b)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    size_t la = strlen(a), lb = strlen(b);
    if (lb > la) { /* the distance is symmetric: keep the rows as short as possible */
        const char *t = a;
        a = b;
        b = t;
        size_t tl = la;
        la = lb;
        lb = tl;
    }
    if (lb == 0)
        return la;

    size_t stack_rows[3 * STACK_ROW];
    size_t *rows = stack_rows;
    if (lb + 1 > STACK_ROW) {
        rows = malloc(3 * (lb + 1) * sizeof *rows);
        if (!rows)
            return SIZE_MAX;
    }
    size_t *prev2 = rows, *prev = rows + (lb + 1), *cur = rows + 2 * (lb + 1);

    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t d = min_size(min_size(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d = min_size(d, prev2[j - 2] + 1);
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    size_t result = prev[lb];
    if (rows != stack_rows)
        free(rows);
    return result;
}

const char *str_closest(const char *word, const char *const *candidates, size_t n)
{
    if (!word || !candidates)
        return NULL;
    size_t wlen = strlen(word);
    size_t limit = wlen / 3 > 2 ? wlen / 3 : 2;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n && best_d > 0; i++) {
        const char *c = candidates[i];
        if (!c)
            continue;
        size_t clen = strlen(c);
        size_t gap = clen > wlen ? clen - wlen : wlen - clen;
        if (gap > limit || gap >= best_d) /* the distance is at least the length gap */
            continue;
        size_t d = str_edit_distance(word, c);
        if (d <= limit && d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}
