// Reference queues for `ctxbench queue`: Concurrency Kit's ck_ring (MPMC) and
// ck_fifo_mpmc, used as their headers document them, and a mutex deque written
// here. See CQueueReference.h for the contract.
#include "CQueueReference.h"

#include <ck_fifo.h>
#include <ck_ring.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "CPlatform.h"

#define LINE 128

/// One producer's preallocated ck_fifo entries: a bump cursor over its slice.
struct fifo_arena {
    _Alignas(LINE) char *next;
    char *end;
};

struct kb_qref {
    int32_t kind;
    uint32_t message_bytes;
    // ck_ring: the ring's indexes and its buffer of message_bytes entries.
    _Alignas(LINE) struct ck_ring ring;
    char *ring_buffer;
    // ck_fifo_mpmc: the fifo (its own lines), its stub, and the arenas.
    _Alignas(LINE) struct ck_fifo_mpmc fifo;
    struct ck_fifo_mpmc_entry *stub;
    char *arena;
    size_t arena_bytes, block_bytes;
    struct fifo_arena *arenas;
    // mutex deque: a circular buffer that doubles when full, never shrinks.
    _Alignas(LINE) pthread_mutex_t lock;
    char *deque;
    uint64_t head, count, capacity;
    uint64_t peak_bytes;
};

static void *aligned_zeroed(size_t bytes) {
    void *memory = NULL;
    if (posix_memalign(&memory, LINE, bytes ? bytes : LINE) != 0) return NULL;
    memset(memory, 0, bytes);
    return memory;
}

kb_qref *kb_qref_create(int32_t kind, uint32_t message_bytes, uint32_t ring_slots,
                        uint32_t producers, uint64_t per_producer) {
    if (message_bytes < 8 || message_bytes > 4096 || message_bytes % 8 != 0) return NULL;
    if (ring_slots < 2 || (ring_slots & (ring_slots - 1)) != 0 || ring_slots > (1u << 26)) return NULL;
    kb_qref *q = aligned_zeroed(sizeof *q);
    if (!q) return NULL;
    q->kind = kind;
    q->message_bytes = message_bytes;
    switch (kind) {
    case KB_QREF_CK_RING:
        q->ring_buffer = aligned_zeroed((size_t)ring_slots * message_bytes);
        if (!q->ring_buffer) goto fail;
        ck_ring_init(&q->ring, ring_slots);
        q->peak_bytes = (uint64_t)ring_slots * message_bytes;
        return q;
    case KB_QREF_CK_FIFO: {
        if (producers == 0 || per_producer == 0) goto fail;
        // Each block: the fifo entry, then the message it points to.
        q->block_bytes = (sizeof(struct ck_fifo_mpmc_entry) + message_bytes + 15) & ~(size_t)15;
        if (per_producer > (UINT64_MAX / 2) / q->block_bytes / producers) goto fail;
        q->arena_bytes = (size_t)(q->block_bytes * per_producer * producers);
        q->arena = aligned_zeroed(q->arena_bytes);
        q->arenas = aligned_zeroed(sizeof(struct fifo_arena) * producers);
        q->stub = aligned_zeroed(sizeof *q->stub);
        if (!q->arena || !q->arenas || !q->stub) goto fail;
        for (uint32_t p = 0; p < producers; p++) {
            q->arenas[p].next = q->arena + (size_t)p * per_producer * q->block_bytes;
            q->arenas[p].end = q->arenas[p].next + per_producer * q->block_bytes;
        }
        ck_fifo_mpmc_init(&q->fifo, q->stub);
        q->peak_bytes = q->arena_bytes + sizeof *q->stub;
        return q;
    }
    case KB_QREF_MUTEX:
        if (pthread_mutex_init(&q->lock, NULL) != 0) goto fail;
        q->capacity = ring_slots;
        q->deque = malloc((size_t)ring_slots * message_bytes);
        if (!q->deque) goto fail;
        q->peak_bytes = (uint64_t)ring_slots * message_bytes;
        return q;
    }
fail:
    kb_qref_destroy(q);
    return NULL;
}

void kb_qref_destroy(kb_qref *q) {
    if (!q) return;
    free(q->ring_buffer);
    free(q->arena);
    free(q->arenas);
    free(q->stub);
    if (q->kind == KB_QREF_MUTEX && q->deque) pthread_mutex_destroy(&q->lock);
    free(q->deque);
    free(q);
}

// --- ck_ring: the MPMC enqueue/dequeue with the entry size given at run time
// (the underscore functions the ck_ring_*_mpmc_size wrappers expand to).
bool kb_qref_ck_ring_enqueue(kb_qref *q, const void *message) {
    return _ck_ring_enqueue_mp(&q->ring, q->ring_buffer, message, q->message_bytes, NULL);
}

