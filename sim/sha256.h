/* SHA-256 (FIPS 180-4) of a byte buffer as hex text, for fingerprinting inputs and outputs.
 * One call hashes one whole buffer: no state kept, no allocation, thread-safe. */
#ifndef OAS_SHA256_H
#define OAS_SHA256_H

#include <stddef.h>

/* Writes the SHA-256 digest of DATA[0..LEN) into OUT as 64 lowercase hex digits and a NUL.
 * DATA may be NULL when LEN is 0. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
