/* The inference workload section of a scenario (workload.* when workload.kind = inference). */
#ifndef OAS_INFERENCE_SPEC_H
#define OAS_INFERENCE_SPEC_H

#include <stdint.h>

typedef struct inference_spec {
    int64_t placeholder;
} inference_spec;

#endif
