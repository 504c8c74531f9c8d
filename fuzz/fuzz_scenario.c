/* libFuzzer target: the scenario loader (YAML tree, presets, --set, schema, checks). Any input
 * must load or fail with a message; the loader never crashes, hangs or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_entry.h"
#include "scenario.h"

int fuzz_one_scenario(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/oastwin-fuzz-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    scenario_t sc;
    diag_t err;
    if (scenario_load(path, NULL, 0, &sc, &err) == 0)
        scenario_free(&sc);
    else if (err.msg[0] == '\0')
        abort(); /* a failure must say why */
    unlink(path);
    return 0;
}
