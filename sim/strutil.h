/* Small string helpers for diagnostics: edit distance and "did you mean" suggestions.
 * Byte-wise and case-sensitive (a multi-byte UTF-8 character counts as several edits).
 * Strings are borrowed, never kept; returned pointers point into the caller's candidates. */
#ifndef OAS_STRUTIL_H
#define OAS_STRUTIL_H

#include <stddef.h>

/* Optimal-string-alignment distance between A and B: insertions, deletions, substitutions
 * and transpositions of adjacent bytes each cost 1 ("lnk" -> "link" is 1, "ab" -> "ba" is 1).
 * NULL counts as "". Returns SIZE_MAX only if scratch memory for very long strings (over 256
 * bytes) cannot be allocated. */
size_t str_edit_distance(const char *a, const char *b);

/* The candidate closest to WORD when its distance is at most max(2, strlen(WORD) / 3),
 * otherwise NULL; on ties the earliest candidate wins. NULL candidates are skipped. */
const char *str_closest(const char *word, const char *const *candidates, size_t n);

#endif
