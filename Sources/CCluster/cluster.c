#define _GNU_SOURCE
#include "CCluster.h"
#include "CPlatform.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

// MARK: Clock discipline

int kb_clock_kernel_state(int64_t *maxerror_us, int64_t *esterror_us, int *unsynchronized) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);  // modes = 0: read only, needs no privilege
    int state = adjtimex(&tx);
    if (state < 0) return -errno;
    *maxerror_us = tx.maxerror;
    *esterror_us = tx.esterror;
    *unsynchronized = (tx.status & STA_UNSYNC) != 0;
    return state;
}

// MARK: MPI, loaded at run time

// Open MPI's handles are pointers to exported objects; MPI_Comm, MPI_Datatype
// and MPI_Op are all pointers in its ABI.
typedef void *kb_handle;
static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalize)(void);
    int (*comm_rank)(kb_handle, int *);
    int (*comm_size)(kb_handle, int *);
    int (*bcast)(void *, int, kb_handle, int, kb_handle);
    int (*allreduce)(const void *, void *, int, kb_handle, kb_handle, kb_handle);
    kb_handle world, int64, int32, max;
    int initialized_here;
} mpi;

static void *resolve(void *library, const char *name, char *reason, size_t reason_size) {
    void *symbol = dlsym(library, name);
    if (!symbol) snprintf(reason, reason_size, "libmpi has no %s (not Open MPI's ABI?)", name);
    return symbol;
}

int kb_mpi_load(const char *path, char *reason, size_t reason_size) {
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(reason, reason_size, "%s", why ? why : "dlopen failed");
        return -1;
    }
#define KB_RESOLVE(field, name) \
    if (!(*(void **)&mpi.field = resolve(library, name, reason, reason_size))) return -1;
    KB_RESOLVE(init_thread, "MPI_Init_thread")
    KB_RESOLVE(initialized, "MPI_Initialized")
    KB_RESOLVE(finalize, "MPI_Finalize")
    KB_RESOLVE(comm_rank, "MPI_Comm_rank")
    KB_RESOLVE(comm_size, "MPI_Comm_size")
    KB_RESOLVE(bcast, "MPI_Bcast")
    KB_RESOLVE(allreduce, "MPI_Allreduce")
    KB_RESOLVE(world, "ompi_mpi_comm_world")
    KB_RESOLVE(int64, "ompi_mpi_int64_t")
    KB_RESOLVE(int32, "ompi_mpi_int")
    KB_RESOLVE(max, "ompi_mpi_op_max")
#undef KB_RESOLVE
    return 0;
}

int kb_mpi_init(int *rank, int *size) {
    if (!mpi.init_thread) return -1;
    int already = 0;
    mpi.initialized(&already);
    if (!already) {
        // MPI_THREAD_SERIALIZED (2 in Open MPI): the bsp loop calls MPI from
        // its pinned sampler thread, never two threads at once.
        int provided = 0;
        int result = mpi.init_thread(NULL, NULL, 2, &provided);
        if (result != 0) return result;
        mpi.initialized_here = 1;
    }
    mpi.comm_rank(mpi.world, rank);
    return mpi.comm_size(mpi.world, size);
}

int kb_mpi_broadcast_i64(int64_t *value) {
    return mpi.bcast(value, 1, mpi.int64, 0, mpi.world);
}

int kb_mpi_finalize(void) {
    if (!mpi.initialized_here) return 0;
    mpi.initialized_here = 0;
    return mpi.finalize();
}

// MARK: Shared-memory barrier

// Counters on their own cache lines (pairs of lines: the adjacent-line prefetcher).
typedef struct {
    _Atomic uint64_t arrived;
    char pad0[120];
    // The first episode at which some process asked to stop (UINT64_MAX: none).
    _Atomic uint64_t stop_episode;
    _Atomic int64_t published;
    _Atomic uint64_t departed;
    // Nonzero once initialized: stop_episode starts at UINT64_MAX, not 0.
    _Atomic uint32_t ready;
} kb_shm_segment;

void *kb_shm_barrier_open(const char *name, int *error) {
    int fd = shm_open(name, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) { *error = errno; return NULL; }
    // Same size from every process: the first one's zeroed page stays as it is.
    if (ftruncate(fd, 4096) != 0) { *error = errno; close(fd); return NULL; }
    void *memory = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (memory == MAP_FAILED) { *error = errno; return NULL; }
    kb_shm_segment *segment = memory;
    uint32_t expected = 0;
    // The first process to get here marks "no stop yet"; the others see ready
    // (acq_rel) and leave it alone. A stop recorded before that is impossible:
    // nobody arrives at a barrier before it has opened the segment.
    if (atomic_compare_exchange_strong_explicit(&segment->ready, &expected, 1, memory_order_acq_rel,
                                                memory_order_acquire)) {
        atomic_store_explicit(&segment->stop_episode, UINT64_MAX, memory_order_release);
        atomic_store_explicit(&segment->ready, 2, memory_order_release);
    }
    while (atomic_load_explicit(&segment->ready, memory_order_acquire) != 2) kb_pause();
    return memory;
}

