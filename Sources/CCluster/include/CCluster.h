// What a rank of a multi-node job needs from the machine: the kernel's clock
// discipline state, an MPI library loaded at run time (no build dependency on
// MPI), a barrier across the processes of one node in shared memory, and the
// bulk-synchronous step loop that uses one of the two.
#ifndef KB_CCLUSTER_H
#define KB_CCLUSTER_H

#include <stdint.h>
#include <stddef.h>

// The kernel's NTP state (adjtimex(2), read only). Returns the clock state
// (TIME_OK = 0 ... TIME_ERROR = 5) or -errno. maxerror and esterror are in
// microseconds; *unsynchronized is 1 when STA_UNSYNC is set.
int kb_clock_kernel_state(int64_t *maxerror_us, int64_t *esterror_us, int *unsynchronized);

// Loads the MPI library at `path` (dlopen, global symbols: Open MPI's plugins
// need them) and resolves what kbench calls. Only Open MPI's ABI is supported
// (its handles are addresses of exported objects). Returns 0, or -1 with a
// one-line reason in `reason`.
int kb_mpi_load(const char *path, char *reason, size_t reason_size);
// MPI_Init_thread, serialized (unless already initialized), then this process's rank and the size.
int kb_mpi_init(int *rank, int *size);
// MPI_Bcast of one 64-bit integer from rank 0.
int kb_mpi_broadcast_i64(int64_t *value);
// MPI_Finalize (once; no effect unless kb_mpi_init succeeded).
int kb_mpi_finalize(void);

// A barrier among `size` processes of one node: a page of shared memory
// (/dev/shm/<name>) with an arrival counter. Every process opens the same name;
// the last to close it removes it. Returns NULL with *error = errno on failure.
void *kb_shm_barrier_open(const char *name, int *error);
// Removes the name when every process has closed it (or at once with force).
void kb_shm_barrier_close(void *segment, const char *name, uint64_t size, int force);
// Rank 0's 64-bit value, published through the segment (set before arriving).
void kb_shm_barrier_publish(void *segment, int64_t value);
int64_t kb_shm_barrier_published(void *segment);

// One barrier of either kind, for the step loop.
enum { KB_BARRIER_NONE = 0, KB_BARRIER_MPI = 1, KB_BARRIER_SHM = 2 };
typedef struct kb_rank_barrier {
    int kind;
    void *segment;        // KB_BARRIER_SHM
    uint64_t size;        // processes taking part
    uint64_t episode;     // barriers passed so far (this process)
    uint64_t timeout_ns;  // KB_BARRIER_SHM: the longest wait before giving up
} kb_rank_barrier;

// Waits until every process has arrived. `stop` is this process's wish to stop;
// the result is the same on every process: 1 if any asked to stop, 0 to go on,
// or a negative errno (-ETIMEDOUT: a process never arrived).
int kb_rank_barrier_wait(kb_rank_barrier *barrier, int stop);

// TSC ticks that `units` of the step loop's fixed work take (to size a step).
uint64_t kb_bsp_work_ticks(uint64_t units);

// The bulk-synchronous loop: from `first_start` (TSC), a barrier, then per step
// `units` of fixed work (the FWQ unit, an LCG step), a barrier; records the
// step's begin, the end of its work and the barrier's exit (TSC ticks).
// Stops after `capacity` steps or when any process asked to stop (all stop at
// the same step). Returns the steps recorded; *error is 0 or the barrier's
// negative errno.
long kb_bsp_run(uint64_t *begins, uint64_t *computed, uint64_t *released, long capacity,
                uint64_t first_start, uint64_t units, kb_rank_barrier *barrier, int *error);

#endif
