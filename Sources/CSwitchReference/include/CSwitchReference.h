// The user-level switches kbench's uthreads are measured against, in the same
// run: glibc's swapcontext (which saves and restores the signal mask with a
// system call each time) and Boost.Context's jump_fcontext (the fastest widely
// used user-level switch), each a ping-pong between the caller and one other
// context on a stack of its own. Timed inside C with the CPlatform TSC reads.
#ifndef KBENCH_CSWITCHREFERENCE_H
#define KBENCH_CSWITCHREFERENCE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// `iterations` one-way switches (iterations/2 round trips, rounded up) by
/// swapcontext; returns elapsed ticks, or 0 when a context cannot be made.
/// The peers' stacks are static: one batch at a time, from one thread.
uint64_t kb_reference_swapcontext_batch(long iterations);

/// `iterations` one-way switches by Boost.Context jump_fcontext (libboost_context);
/// returns elapsed ticks.
uint64_t kb_reference_fcontext_batch(long iterations);

/// `iterations` wrfsbase writes (each of the current value, then a read back
/// with rdfsbase, as the probe does); only where FSGSBASE is usable.
uint64_t kb_reference_wrfsbase_batch(long iterations);

/// `iterations` arch_prctl(ARCH_SET_FS) writes of the current FS base.
uint64_t kb_reference_arch_prctl_batch(long iterations);

#ifdef __cplusplus
}
#endif
#endif
