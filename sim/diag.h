/* Diagnostics: an error message that library code fills and only main() prints.
 * Every action returns 0 or -1 and, on -1, leaves one line in diag_t.msg, already formatted
 * like a compiler's: "FILE:LINE:COL: error: MESSAGE" when a source position is known. */
#ifndef OAS_DIAG_H
#define OAS_DIAG_H

#include <stddef.h>

typedef struct diag {
    char msg[2048];
} diag_t;

/* Sets "error: MESSAGE"-free text (no position); returns -1. */
int diag_fail(diag_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets "FILE:LINE:COL: error: MESSAGE"; returns -1. */
int diag_fail_at(diag_t *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Empties the message. */
void diag_clear(diag_t *d);

#endif
