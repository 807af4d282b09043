// ctxbench ipc's channel: every mechanism's send and receive, the responder
// loop and the forked responder process. See include/ipc_channel.h.
#define _GNU_SOURCE
#include "ipc_channel.h"

#include <linux/futex.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>

/// Bytes a stream message takes: a 4-byte tag (sequence << 8 | size), then the payload.
enum { KB_IPC_WIRE_MAX = 4 + KB_IPC_MAX_PAYLOAD };
/// A futex waiter re-checks the abort flag this often (ns), so no wait is unbounded.
static const long kb_ipc_futex_slice_ns = 100 * 1000 * 1000;

static inline int aborted(kb_ipc_channel *ch) { return __atomic_load_n(&ch->abort, __ATOMIC_ACQUIRE) != 0; }

int32_t kb_ipc_fail(kb_ipc_channel *ch, uint32_t status, uint32_t direction, uint32_t seq, uint32_t size,
                    int32_t offset, uint32_t expected, uint32_t got, int32_t error_number) {
    // After an abort, failures are its consequences (a poke read as payload,
    // a peer gone): not recorded, and not corruption.
    if (aborted(ch)) return KB_IPC_ABORTED;
    uint32_t none = 0;
    if (__atomic_compare_exchange_n(&ch->error.status, &none, 0xFFFFFFFFu, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        ch->error.direction = direction;
        ch->error.seq = seq;
        ch->error.size = size;
        ch->error.offset = offset;
        ch->error.expected = expected;
        ch->error.got = got;
        ch->error.error_number = error_number;
        // Release: the fields above are visible to whoever reads the status.
        __atomic_store_n(&ch->error.status, status, __ATOMIC_RELEASE);
    }
    kb_ipc_abort(ch);
    return (int32_t)status;
}

/// The descriptor a side writes to / reads from, for the stream mechanisms.
static int write_fd(kb_ipc_channel *ch, uint32_t direction) {
    if (ch->mechanism == KB_IPC_PIPE) return ch->fds[direction == 0 ? 1 : 3];   // request pipe / reply pipe write ends
    return ch->fds[direction == 0 ? 0 : 1];                                      // socketpair: initiator end / responder end
}
static int read_fd(kb_ipc_channel *ch, uint32_t direction) {
    if (ch->mechanism == KB_IPC_PIPE) return ch->fds[direction == 0 ? 0 : 2];
    return ch->fds[direction == 0 ? 1 : 0];
}

static int32_t write_all(kb_ipc_channel *ch, int fd, const uint8_t *bytes, size_t length, uint32_t direction, uint32_t seq) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = write(fd, bytes + done, length - done);
        if (n > 0) { done += (size_t)n; continue; }
        if (n < 0 && errno == EINTR && !aborted(ch)) continue;
        if (aborted(ch)) return KB_IPC_ABORTED;
        return kb_ipc_fail(ch, n < 0 && errno == EPIPE ? KB_IPC_CLOSED : KB_IPC_SYSTEM, direction, seq, 0, -1, 0, 0,
                           n < 0 ? errno : EIO);
    }
    return KB_IPC_OK;
}

/// Reads exactly `length` bytes (a stream may deliver a message in pieces).
static int32_t read_all(kb_ipc_channel *ch, int fd, uint8_t *bytes, size_t length, uint32_t direction, uint32_t seq) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = read(fd, bytes + done, length - done);
        if (n > 0) { done += (size_t)n; continue; }
        if (n < 0 && errno == EINTR && !aborted(ch)) continue;
        if (aborted(ch)) return KB_IPC_ABORTED;
        if (n == 0) return kb_ipc_fail(ch, KB_IPC_CLOSED, direction, seq, 0, -1, 0, 0, 0);
        return kb_ipc_fail(ch, KB_IPC_SYSTEM, direction, seq, 0, -1, 0, 0, errno);
    }
    return KB_IPC_OK;
}

