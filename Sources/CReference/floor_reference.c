// The C twin of ctxbench's system-call floor: the same getppid loop as
// CtxBenchKit's SyscallFloor, compiled at -O2 and timed the same way, so that
// the Swift call site's share of the floor is a measurement (and a same-run
// ratio that a shared VM's between-run drift cancels out of).
#include "CReference.h"
#include "CPlatform.h"
#include <unistd.h>

uint64_t kb_reference_getppid_batch(long iterations) {
    uint64_t start = kb_rdtsc_begin();
    for (long i = 0; i < iterations; i++) kb_keep((uint64_t)(uint32_t)getppid());
    return kb_rdtsc_end() - start;
}