void kb_shm_barrier_close(void *memory, const char *name, uint64_t size, int force) {
    kb_shm_segment *segment = memory;
    uint64_t departed = atomic_fetch_add_explicit(&segment->departed, 1, memory_order_acq_rel) + 1;
    munmap(memory, 4096);
    if (force || departed >= size) shm_unlink(name);
}

void kb_shm_barrier_publish(void *memory, int64_t value) {
    // Relaxed: the arrival that follows (acq_rel) carries it to the others.
    atomic_store_explicit(&((kb_shm_segment *)memory)->published, value, memory_order_relaxed);
}

int64_t kb_shm_barrier_published(void *memory) {
    return atomic_load_explicit(&((kb_shm_segment *)memory)->published, memory_order_relaxed);
}

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int shm_wait(kb_rank_barrier *barrier, int stop) {
    kb_shm_segment *segment = barrier->segment;
    uint64_t episode = barrier->episode;
    if (stop) {
        // Atomic minimum: the earliest episode anyone asked to stop at.
        uint64_t seen = atomic_load_explicit(&segment->stop_episode, memory_order_relaxed);
        while (episode < seen &&
               !atomic_compare_exchange_weak_explicit(&segment->stop_episode, &seen, episode,
                                                      memory_order_relaxed, memory_order_relaxed)) {}
    }
    // Acq_rel: publishes this process's stop wish (and rank 0's value) with its
    // arrival, and a process that sees the count complete sees every wish.
    atomic_fetch_add_explicit(&segment->arrived, 1, memory_order_acq_rel);
    uint64_t target = (episode + 1) * barrier->size;
    uint64_t spins = 0, deadline = 0;
    while (atomic_load_explicit(&segment->arrived, memory_order_acquire) < target) {
        kb_pause();
        // Spin first (a barrier's latency is part of what is measured), then
        // yield (ranks may share a CPU) and look at the clock now and then.
        if (++spins >= 4096 && (spins & 255) == 0) {
            sched_yield();
            uint64_t now = monotonic_ns();
            if (deadline == 0) deadline = now + barrier->timeout_ns;
            else if (now > deadline) return -ETIMEDOUT;
        }
    }
    barrier->episode = episode + 1;
    // A wish for a later episode (written after its owner left this one) is
    // not this episode's: every process reads the same answer.
    return atomic_load_explicit(&segment->stop_episode, memory_order_relaxed) <= episode;
}

static int mpi_wait(kb_rank_barrier *barrier, int stop) {
    // An all-reduce is the barrier: nobody leaves before everyone arrived, and
    // everyone leaves with the same decision.
    int wish = stop != 0, any = 0;
    int result = mpi.allreduce(&wish, &any, 1, mpi.int32, mpi.max, mpi.world);
    if (result != 0) return -EIO;
    barrier->episode++;
    return any != 0;
}

int kb_rank_barrier_wait(kb_rank_barrier *barrier, int stop) {
    switch (barrier->kind) {
    case KB_BARRIER_MPI: return mpi_wait(barrier, stop);
    case KB_BARRIER_SHM: return shm_wait(barrier, stop);
    default: barrier->episode++; return stop != 0;
    }
}

// MARK: The bulk-synchronous loop

// The fixed work: `units` dependent LCG steps. The empty asm keeps the
// compiler from folding several steps into one (it may reassociate a chain of
// multiply-adds by constants), so a unit costs what FWQ's does.
static inline __attribute__((always_inline)) uint64_t bsp_work(uint64_t state, uint64_t units) {
    for (uint64_t remaining = units; remaining != 0; remaining--) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : "+r"(state));
    }
    return state;
}

uint64_t kb_bsp_work_ticks(uint64_t units) {
    uint64_t begin = kb_rdtsc_begin();
    uint64_t state = bsp_work(0x9E3779B97F4A7C15ull, units);
    uint64_t end = kb_rdtsc_end();
    kb_keep(state);
    return end - begin;
}

long kb_bsp_run(uint64_t *begins, uint64_t *computed, uint64_t *released, long capacity,
                uint64_t first_start, uint64_t units, kb_rank_barrier *barrier, int *error) {
    *error = 0;
    while (kb_rdtsc() < first_start) kb_pause();
    int decision = kb_rank_barrier_wait(barrier, kb_stop_requested());
    if (decision != 0) { *error = decision < 0 ? decision : 0; return 0; }
    uint64_t state = 0x9E3779B97F4A7C15ull;
    uint64_t begin = kb_rdtsc_begin();
    long index = 0;
    while (index < capacity) {
        state = bsp_work(state, units);
        uint64_t done = kb_rdtsc_end();
        decision = kb_rank_barrier_wait(barrier, kb_stop_requested());
        uint64_t out = kb_rdtsc_end();
        begins[index] = begin;
        computed[index] = done;
        released[index] = out;
        index++;
        if (decision != 0) { if (decision < 0) *error = decision; break; }
        begin = out;
    }
    kb_keep(state);
    return index;
}
