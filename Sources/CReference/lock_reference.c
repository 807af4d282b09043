// Reference locks: the uncontended fast paths of lockbench's locks in C at
// -O2, measured in the same run as the Swift ones ("within 10% of C" is a
// measurement). Same algorithms and memory orders as KernelCore; not copied
// from any library.
#include "CReference.h"
#include "CPlatform.h"
#include <stddef.h>

#define LINE 64

// --- spin: compare-and-swap test-and-set (Akaros' spinlock) ---------------
static _Alignas(LINE) uint32_t spin_word;

static inline void spin_lock(uint32_t *word) {
    uint32_t expected = 0;
    while (!__atomic_compare_exchange_n(word, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        kb_pause();
    }
}

static inline void spin_unlock(uint32_t *word) { __atomic_store_n(word, 0, __ATOMIC_RELEASE); }

uint64_t kb_reference_spin_batch(long iterations) {
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        spin_lock(&spin_word);
        spin_unlock(&spin_word);
    }
    return kb_rdtsc_end() - start;
}

// --- ttas: spin on a read, then exchange -----------------------------------
static _Alignas(LINE) uint32_t ttas_word;

static inline void ttas_lock(uint32_t *word) {
    for (;;) {
        while (__atomic_load_n(word, __ATOMIC_RELAXED) != 0) kb_pause();
        if (__atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE) == 0) return;
    }
}

uint64_t kb_reference_ttas_batch(long iterations) {
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        ttas_lock(&ttas_word);
        __atomic_store_n(&ttas_word, 0, __ATOMIC_RELEASE);
    }
    return kb_rdtsc_end() - start;
}

// --- ticket: take a number, wait to be served ------------------------------
static _Alignas(LINE) struct { uint32_t next, serving; } ticket;

uint64_t kb_reference_ticket_batch(long iterations) {
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        uint32_t mine = __atomic_fetch_add(&ticket.next, 1, __ATOMIC_RELAXED);
        while (__atomic_load_n(&ticket.serving, __ATOMIC_ACQUIRE) != mine) kb_pause();
        // Only the holder writes `serving`: load and store, no RMW.
        uint32_t now = __atomic_load_n(&ticket.serving, __ATOMIC_RELAXED);
        __atomic_store_n(&ticket.serving, now + 1, __ATOMIC_RELEASE);
    }
    return kb_rdtsc_end() - start;
}

// --- mcs: queue lock, the caller supplies its node -------------------------
struct mcs_node {
    struct mcs_node *next;
    uint32_t locked;
} __attribute__((aligned(LINE)));

static _Alignas(LINE) struct mcs_node *mcs_tail;
static struct mcs_node mcs_mine;

static inline void mcs_lock(struct mcs_node **tail, struct mcs_node *me) {
    __atomic_store_n(&me->next, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&me->locked, 1, __ATOMIC_RELAXED);
    struct mcs_node *pred = __atomic_exchange_n(tail, me, __ATOMIC_ACQ_REL);
    if (pred == NULL) return;
    __atomic_store_n(&pred->next, me, __ATOMIC_RELEASE);
    while (__atomic_load_n(&me->locked, __ATOMIC_ACQUIRE) != 0) kb_pause();
}

static inline void mcs_unlock(struct mcs_node **tail, struct mcs_node *me) {
    struct mcs_node *next = __atomic_load_n(&me->next, __ATOMIC_ACQUIRE);
    if (next == NULL) {
        struct mcs_node *expected = me;
        if (__atomic_compare_exchange_n(tail, &expected, NULL, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
        while ((next = __atomic_load_n(&me->next, __ATOMIC_ACQUIRE)) == NULL) kb_pause();
    }
    __atomic_store_n(&next->locked, 0, __ATOMIC_RELEASE);
}

uint64_t kb_reference_mcs_batch(long iterations) {
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        mcs_lock(&mcs_tail, &mcs_mine);
        mcs_unlock(&mcs_tail, &mcs_mine);
    }
    return kb_rdtsc_end() - start;
}

// --- the floor: one successful lock cmpxchg --------------------------------
static _Alignas(LINE) uint64_t cas_word;

uint64_t kb_reference_cas_batch(long iterations) {
    uint64_t expected = __atomic_load_n(&cas_word, __ATOMIC_RELAXED);
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) {
        // Always succeeds: the locked instruction alone, no retry loop.
        __atomic_compare_exchange_n(&cas_word, &expected, expected + 1, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        expected++;
    }
    return kb_rdtsc_end() - start;
}
