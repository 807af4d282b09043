// System-call wrappers for CPlatform.h: each returns -errno on failure.
#define _GNU_SOURCE
#include "CPlatform.h"

#include <errno.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int32_t kb_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int32_t kb_current_cpu(void) {
    int cpu = sched_getcpu();
    return cpu < 0 ? -errno : cpu;
}

int32_t kb_cpu_count_configured(void) {
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n < 1 ? 1 : (int32_t)n;
}

/// Large enough for any machine kbench will meet (CPU_SETSIZE is only 1024).
static int32_t mask_cpus(void) {
    int32_t n = kb_cpu_count_configured();
    return n < 1024 ? 1024 : n;
}

int32_t kb_set_affinity(int32_t tid, const int32_t *cpus, int32_t count) {
    int32_t ncpus = mask_cpus();
    cpu_set_t *set = CPU_ALLOC(ncpus);
    if (!set) return -ENOMEM;
    size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, set);
    for (int32_t i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= ncpus) { CPU_FREE(set); return -EINVAL; }
        CPU_SET_S(cpus[i], size, set);
    }
    int rc = sched_setaffinity(tid, size, set);
    int err = errno;
    CPU_FREE(set);
    return rc == 0 ? 0 : -err;
}

int32_t kb_get_affinity(int32_t tid, int32_t *cpus, int32_t capacity) {
    int32_t ncpus = mask_cpus();
    cpu_set_t *set = CPU_ALLOC(ncpus);
    if (!set) return -ENOMEM;
    size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(tid, size, set) != 0) { int err = errno; CPU_FREE(set); return -err; }
    int32_t found = 0;
    for (int32_t cpu = 0; cpu < ncpus; cpu++) {
        if (CPU_ISSET_S(cpu, size, set)) {
            if (found < capacity) cpus[found] = cpu;
            found++;
        }
    }
    CPU_FREE(set);
    return found;
}

int32_t kb_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tsp = &ts;
    }
    long rc = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
    return rc == 0 ? 0 : -errno;
}

int32_t kb_futex_wake(uint32_t *word, int32_t count) {
    long rc = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return rc < 0 ? -errno : (int32_t)rc;
}

int32_t kb_eventfd_open(void) {
    int fd = eventfd(0, EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int32_t kb_eventfd_signal(int32_t fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof one) == (ssize_t)sizeof one ? 0 : -errno;
}

int64_t kb_eventfd_wait(int32_t fd) {
    uint64_t count = 0;
    return read(fd, &count, sizeof count) == (ssize_t)sizeof count ? (int64_t)count : -errno;
}

int32_t kb_membarrier(int32_t cmd, uint32_t flags) {
    long rc = syscall(SYS_membarrier, cmd, flags, 0);
    return rc < 0 ? -errno : (int32_t)rc;
}

int32_t kb_tgkill(int32_t tid, int32_t sig) {
    long rc = syscall(SYS_tgkill, getpid(), tid, sig);
    return rc < 0 ? -errno : 0;
}

int32_t kb_tgsigqueue(int32_t tid, int32_t sig, void *value) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;        // negative: allowed from user space to itself
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_ptr = value;
    long rc = syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &info);
    return rc < 0 ? -errno : 0;
}

void *kb_siginfo_value(const void *info) {
    return info ? ((const siginfo_t *)info)->si_value.sival_ptr : NULL;
}

int32_t kb_set_scheduler(int32_t tid, int32_t policy, int32_t priority) {
    struct sched_param param = { .sched_priority = priority };
    return sched_setscheduler(tid, policy, &param) == 0 ? 0 : -errno;
}

int32_t kb_get_scheduler(int32_t tid) {
    int policy = sched_getscheduler(tid);
    return policy < 0 ? -errno : policy;
}

int32_t kb_get_priority(int32_t tid) {
    struct sched_param param;
    return sched_getparam(tid, &param) == 0 ? param.sched_priority : -errno;
}

int kb_stop_flag = 0;

static void kb_stop_handler(int sig) {
    if (__atomic_exchange_n(&kb_stop_flag, 1, __ATOMIC_SEQ_CST) != 0) {
        // Second request: the user insists. Die the ordinary way.
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

int32_t kb_install_stop_handler(void) {
    struct sigaction action = {0};
    action.sa_handler = kb_stop_handler;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking call (futex, nanosleep) returns EINTR and the
    // caller sees the flag promptly.
    if (sigaction(SIGINT, &action, NULL) != 0) return -errno;
    if (sigaction(SIGTERM, &action, NULL) != 0) return -errno;
    // A parent may have started us with these signals blocked (some spawners
    // do); unblock them, or Ctrl-C would be held until the run ends.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0) return -EINVAL;
    return 0;
}

void kb_set_stop_flag(int value) { __atomic_store_n(&kb_stop_flag, value, __ATOMIC_SEQ_CST); }