bool kb_qref_ck_ring_dequeue(kb_qref *q, void *out) {
    return _ck_ring_dequeue_mc(&q->ring, q->ring_buffer, out, q->message_bytes);
}

// --- ck_fifo_mpmc: each message is a preallocated block, entry then payload;
// blocks are never reused, so the fifo's garbage needs no recycling.
bool kb_qref_ck_fifo_enqueue(kb_qref *q, uint32_t producer, const void *message) {
    struct fifo_arena *arena = &q->arenas[producer];
    if (arena->next == arena->end) return false;
    struct ck_fifo_mpmc_entry *entry = (struct ck_fifo_mpmc_entry *)arena->next;
    arena->next += q->block_bytes;
    void *payload = entry + 1;
    memcpy(payload, message, q->message_bytes);
    ck_fifo_mpmc_enqueue(&q->fifo, entry, payload);
    return true;
}

bool kb_qref_ck_fifo_dequeue(kb_qref *q, void *out) {
    void *payload;
    struct ck_fifo_mpmc_entry *garbage;
    if (!ck_fifo_mpmc_dequeue(&q->fifo, &payload, &garbage)) return false;
    memcpy(out, payload, q->message_bytes);
    return true;
}

// --- mutex deque ------------------------------------------------------------
static bool deque_grow(kb_qref *q) {
    uint64_t bytes = q->message_bytes;
    char *bigger = malloc((size_t)(q->capacity * 2 * bytes));
    if (!bigger) return false;
    uint64_t first = q->capacity - q->head;   // the run up to the buffer's end
    if (first > q->count) first = q->count;
    memcpy(bigger, q->deque + q->head * bytes, (size_t)(first * bytes));
    memcpy(bigger + first * bytes, q->deque, (size_t)((q->count - first) * bytes));
    free(q->deque);
    q->deque = bigger;
    q->head = 0;
    q->capacity *= 2;
    if (q->capacity * bytes > q->peak_bytes) q->peak_bytes = q->capacity * bytes;
    return true;
}

bool kb_qref_mutex_enqueue(kb_qref *q, const void *message) {
    pthread_mutex_lock(&q->lock);
    if (q->count == q->capacity && !deque_grow(q)) {
        pthread_mutex_unlock(&q->lock);
        return false;
    }
    uint64_t tail = (q->head + q->count) & (q->capacity - 1);
    memcpy(q->deque + tail * q->message_bytes, message, q->message_bytes);
    q->count++;
    pthread_mutex_unlock(&q->lock);
    return true;
}

bool kb_qref_mutex_dequeue(kb_qref *q, void *out) {
    pthread_mutex_lock(&q->lock);
    if (q->count == 0) {
        pthread_mutex_unlock(&q->lock);
        return false;
    }
    memcpy(out, q->deque + q->head * q->message_bytes, q->message_bytes);
    q->head = (q->head + 1) & (q->capacity - 1);
    q->count--;
    pthread_mutex_unlock(&q->lock);
    return true;
}

uint64_t kb_qref_peak_bytes(const kb_qref *q) { return q->peak_bytes; }

uint64_t kb_qref_current_bytes(const kb_qref *q) {
    switch (q->kind) {
    case KB_QREF_MUTEX: return q->capacity * q->message_bytes;
    default: return q->peak_bytes;   // ring and arena: fixed from creation
    }
}

uint64_t kb_qref_time_pairs(kb_qref *q, const void *message, void *out, uint64_t iterations,
                            uint64_t *failures) {
    uint64_t failed = 0;
    uint64_t start = kb_rdtsc_begin();
    switch (q->kind) {
    case KB_QREF_CK_RING:
        for (uint64_t i = 0; i < iterations; i++) {
            failed += !kb_qref_ck_ring_enqueue(q, message);
            failed += !kb_qref_ck_ring_dequeue(q, out);
        }
        break;
    case KB_QREF_CK_FIFO:
        for (uint64_t i = 0; i < iterations; i++) {
            failed += !kb_qref_ck_fifo_enqueue(q, 0, message);
            failed += !kb_qref_ck_fifo_dequeue(q, out);
        }
        break;
    default:
        for (uint64_t i = 0; i < iterations; i++) {
            failed += !kb_qref_mutex_enqueue(q, message);
            failed += !kb_qref_mutex_dequeue(q, out);
        }
        break;
    }
    uint64_t ticks = kb_rdtsc_end() - start;
    *failures += failed;
    return ticks;
}
