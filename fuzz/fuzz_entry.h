/* Entry points shared by the libFuzzer drivers (fuzz/driver.c) and the regression replay suite
 * (tests/check_fuzz_regressions.c): one function per target, taking the raw input. */
#ifndef OAS_FUZZ_ENTRY_H
#define OAS_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

int fuzz_one_units(const uint8_t *data, size_t size);
int fuzz_one_scenario(const uint8_t *data, size_t size);
int fuzz_one_reqtrace_azure(const uint8_t *data, size_t size);
int fuzz_one_reqtrace_mooncake(const uint8_t *data, size_t size);
int fuzz_one_reqtrace_vidur(const uint8_t *data, size_t size);
int fuzz_one_oplist(const uint8_t *data, size_t size);

#endif
