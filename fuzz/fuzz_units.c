/* libFuzzer target: the unit parser and formatter. Any input must give 0 or -1 (never a crash,
 * never a read past the text), and a parsed value must format and parse back to a value of the
 * same dimension. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_entry.h"
#include "units.h"

int fuzz_one_units(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    unit_dim want = (unit_dim)(data[0] % DIM__COUNT);
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    double v;
    char err[256];
    if (units_parse(text, want, &v, err, sizeof err) == 0 && isfinite(v)) {
        char buf[128];
        double back;
        units_format(v, want, buf, sizeof buf);
        if (units_parse(buf, want, &back, err, sizeof err) != 0 && fabs(v) < 1e300 && fabs(v) > 1e-300)
            abort(); /* a formatted value must parse back */
    }
    free(text);
    return 0;
}
