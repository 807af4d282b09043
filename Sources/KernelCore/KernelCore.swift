// KernelCore: the kernel primitives of kbench as a library, with no
// emulation in it (the emulated vcore kernel is the VcoreEmulation target).
//
// Locks (one type per file, one protocol, the same verbs: lock, unlock, tryLock):
//   SpinLock          CAS test-and-set (Akaros' spinlock)
//   TTASLock          test-and-test-and-set with pause
//   TicketLock        FIFO, fetch-and-add ticket
//   MCSLock           Mellor-Crummey-Scott queue lock, caller-supplied QueueNode
//   SpinPDRLock       Spin-PDR (thesis §6.2): the lock word is the holder's vcore id
//   MCSPDROLock       MCS-PDRO: vcore id in the caller's QueueNode
//   MCSPDRNLock       MCS-PDRN: qnodes in the lock, advertised lock holder,
//                     preemption sequence counter
//   PthreadMutexLock  glibc pthread_mutex_t, the baseline
// Every lock is a trivial struct over cache-line memory (CacheLineBox,
// CacheLineArray); `KernelLock` is what a generic benchmark loop is written
// against. The PDR locks are generic over a `VcoreRuntime` (which vcores are
// preempted, the preemption sequence counter, ensure_vcore_runs, the events
// check at unlock), specialized per runtime so their paths keep no dispatch.
//
// Other primitives:
//   FutexMutex        a sleeping mutex on one futex word (kernel-side sections)
//   SequenceCounter   a seqlock counter: one writer, readers retry
//   VcoreRuntime      what a PDR lock asks of the vcores it runs on
//
// Uthreads (thesis §4, Tables 4.1/4.2; the switch is CUthread's assembly):
//   Uthread            a saved context on a guarded stack: yield, switchTo, park
//   VcoreContext       a vcore's own context and loop: events (notif_pending), pop
//   TwoLevelScheduler  the 2LS: global run queue, active list; locked / no sched
//                      locking / no locking no asserts
//   UthreadMutex, UthreadCondition   blocking in the 2LS
//   UthreadConfiguration, FSBaseMechanism   what a uthread world is built with
