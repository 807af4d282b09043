// Reference user-level switches, written afresh: a ping-pong between the
// caller and one peer context, so every iteration is one one-way switch.
#define _GNU_SOURCE
#include "CSwitchReference.h"
#include "CPlatform.h"

#include <stdlib.h>
#include <stddef.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

enum { kb_reference_stack_bytes = 64 * 1024 };

// The peers' stacks and contexts, static so a batch allocates nothing (one
// reference runs at a time, on the measuring thread).
static uint8_t kb_reference_stack[kb_reference_stack_bytes] __attribute__((aligned(64)));

// MARK: - glibc swapcontext

struct kb_swap_pair {
    ucontext_t main, peer;
    long remaining;   // round trips the peer still makes
};

static struct kb_swap_pair kb_swap_pair_storage;
static struct kb_swap_pair *kb_swap_current;

static void kb_swap_peer(void) {
    struct kb_swap_pair *pair = kb_swap_current;
    for (;;) swapcontext(&pair->peer, &pair->main);
}

uint64_t kb_reference_swapcontext_batch(long iterations) {
    struct kb_swap_pair *pair = &kb_swap_pair_storage;
    if (getcontext(&pair->peer) != 0) return 0;
    pair->peer.uc_stack.ss_sp = kb_reference_stack;
    pair->peer.uc_stack.ss_size = kb_reference_stack_bytes;
    pair->peer.uc_link = NULL;
    kb_swap_current = pair;
    makecontext(&pair->peer, kb_swap_peer, 0);
    long rounds = (iterations + 1) / 2;
    // First entry outside the timing (it runs the peer's prologue).
    swapcontext(&pair->main, &pair->peer);
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < rounds; i++) swapcontext(&pair->main, &pair->peer);
    // The peer stays parked inside swapcontext; the next batch remakes it.
    return kb_rdtsc_end() - start;
}

// MARK: - Boost.Context jump_fcontext (extern "C" in libboost_context 1.74)

typedef void *kb_fcontext_t;
typedef struct { kb_fcontext_t fctx; void *data; } kb_transfer_t;
extern kb_transfer_t jump_fcontext(kb_fcontext_t const to, void *vp);
extern kb_fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(kb_transfer_t));

static void kb_fcontext_peer(kb_transfer_t from) {
    for (;;) from = jump_fcontext(from.fctx, NULL);
}

uint64_t kb_reference_fcontext_batch(long iterations) {
    kb_fcontext_t peer = make_fcontext(kb_reference_stack + kb_reference_stack_bytes,
                                       kb_reference_stack_bytes, kb_fcontext_peer);
    long rounds = (iterations + 1) / 2;
    kb_transfer_t t = jump_fcontext(peer, NULL);   // first entry, untimed
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < rounds; i++) t = jump_fcontext(t.fctx, NULL);
    return kb_rdtsc_end() - start;
}

// MARK: - FS base writes

uint64_t kb_reference_wrfsbase_batch(long iterations) {
    uint64_t base;
    __asm__ __volatile__("rdfsbase %0" : "=r"(base));
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        __asm__ __volatile__("wrfsbase %0\n\trdfsbase %0" : "+r"(base) :: "memory");
    }
    return kb_rdtsc_end() - start;
}

uint64_t kb_reference_arch_prctl_batch(long iterations) {
    uint64_t base;
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(base));
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) syscall(SYS_arch_prctl, ARCH_SET_FS, base);
    return kb_rdtsc_end() - start;
}
