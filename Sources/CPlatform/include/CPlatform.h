// CPlatform: the few machine and system primitives Swift cannot reach cleanly.
//
// Everything a measurement loop touches (TSC reads, pause, fences) is
// `static inline` so that it inlines into Swift release builds: nothing measured
// goes through a call. The system-call wrappers live in platform.c and return
// 0 / a count on success or -errno on failure, so Swift can name the errno.
#ifndef KBENCH_CPLATFORM_H
#define KBENCH_CPLATFORM_H

#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Time stamp counter (inlined)

/// rdtsc alone: not ordered against surrounding instructions. Use it inside a
/// loop whose own data dependency orders it (the FTQ loop), never to bracket.
static inline __attribute__((always_inline)) uint64_t kb_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/// lfence; rdtsc: the read waits for every earlier instruction to complete.
/// Use it to open a measured interval ("before").
static inline __attribute__((always_inline)) uint64_t kb_rdtsc_begin(void) {
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/// rdtscp; lfence: the read waits for earlier instructions and later ones wait
/// for it. Use it to close a measured interval ("after").
static inline __attribute__((always_inline)) uint64_t kb_rdtsc_end(void) {
    uint32_t lo, hi, aux;
    __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/// rdtscp with the TSC_AUX value (Linux stores the CPU number in its low 12 bits).
static inline __attribute__((always_inline)) uint64_t kb_rdtscp(uint32_t *aux) {
    uint32_t lo, hi;
    __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/// The spin-wait hint: lets the sibling hyperthread run and saves power.
static inline __attribute__((always_inline)) void kb_pause(void) {
    __asm__ __volatile__("pause" ::: "memory");
}

/// A compiler-only barrier: keeps the optimiser from moving memory accesses
/// across it (or deleting a loop whose result is otherwise unused).
static inline __attribute__((always_inline)) void kb_compiler_barrier(void) {
    __asm__ __volatile__("" ::: "memory");
}

/// Keeps a value alive without a memory access: the loop that computed it
/// cannot be optimised away.
static inline __attribute__((always_inline)) void kb_keep(uint64_t value) {
    __asm__ __volatile__("" :: "r"(value));
}

/// cpuid, for the invariant-TSC bit and the brand string.
static inline void kb_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    __asm__ __volatile__("cpuid"
                         : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                         : "a"(leaf), "c"(subleaf));
}

// MARK: - Threads and CPUs (platform.c)

/// The kernel thread id of the caller.
int32_t kb_gettid(void);

/// The CPU the caller runs on now, or -errno.
int32_t kb_current_cpu(void);

/// Number of CPUs the kernel can name (the size an affinity mask needs).
int32_t kb_cpu_count_configured(void);

/// Restricts thread `tid` (0: the caller) to the `count` CPUs in `cpus`.
int32_t kb_set_affinity(int32_t tid, const int32_t *cpus, int32_t count);

/// Writes up to `capacity` CPUs thread `tid` may run on into `cpus`; returns the
/// number of allowed CPUs (which may exceed `capacity`), or -errno.
int32_t kb_get_affinity(int32_t tid, int32_t *cpus, int32_t capacity);

// MARK: - Futex and membarrier (platform.c)

/// FUTEX_WAIT_PRIVATE: sleeps while `*word == expected`. `timeout_ns` < 0 waits
/// forever. Returns 0 when woken, or -errno (EAGAIN, ETIMEDOUT, EINTR).
int32_t kb_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/// FUTEX_WAKE_PRIVATE: wakes up to `count` waiters; returns how many woke or -errno.
int32_t kb_futex_wake(uint32_t *word, int32_t count);

/// eventfd(0, EFD_CLOEXEC): a blocking counter a sleeper reads and a waker
/// writes (the second wake-up of KernelCore's kernel messages). Returns the
/// descriptor or -errno.
int32_t kb_eventfd_open(void);

/// Adds 1 to the eventfd's count (waking a reader); 0 or -errno.
int32_t kb_eventfd_signal(int32_t fd);

/// Blocks until the eventfd's count is non-zero, then takes it (resetting it to
/// 0); returns the count taken (1 or more) or -errno (EINTR).
int64_t kb_eventfd_wait(int32_t fd);

/// membarrier(2): `cmd` is one of MEMBARRIER_CMD_*; returns the result or -errno.
int32_t kb_membarrier(int32_t cmd, uint32_t flags);

/// MEMBARRIER_CMD_* values, so Swift need not include <linux/membarrier.h>.
enum {
    KB_MEMBARRIER_QUERY = 0,
    KB_MEMBARRIER_PRIVATE_EXPEDITED = (1 << 3),
    KB_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED = (1 << 4),
};

/// tgkill(getpid(), tid, sig): a signal to one thread of this process.
int32_t kb_tgkill(int32_t tid, int32_t sig);

/// rt_tgsigqueueinfo(getpid(), tid, sig) with an SI_QUEUE siginfo carrying
/// `value`: a signal to one thread of this process that tells its handler
/// which object it is about (the handler reads it back with kb_siginfo_value),
/// so the handler needs no global or thread-local lookup. Returns 0 or -errno.
int32_t kb_tgsigqueue(int32_t tid, int32_t sig, void *value);

/// The `si_value.sival_ptr` of a siginfo_t received by an SA_SIGINFO handler
/// (`info` is the handler's `siginfo_t *`). Async-signal-safe: a field read.
void *kb_siginfo_value(const void *info);

/// sched_setscheduler(tid, policy, priority) and its getters; -errno on failure.
int32_t kb_set_scheduler(int32_t tid, int32_t policy, int32_t priority);
int32_t kb_get_scheduler(int32_t tid);
int32_t kb_get_priority(int32_t tid);

// MARK: - Stop request (Ctrl-C)

/// Set by the SIGINT/SIGTERM handler; measurement loops poll it with a relaxed
/// load (one ordinary load on x86) at their natural boundaries.
extern int kb_stop_flag;

static inline __attribute__((always_inline)) bool kb_stop_requested(void) {
    return __atomic_load_n(&kb_stop_flag, __ATOMIC_RELAXED) != 0;
}

/// Installs the handler for SIGINT and SIGTERM: the first signal sets
/// kb_stop_flag (the run stops, flushes and is marked incomplete); a second one
/// restores the default action and re-raises, so a stuck run can still be killed.
int32_t kb_install_stop_handler(void);

/// Sets or clears the flag by hand (tests, and tools that stop on their own).
void kb_set_stop_flag(int value);

#ifdef __cplusplus
}
#endif
#endif
