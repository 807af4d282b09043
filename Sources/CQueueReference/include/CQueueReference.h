// The queues `ctxbench queue` measures beside KernelCore's BCQ and UCQ, in C at
// -O2: Concurrency Kit's bounded MPMC ring (ck_ring) and unbounded MPMC FIFO
// (ck_fifo_mpmc), and a pthread-mutex deque, the baseline anyone would write.
//
// Every queue moves fixed-size messages of `message_bytes` by value: enqueue
// copies in, dequeue copies out, so the consumer can check what it received
// exactly as it checks a message from BCQ or UCQ. Each call is one out-of-line
// C function (the same for the three), so the Swift loop that drives them is
// the same loop that drives KernelCore's queues.
#ifndef KBENCH_CQUEUEREFERENCE_H
#define KBENCH_CQUEUEREFERENCE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One reference queue; opaque to Swift.
typedef struct kb_qref kb_qref;

enum {
    KB_QREF_CK_RING = 1,   ///< ck_ring MPMC, `ring_slots` entries (one stays empty)
    KB_QREF_CK_FIFO = 2,   ///< ck_fifo_mpmc, entries preallocated per producer
    KB_QREF_MUTEX = 3,     ///< pthread mutex around a growing circular buffer
};

/// A new queue of `kind`. `ring_slots` (a power of two) sizes ck_ring and the
/// mutex deque's first buffer; ck_fifo preallocates `per_producer` entries for
/// each of `producers`. Returns NULL when memory cannot be had or an argument
/// is out of range (`message_bytes` 8..4096 and a multiple of 8).
kb_qref *kb_qref_create(int32_t kind, uint32_t message_bytes, uint32_t ring_slots,
                        uint32_t producers, uint64_t per_producer);
void kb_qref_destroy(kb_qref *queue);

/// false: full (ck_ring), out of preallocated entries (ck_fifo), out of memory (mutex).
bool kb_qref_ck_ring_enqueue(kb_qref *queue, const void *message);
bool kb_qref_ck_fifo_enqueue(kb_qref *queue, uint32_t producer, const void *message);
bool kb_qref_mutex_enqueue(kb_qref *queue, const void *message);

/// false: empty. Otherwise the message is copied into `out`.
bool kb_qref_ck_ring_dequeue(kb_qref *queue, void *out);
bool kb_qref_ck_fifo_dequeue(kb_qref *queue, void *out);
bool kb_qref_mutex_dequeue(kb_qref *queue, void *out);

/// `iterations` times: enqueue `message`, dequeue it into `out`, on the
/// calling thread (the uncontended pair), timed in TSC ticks with the fenced
/// reads of CPlatform. `*failures` counts refused enqueues and empty dequeues.
/// The loop is here, in C, so each peer is measured by its own code alone.
uint64_t kb_qref_time_pairs(kb_qref *queue, const void *message, void *out, uint64_t iterations,
                            uint64_t *failures);

/// The floor under the uncontended pair of UCQ and BCQ (locked_floor.c): what
/// a pair of this design cannot go below on this CPU, measured beside the queues.
/// `iterations` times, `locked_ops` (1 to 3) locked read-modify-writes back to
/// back, each on its own line: the producer's fetch-and-add, the consumer's
/// compare-and-swap and (UCQ) the page's consumed count. With `with_stores`,
/// also the plain stores a pair must make between them, in the queue's order:
/// the message copied into a 32-byte container by inline words, its ready
/// flag set, the message copied out, the flag cleared (`message_bytes`, 8 to
/// 24, a multiple of 8). Timed in TSC ticks with CPlatform's fenced reads,
/// exactly as kb_qref_time_pairs.
uint64_t kb_qref_time_locked_floor(uint32_t locked_ops, bool with_stores, uint32_t message_bytes,
                                   const void *message, void *out, uint64_t iterations);

/// Bytes the queue holds for messages: the most at any time, and now.
uint64_t kb_qref_peak_bytes(const kb_qref *queue);
uint64_t kb_qref_current_bytes(const kb_qref *queue);

#ifdef __cplusplus
}
#endif
#endif
