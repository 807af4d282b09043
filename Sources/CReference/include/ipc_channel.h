// The two ends of ctxbench ipc's round trip, in C so that a forked child runs
// nothing but async-signal-safe code (no Swift runtime, no allocation) and so
// that the thread responder, the process responder and the measured initiator
// use one implementation of every mechanism and of the byte check.
//
// A channel lives in one MAP_SHARED mapping made before the fork, so the child
// process sees the same mailboxes, abort flag and error record as the parent.
// Direction 0 carries requests (initiator -> responder), direction 1 replies.
#ifndef KBENCH_IPC_CHANNEL_H
#define KBENCH_IPC_CHANNEL_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "CPlatform.h"

enum {
    KB_IPC_PIPE = 0, KB_IPC_SOCKETPAIR = 1, KB_IPC_EVENTFD = 2, KB_IPC_FUTEX = 3, KB_IPC_SPIN = 4,
};

/// Payload bytes a message may carry (Uhlig's 0-252 byte range; multiples of 4).
enum { KB_IPC_MAX_PAYLOAD = 252 };
/// Sizes that are not payload sizes: end of the conversation, and the
/// coordinator's poke that wakes a blocked reader after an abort.
enum { KB_IPC_SIZE_STOP = 0xFF, KB_IPC_SIZE_ABORT = 0xFE };

/// What a send or receive returns.
enum {
    KB_IPC_OK = 0,
    KB_IPC_CORRUPT = 1,   ///< a byte (or the size, or the sequence) differed
    KB_IPC_ABORTED = 2,   ///< the channel was aborted (Ctrl-C, stall, the peer failed)
    KB_IPC_CLOSED = 3,    ///< end of file: the peer's end closed
    KB_IPC_SYSTEM = 4,    ///< a system call failed (errno in the error record)
    KB_IPC_STOPPED = 5,   ///< the responder received the stop message
};

/// One direction's shared-memory mailbox: the payload, its size, then the
/// sequence number, stored last with release (and the futex word).
typedef struct {
    uint32_t seq;
    uint32_t size;
    uint8_t payload[KB_IPC_MAX_PAYLOAD];
    uint8_t pad[512 - 8 - KB_IPC_MAX_PAYLOAD];
} kb_ipc_mailbox;

/// The first failure either side saw (first writer wins through `status`).
typedef struct {
    uint32_t status;      ///< 0 while nothing failed
    uint32_t direction;   ///< the message's direction (0 request, 1 reply)
    uint32_t seq, size;   ///< the expected sequence number and size
    int32_t offset;       ///< the first wrong payload byte; -1: the sequence or size
    uint32_t expected, got;
    int32_t error_number; ///< errno of a failed system call
} kb_ipc_error;

typedef struct {
    kb_ipc_mailbox box[2];
    // Control, its own lines: set by whoever aborts, read by waiters.
    uint32_t abort;
    uint32_t responder_ready;     ///< 1 once the responder is pinned and waiting
    int32_t responder_cpu;        ///< where it found itself (sched_getcpu)
    int32_t responder_sched_error;///< errno of a refused SCHED_FIFO, 0 if none was asked or it was granted
    int32_t mechanism;
    int32_t futex_op_flags;       ///< FUTEX_PRIVATE_FLAG between threads, 0 between processes
    int32_t yield_while_spinning; ///< spin mailbox on one CPU: the peer needs the CPU
    int32_t fds[4];               ///< per mechanism: see kb_ipc_open
    uint8_t control_pad[128 - 4 * 11];
    kb_ipc_error error;
    uint8_t error_pad[128 - sizeof(kb_ipc_error)];
    uint64_t replies;             ///< replies sent (the watchdog's progress), responder-written
    uint8_t progress_pad[120];
} kb_ipc_channel;

/// The 32-bit words of a message: a base that depends on the sequence number,
/// the size and the direction, plus a step per word, so a stale, shifted,
/// truncated or foreign message differs in some byte.
static inline __attribute__((always_inline)) uint32_t kb_ipc_base(uint32_t seq, uint32_t size, uint32_t direction) {
    return seq * 2654435761u ^ (size << 20) ^ (direction << 30) ^ 0x5bd1e995u;
}
#define KB_IPC_STEP 0x9E3779B1u

/// Writes `size` bytes (a multiple of 4) of the pattern at `out`.
static inline __attribute__((always_inline)) void kb_ipc_fill(uint8_t *out, uint32_t seq, uint32_t size, uint32_t direction) {
    uint32_t word = kb_ipc_base(seq, size, direction);
    for (uint32_t i = 0; i < size; i += 4, word += KB_IPC_STEP) memcpy(out + i, &word, 4);
}

/// Checks `size` bytes at `in` against the pattern: -1 when every byte is
/// right, else the offset of the first wrong byte.
static inline __attribute__((always_inline)) int32_t kb_ipc_check(const uint8_t *in, uint32_t seq, uint32_t size, uint32_t direction) {
    uint32_t word = kb_ipc_base(seq, size, direction);
    for (uint32_t i = 0; i < size; i += 4, word += KB_IPC_STEP) {
        uint32_t got;
        memcpy(&got, in + i, 4);
        if (got != word) {
            for (uint32_t b = 0; b < 4; b++) {
                if (((got >> (8 * b)) & 0xFF) != ((word >> (8 * b)) & 0xFF)) return (int32_t)(i + b);
            }
        }
    }
    return -1;
}

