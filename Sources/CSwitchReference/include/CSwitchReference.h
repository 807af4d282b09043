// The user-level switches kbench's uthreads are measured against, in the same
// run: glibc's swapcontext (which saves and restores the signal mask with a
// system call each time) and Boost.Context's jump_fcontext (the fastest widely
// used user-level switch), each a ping-pong between the caller and one other
// context on a stack of its own. Timed inside C with the CPlatform TSC reads.
#ifndef KBENCH_CSWITCHREFERENCE_H
#define KBENCH_CSWITCHREFERENCE_H

#include <stddef.h>
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

/// A ring of Boost.Context contexts, each on its own mapped stack (guard page
/// below, context at the top, as Boost's protected_fixedsize_stack places
/// it): member i switches to member i+1, so every switch lands on another
/// stack, as uthread switch-to's ring does.
typedef struct kb_fcontext_ring kb_fcontext_ring;

/// Maps `contexts` (at least 2) stacks of `stack_bytes` usable bytes and
/// starts each context; NULL with `*error` set (an errno) on failure.
kb_fcontext_ring *kb_fcontext_ring_create(long contexts, size_t stack_bytes, int32_t *error);

/// `iterations` one-way switches around the ring (whole laps, at least one),
/// plus the two into and out of it; returns elapsed ticks.
uint64_t kb_fcontext_ring_batch(kb_fcontext_ring *ring, long iterations);

/// Unmaps the stacks (the contexts are abandoned, never resumed).
void kb_fcontext_ring_destroy(kb_fcontext_ring *ring);

#ifdef __cplusplus
}
#endif
#endif
