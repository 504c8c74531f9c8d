/* The training workload section of a scenario (workload.* when workload.kind = training). */
#ifndef OAS_TRAINING_SPEC_H
#define OAS_TRAINING_SPEC_H

#include <stdint.h>

typedef struct training_spec {
    int64_t iterations;
} training_spec;

#endif
