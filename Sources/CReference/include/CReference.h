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

/// Uncontended acquire+release of the lock algorithms lockbench measures,
/// written afresh in C (GCC/Clang __atomic builtins, the same memory orders as
/// KernelCore's Swift locks): `iterations` lock/unlock pairs on one thread,
/// timed inside C with kb_rdtsc_begin/kb_rdtsc_end; returns elapsed ticks.
/// Each lock lives on its own cache line.
uint64_t kb_reference_spin_batch(long iterations);    // CAS test-and-set
uint64_t kb_reference_ttas_batch(long iterations);    // test-and-test-and-set, xchg
uint64_t kb_reference_ticket_batch(long iterations);  // fetch-and-add ticket
uint64_t kb_reference_mcs_batch(long iterations);     // MCS, caller's qnode
/// The physical floor: `iterations` uncontended lock cmpxchg on a private line.
uint64_t kb_reference_cas_batch(long iterations);

/// The system-call floor's twin: `iterations` getppid() calls in a loop,
/// timed inside C with kb_rdtsc_begin/kb_rdtsc_end; returns elapsed ticks.
uint64_t kb_reference_getppid_batch(long iterations);

#include "ipc_channel.h"

#endif
