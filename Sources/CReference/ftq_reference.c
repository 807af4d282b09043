#include "CReference.h"
#include "CPlatform.h"

long kb_reference_ftq(uint64_t *starts, uint64_t *work, long capacity,
                      uint64_t first_start, uint64_t quantum_ticks) {
    uint64_t now = kb_rdtsc();
    while (now < first_start) { kb_pause(); now = kb_rdtsc(); }
    uint64_t deadline = first_start + quantum_ticks;
    long index = 0;
    while (index < capacity) {
        uint64_t units = 0;
        while (now < deadline) {
            units++;
            now = kb_rdtsc();
        }
        starts[index] = deadline - quantum_ticks;
        work[index] = units;
        index++;
        deadline += quantum_ticks;
        while (now >= deadline && index < capacity) {
            starts[index] = deadline - quantum_ticks;
            work[index] = 0;
            index++;
            deadline += quantum_ticks;
        }
        if (kb_stop_requested()) break;
    }
    return index;
}
