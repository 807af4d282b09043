// The locked-instruction floor under UCQ's and BCQ's uncontended pair; see
// CQueueReference.h. Written for this measurement: no queue logic, only the
// memory operations every correct pair of this design performs.
#include "CQueueReference.h"

#include <stdint.h>
#include <string.h>
#include "CPlatform.h"

#define LINE 128
#define CONTAINERS 128   // one 4 KiB page of 32-byte containers, as a UCQ page

/// One message word at a time, the same words on both sides (as the queues copy).
static inline void copy_words(uint64_t *to, const uint64_t *from, uint32_t words) {
    switch (words) {
    case 3: to[2] = from[2]; /* fall through */
    case 2: to[1] = from[1]; /* fall through */
    default: to[0] = from[0];
    }
}

uint64_t kb_qref_time_locked_floor(uint32_t locked_ops, bool with_stores, uint32_t message_bytes,
                                   const void *message, void *out, uint64_t iterations) {
    // The three words the locked instructions target, each on its own line,
    // and the page of containers, all private to the calling thread.
    static _Thread_local _Alignas(LINE) uint64_t words[3][LINE / 8];
    static _Thread_local _Alignas(4096) uint64_t page[CONTAINERS * 4];
    uint64_t *prod = &words[0][0], *cons = &words[1][0], *consumed = &words[2][0];
    uint32_t count = message_bytes / 8 < 1 ? 1 : (message_bytes / 8 > 3 ? 3 : message_bytes / 8);
    if (locked_ops < 1) locked_ops = 1;
    if (locked_ops > 3) locked_ops = 3;
    __atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    uint64_t start = kb_rdtsc_begin();
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t slot = __atomic_fetch_add(prod, 1, __ATOMIC_ACQUIRE);
        if (with_stores) {
            uint64_t *container = &page[(slot % CONTAINERS) * 4];
            copy_words(container + 1, message, count);
            __atomic_store_n(container, 1, __ATOMIC_RELEASE);
        }
        if (locked_ops >= 2) {
            uint64_t expected = __atomic_load_n(cons, __ATOMIC_ACQUIRE);
            __atomic_compare_exchange_n(cons, &expected, expected + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
            if (with_stores) {
                uint64_t *container = &page[(expected % CONTAINERS) * 4];
                while (__atomic_load_n(container, __ATOMIC_ACQUIRE) == 0) {}
                copy_words(out, container + 1, count);
                __atomic_store_n(container, 0, __ATOMIC_RELAXED);
            }
        }
        if (locked_ops >= 3) __atomic_fetch_add(consumed, 1, __ATOMIC_RELEASE);
    }
    return kb_rdtsc_end() - start;
}