static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout) {
    return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

int32_t kb_ipc_send(kb_ipc_channel *ch, uint32_t direction, uint32_t seq, uint32_t size) {
    if (aborted(ch)) return KB_IPC_ABORTED;
    uint32_t payload = size <= KB_IPC_MAX_PAYLOAD ? size : 0;
    switch (ch->mechanism) {
    case KB_IPC_PIPE:
    case KB_IPC_SOCKETPAIR: {
        uint8_t wire[KB_IPC_WIRE_MAX];
        uint32_t tag = (seq << 8) | (size & 0xFF);
        memcpy(wire, &tag, 4);
        kb_ipc_fill(wire + 4, seq, payload, direction);
        return write_all(ch, write_fd(ch, direction), wire, 4 + payload, direction, seq);
    }
    default: {
        kb_ipc_mailbox *box = &ch->box[direction];
        kb_ipc_fill(box->payload, seq, payload, direction);
        box->size = size;
        // Release: the payload and size are visible before the sequence number.
        __atomic_store_n(&box->seq, seq, __ATOMIC_RELEASE);
        if (ch->mechanism == KB_IPC_EVENTFD) {
            uint64_t one = 1;
            return write_all(ch, ch->fds[direction], (const uint8_t *)&one, 8, direction, seq);
        }
        if (ch->mechanism == KB_IPC_FUTEX) {
            if (futex(&box->seq, FUTEX_WAKE | ch->futex_op_flags, 1, NULL) < 0)
                return kb_ipc_fail(ch, KB_IPC_SYSTEM, direction, seq, size, -1, 0, 0, errno);
        }
        return KB_IPC_OK;
    }
    }
}

/// Waits until the mailbox holds `seq` (acquire: its payload is then visible).
static int32_t wait_mailbox(kb_ipc_channel *ch, kb_ipc_mailbox *box, uint32_t direction, uint32_t seq) {
    switch (ch->mechanism) {
    case KB_IPC_EVENTFD: {
        uint64_t count;
        int32_t rc = read_all(ch, ch->fds[direction], (uint8_t *)&count, 8, direction, seq);
        if (rc != KB_IPC_OK) return rc;
        break;
    }
    case KB_IPC_FUTEX: {
        struct timespec slice = { 0, kb_ipc_futex_slice_ns };
        for (;;) {
            uint32_t now = __atomic_load_n(&box->seq, __ATOMIC_ACQUIRE);
            if (now == seq) return KB_IPC_OK;
            if (aborted(ch)) return KB_IPC_ABORTED;
            long rc = futex(&box->seq, FUTEX_WAIT | ch->futex_op_flags, now, &slice);
            if (rc < 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
                return kb_ipc_fail(ch, KB_IPC_SYSTEM, direction, seq, 0, -1, 0, 0, errno);
        }
    }
    case KB_IPC_SPIN: {
        uint32_t polls = 0;
        while (__atomic_load_n(&box->seq, __ATOMIC_ACQUIRE) != seq) {
            if (ch->yield_while_spinning) sched_yield(); else kb_pause();
            if ((++polls & 1023) == 0 && aborted(ch)) return KB_IPC_ABORTED;
        }
        return KB_IPC_OK;
    }
    }
    if (__atomic_load_n(&box->seq, __ATOMIC_ACQUIRE) != seq) {
        if (aborted(ch)) return KB_IPC_ABORTED;
        return kb_ipc_fail(ch, KB_IPC_CORRUPT, direction, seq, 0, -1, seq, box->seq, 0);
    }
    return KB_IPC_OK;
}

/// The size the sender declared must be one a message can have.
static int32_t check_size(kb_ipc_channel *ch, uint32_t direction, uint32_t seq, uint32_t size) {
    if (size == KB_IPC_SIZE_STOP) return KB_IPC_STOPPED;
    if (size == KB_IPC_SIZE_ABORT) return KB_IPC_ABORTED;
    if (size > KB_IPC_MAX_PAYLOAD || size % 4 != 0)
        return kb_ipc_fail(ch, KB_IPC_CORRUPT, direction, seq, size, -1, 0, size, 0);
    return KB_IPC_OK;
}

static int32_t check_payload(kb_ipc_channel *ch, const uint8_t *payload, uint32_t direction, uint32_t seq, uint32_t size) {
    int32_t wrong = kb_ipc_check(payload, seq, size, direction);
    if (wrong < 0) return KB_IPC_OK;
    return kb_ipc_fail(ch, KB_IPC_CORRUPT, direction, seq, size, wrong,
                       kb_ipc_expected_byte(seq, size, direction, (uint32_t)wrong), payload[wrong], 0);
}

int32_t kb_ipc_receive(kb_ipc_channel *ch, uint32_t direction, uint32_t seq, uint32_t *size) {
    if (aborted(ch)) return KB_IPC_ABORTED;
    switch (ch->mechanism) {
    case KB_IPC_PIPE:
    case KB_IPC_SOCKETPAIR: {
        uint8_t wire[KB_IPC_WIRE_MAX];
        int fd = read_fd(ch, direction);
        int32_t rc = read_all(ch, fd, wire, 4, direction, seq);
        if (rc != KB_IPC_OK) return rc;
        uint32_t tag;
        memcpy(&tag, wire, 4);
        *size = tag & 0xFF;
        if ((rc = check_size(ch, direction, seq, *size)) != KB_IPC_OK) return rc;
        if ((tag >> 8) != (seq & 0xFFFFFF))
            return kb_ipc_fail(ch, KB_IPC_CORRUPT, direction, seq, *size, -1, seq & 0xFFFFFF, tag >> 8, 0);
        if ((rc = read_all(ch, fd, wire + 4, *size, direction, seq)) != KB_IPC_OK) return rc;
        return check_payload(ch, wire + 4, direction, seq, *size);
    }
    default: {
        kb_ipc_mailbox *box = &ch->box[direction];
        int32_t rc = wait_mailbox(ch, box, direction, seq);
        if (rc != KB_IPC_OK) return rc;
        *size = box->size;
        if ((rc = check_size(ch, direction, seq, *size)) != KB_IPC_OK) return rc;
        return check_payload(ch, box->payload, direction, seq, *size);
    }
    }
}

int32_t kb_ipc_serve(kb_ipc_channel *ch) {
    for (uint32_t seq = 1;; seq++) {
        uint32_t size = 0;
        int32_t rc = kb_ipc_receive(ch, 0, seq, &size);
        if (rc != KB_IPC_OK) return rc;
        if ((rc = kb_ipc_send(ch, 1, seq, size)) != KB_IPC_OK) return rc;
        __atomic_store_n(&ch->replies, (uint64_t)seq, __ATOMIC_RELAXED);
    }
}

void kb_ipc_abort(kb_ipc_channel *ch) {
    if (__atomic_exchange_n(&ch->abort, 1, __ATOMIC_ACQ_REL) != 0) return;
    switch (ch->mechanism) {
    case KB_IPC_PIPE:
    case KB_IPC_SOCKETPAIR: {
        // A poke whose size says "abort", in each direction: a reader blocked
        // on either side wakes, whatever sequence number it waits for.
        uint32_t tag = KB_IPC_SIZE_ABORT;
        for (uint32_t d = 0; d < 2; d++) { ssize_t n = write(write_fd(ch, d), &tag, 4); (void)n; }
        break;
    }
    case KB_IPC_EVENTFD:
        for (uint32_t d = 0; d < 2; d++) { uint64_t one = 1; ssize_t n = write(ch->fds[d], &one, 8); (void)n; }
        break;
    case KB_IPC_FUTEX:
        for (uint32_t d = 0; d < 2; d++) futex(&ch->box[d].seq, FUTEX_WAKE | ch->futex_op_flags, 1 << 30, NULL);
        break;
    default: break;   // spinners poll the flag
    }
}

kb_ipc_channel *kb_ipc_open(int32_t mechanism, int32_t between_processes, int32_t same_cpu, int32_t *error_number) {
    if (mechanism < KB_IPC_PIPE || mechanism > KB_IPC_SPIN) { *error_number = EINVAL; return NULL; }
    void *memory = mmap(NULL, sizeof(kb_ipc_channel), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) { *error_number = errno; return NULL; }
    kb_ipc_channel *ch = memory;   // zero-filled by mmap
    ch->mechanism = mechanism;
    ch->futex_op_flags = between_processes ? 0 : FUTEX_PRIVATE_FLAG;
    ch->yield_while_spinning = same_cpu != 0;
    ch->responder_cpu = -1;
    for (int i = 0; i < 4; i++) ch->fds[i] = -1;
    int rc = 0;
    switch (mechanism) {
    case KB_IPC_PIPE:
        rc = pipe2(&ch->fds[0], O_CLOEXEC);
        if (rc == 0) rc = pipe2(&ch->fds[2], O_CLOEXEC);
        break;
    case KB_IPC_SOCKETPAIR:
        rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &ch->fds[0]);
        break;
    case KB_IPC_EVENTFD:
        if ((ch->fds[0] = eventfd(0, EFD_CLOEXEC)) < 0) rc = -1;
        else if ((ch->fds[1] = eventfd(0, EFD_CLOEXEC)) < 0) rc = -1;
        break;
    default: break;
    }
    if (rc != 0) {
        *error_number = errno;
        kb_ipc_close(ch);
        return NULL;
    }
    return ch;
}

int32_t kb_ipc_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void kb_ipc_close(kb_ipc_channel *ch) {
    if (!ch) return;
    for (int i = 0; i < 4; i++) if (ch->fds[i] >= 0) close(ch->fds[i]);
    munmap(ch, sizeof(kb_ipc_channel));
}

int32_t kb_ipc_spawn_responder(kb_ipc_channel *ch, int32_t cpu, int32_t fifo_priority) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) return pid;
    // Child: async-signal-safe calls only from here on.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(KB_IPC_ABORTED);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(KB_IPC_SYSTEM);
    if (fifo_priority > 0) {
        struct sched_param param = { .sched_priority = fifo_priority };
        if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) ch->responder_sched_error = errno;
    }
    ch->responder_cpu = sched_getcpu();
    __atomic_store_n(&ch->responder_ready, 1, __ATOMIC_RELEASE);
    _exit(kb_ipc_serve(ch));
}

int32_t kb_ipc_wait_child(int32_t pid, int64_t timeout_ns) {
    struct timespec start, now, nap = { 0, 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int status = 0;
        pid_t rc = waitpid(pid, &status, WNOHANG);
        if (rc == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 256 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        if (rc < 0 && errno != EINTR) return -errno;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed = (int64_t)(now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec);
        if (elapsed >= timeout_ns) return -ETIMEDOUT;
        nanosleep(&nap, NULL);
    }
}