/// The expected byte at `offset` (for the error record).
static inline uint8_t kb_ipc_expected_byte(uint32_t seq, uint32_t size, uint32_t direction, uint32_t offset) {
    uint32_t word = kb_ipc_base(seq, size, direction) + (offset / 4) * KB_IPC_STEP;
    return (uint8_t)(word >> (8 * (offset % 4)));
}

/// Records the first failure (later ones are consequences) and aborts the
/// channel, so the peer waiting for this side wakes up. Returns `status`.
int32_t kb_ipc_fail(kb_ipc_channel *ch, uint32_t status, uint32_t direction, uint32_t seq, uint32_t size,
                    int32_t offset, uint32_t expected, uint32_t got, int32_t error_number);

/// Sends message `seq` of `size` bytes in `direction`; KB_IPC_OK or a failure.
int32_t kb_ipc_send(kb_ipc_channel *ch, uint32_t direction, uint32_t seq, uint32_t size);

/// Waits for message `seq` in `direction` and checks every byte of it. The
/// size is the sender's; it is stored in `*size` (KB_IPC_SIZE_STOP for the
/// stop message). KB_IPC_OK, KB_IPC_STOPPED or a failure.
int32_t kb_ipc_receive(kb_ipc_channel *ch, uint32_t direction, uint32_t seq, uint32_t *size);

/// One round trip from the initiator: request `seq` of `size` bytes, then the
/// reply, every byte checked. KB_IPC_OK or a failure (recorded).
/// The second half of a round trip: the reply to request `seq` of `size`
/// bytes, every byte checked. (lockbench dynamic locks around the send alone.)
static inline __attribute__((always_inline)) int32_t kb_ipc_await_reply(kb_ipc_channel *ch, uint32_t seq, uint32_t size) {
    uint32_t got = 0;
    int32_t rc = kb_ipc_receive(ch, 1, seq, &got);
    if (rc == KB_IPC_OK && got != size) rc = kb_ipc_fail(ch, KB_IPC_CORRUPT, 1, seq, size, -1, size, got, 0);
    return rc;
}

static inline __attribute__((always_inline)) int32_t kb_ipc_round_trip(kb_ipc_channel *ch, uint32_t seq, uint32_t size) {
    int32_t rc = kb_ipc_send(ch, 0, seq, size);
    if (rc != KB_IPC_OK) return rc;
    return kb_ipc_await_reply(ch, seq, size);
}

/// Replies the responder sent (relaxed: the watchdog only looks for movement).
static inline uint64_t kb_ipc_replies(kb_ipc_channel *ch) { return __atomic_load_n(&ch->replies, __ATOMIC_RELAXED); }
/// 1 once the responder is pinned and serving (acquire: pairs with its release,
/// so its responder_cpu and responder_sched_error are visible).
static inline uint32_t kb_ipc_responder_ready(kb_ipc_channel *ch) { return __atomic_load_n(&ch->responder_ready, __ATOMIC_ACQUIRE); }
/// The error record's status (acquire: pairs with kb_ipc_fail's release, so
/// the record's fields are visible); 0 none, 0xFFFFFFFF being written.
static inline uint32_t kb_ipc_error_status(kb_ipc_channel *ch) { return __atomic_load_n(&ch->error.status, __ATOMIC_ACQUIRE); }

/// A channel of `mechanism` in a fresh MAP_SHARED mapping, its descriptors
/// made (close-on-exec); `between_processes` picks shared futexes, `same_cpu`
/// makes the spin mailbox yield. NULL with *error_number set on failure.
kb_ipc_channel *kb_ipc_open(int32_t mechanism, int32_t between_processes, int32_t same_cpu, int32_t *error_number);

/// A close-on-exec eventfd counting from 0 (remote-op's wake-ups too):
/// the descriptor, or -errno.
int32_t kb_ipc_eventfd(void);

/// Closes the descriptors and unmaps the channel.
void kb_ipc_close(kb_ipc_channel *ch);

/// Sets the abort flag and wakes whichever side is blocked (a poke message in
/// both directions of a stream, an eventfd count, a futex wake). Async-signal-safe.
void kb_ipc_abort(kb_ipc_channel *ch);

/// The responder: receives request n (n = 1, 2, ...), checks it, replies with
/// the same size, until the stop message or a failure. Returns KB_IPC_STOPPED
/// after a clean stop, else the failure.
int32_t kb_ipc_serve(kb_ipc_channel *ch);

/// Forks the responder process: in the child, SIGKILL when the parent dies
/// (PR_SET_PDEATHSIG, checked against a parent that died before it), SIGINT
/// ignored (the parent handles Ctrl-C and ends the child), pinned to `cpu`,
/// SCHED_FIFO at `fifo_priority` when positive, then kb_ipc_serve and _exit
/// with its result (KB_IPC_STOPPED after a clean stop). Only async-signal-safe
/// calls run in the child. Returns the child's pid, or -errno.
int32_t kb_ipc_spawn_responder(kb_ipc_channel *ch, int32_t cpu, int32_t fifo_priority);

/// Waits up to `timeout_ns` for child `pid` to exit: its exit status (0-255),
/// 256 + signal when it was killed by one, -ETIMEDOUT when it still runs,
/// or -errno.
int32_t kb_ipc_wait_child(int32_t pid, int64_t timeout_ns);

#endif
