// The suite every KernelCore test nests in. The fixtures (locks by name, the
// critical section, bounded waits) are KernelTestSupport's, shared with
// VcoreEmulationTests.

import Testing

/// Every KernelCore suite nests in this one: its tests pin threads, run
/// SCHED_FIFO threads and time preemption windows on the machine's two
/// CPUs, so no two may run at once (`.serialized` applies to nested suites;
/// sibling top-level suites would run in parallel).
/// The time limit applies to every test (case) in it: a lock that deadlocks
/// fails the test instead of hanging CI.
@Suite(.serialized, .timeLimit(.minutes(2)))
enum KernelCoreSuite {}
