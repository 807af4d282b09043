// Reference loops written in C and compiled with -O2, run in the same session
// as kbench's Swift loops so that "is the Swift loop as good as C?" is a
// measurement, not a claim.
#ifndef KBENCH_CREFERENCE_H
#define KBENCH_CREFERENCE_H

#include <stdint.h>

/// The fixed-time-quantum loop, statement for statement the same algorithm as
/// FTQKit's runFixedTimeQuanta (absolute deadlines, zero-work missed quanta,
/// unit = unfenced rdtsc + compare + increment). Returns quanta recorded.
long kb_reference_ftq(uint64_t *starts, uint64_t *work, long capacity,
                      uint64_t first_start, uint64_t quantum_ticks);

#endif
