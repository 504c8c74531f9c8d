/* Diagnostics: formatting of error messages; never prints, never exits. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

int diag_fail(diag_t *d, const char *fmt, ...)
{
    if (!d)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int diag_fail_at(diag_t *d, const char *file, int line, int col, const char *fmt, ...)
{
    if (!d)
        return -1;
    int n = snprintf(d->msg, sizeof d->msg, "%s:%d:%d: error: ", file ? file : "<input>", line, col);
    if (n < 0 || (size_t)n >= sizeof d->msg)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg + n, sizeof d->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

void diag_clear(diag_t *d)
{
    if (d)
        d->msg[0] = '\0';
}
