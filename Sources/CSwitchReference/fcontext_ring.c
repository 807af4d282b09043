// A ring of Boost.Context contexts, each on a stack of its own mapped the way
// Boost's protected_fixedsize_stack maps one (guard page below, context at
// the top): the reference for uthread switch-to at 2, 100 and 1000 uthreads.
#define _GNU_SOURCE
#include "CSwitchReference.h"
#include "CPlatform.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void *kb_ring_fcontext_t;
typedef struct { kb_ring_fcontext_t fctx; void *data; } kb_ring_transfer_t;
extern kb_ring_transfer_t jump_fcontext(kb_ring_fcontext_t const to, void *vp);
extern kb_ring_fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(kb_ring_transfer_t));

struct kb_fcontext_ring {
    long count;
    long laps;                   // this batch's laps, read by member 0
    kb_ring_fcontext_t caller;   // the batch's caller, suspended
    size_t stack_bytes;          // each mapping, guard page included
    void **stacks;               // count mappings
    kb_ring_fcontext_t *handles; // each member's suspended context
    long starting;               // the member being started (creation only)
};

// Member i: resumed by member i-1 (whose handle the resume carries), it
// passes to member i+1. Member 0 also starts and ends each batch.
static void kb_fcontext_ring_member(kb_ring_transfer_t t) {
    struct kb_fcontext_ring *ring = t.data;
    long me = ring->starting, count = ring->count;
    long next = (me + 1) % count, previous = (me + count - 1) % count;
    t = jump_fcontext(t.fctx, NULL);                  // started: back to the creator
    if (me != 0) {
        for (;;) {
            ring->handles[previous] = t.fctx;
            t = jump_fcontext(ring->handles[next], NULL);
        }
    }
    for (;;) {                                        // member 0: one batch per resume
        ring->caller = t.fctx;
        for (long lap = 0; lap < ring->laps; lap++) {
            t = jump_fcontext(ring->handles[1], NULL);
            ring->handles[count - 1] = t.fctx;
        }
        t = jump_fcontext(ring->caller, NULL);
    }
}

kb_fcontext_ring *kb_fcontext_ring_create(long contexts, size_t stack_bytes, int32_t *error) {
    *error = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (contexts < 2 || stack_bytes < (size_t)page) { *error = EINVAL; return NULL; }
    struct kb_fcontext_ring *ring = calloc(1, sizeof *ring);
    if (!ring) { *error = ENOMEM; return NULL; }
    ring->count = contexts;
    ring->stack_bytes = (stack_bytes + page - 1) / page * page + page;
    ring->stacks = calloc((size_t)contexts, sizeof *ring->stacks);
    ring->handles = calloc((size_t)contexts, sizeof *ring->handles);
    if (!ring->stacks || !ring->handles) { *error = ENOMEM; kb_fcontext_ring_destroy(ring); return NULL; }
    for (long i = 0; i < contexts; i++) {
        void *base = mmap(NULL, ring->stack_bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base == MAP_FAILED) { *error = errno; kb_fcontext_ring_destroy(ring); return NULL; }
        ring->stacks[i] = base;
        if (mprotect(base, (size_t)page, PROT_NONE) != 0) { *error = errno; kb_fcontext_ring_destroy(ring); return NULL; }
        size_t usable = ring->stack_bytes - (size_t)page;
        kb_ring_fcontext_t fresh = make_fcontext((char *)base + ring->stack_bytes, usable, kb_fcontext_ring_member);
        ring->starting = i;
        ring->handles[i] = jump_fcontext(fresh, ring).fctx;
    }
    return ring;
}

uint64_t kb_fcontext_ring_batch(kb_fcontext_ring *ring, long iterations) {
    long laps = iterations / ring->count;
    ring->laps = laps < 1 ? 1 : laps;
    uint64_t start = kb_rdtsc_begin();
    kb_ring_transfer_t t = jump_fcontext(ring->handles[0], NULL);
    uint64_t end = kb_rdtsc_end();
    ring->handles[0] = t.fctx;
    return end - start;
}

void kb_fcontext_ring_destroy(kb_fcontext_ring *ring) {
    if (!ring) return;
    // Members never return; their stacks are simply unmapped, as Boost's
    // fixedsize stacks are when an unfinished context is dropped.
    if (ring->stacks) {
        for (long i = 0; i < ring->count; i++) {
            if (ring->stacks[i]) munmap(ring->stacks[i], ring->stack_bytes);
        }
    }
    free(ring->stacks);
    free(ring->handles);
    free(ring);
}
