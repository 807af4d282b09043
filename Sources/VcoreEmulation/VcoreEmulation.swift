// VcoreEmulation: the emulated vcore kernel of Akaros, on Linux, that the
// PDR locks (KernelCore) run on in lockbench and the tests.
//
// Emulated vcores (Akaros on Linux):
//   VcoreMap              per-vcore run state, preemption sequence counter,
//                         preemption message counter, per-vcore event
//                         mailboxes; a `VcoreRuntime` for the PDR locks.
//                         One file per job:
//     VcoreMapLayout        the shared memory: slots, kernel state, states
//     VcoreMailboxes        the per-vcore preemption-event bitmaps
//     VcoreMap              the handle, and what userspace reads
//     VcoreMap+Change       ensureVcoreRuns (parlib's ensure_vcore_runs),
//                           changeToVcore (sys_change_vcore)
//     VcoreMap+Events       checkEvents/handleEvents (uth_enable_notifs,
//                           handle_vc_preempt), posting events
//     VcoreMap+Kernel       preempt/restore (the kernel), thread life cycle
//     VcoreMap+Parking      how a preempted vcore's thread sleeps and wakes
//     VcoreMap+Cores        the core scheduler: pcores handed to one vcore
//                           each, rotated among more vcores than CPUs
//   PreemptionSignal      the thread-directed signal that parks a preempted vcore
//   VcoreGroup            the vcore threads: a BenchKit ThreadTeam whose members
//                         register in the map before the start and leave it after
//   PreemptionController  the kernel preempting vcores on a schedule, and
//                         (scheduled maps) rotating the cores among them
//
// FIFOHog, native mode's real SCHED_FIFO preemption, is a noise injector in
// BenchKit: it emulates nothing.
//
// How faithful the emulation is, and where it is not:
// - A preemption is a signal whose handler parks the vcore's thread on a futex
//   in the vcore map; the VC_PREEMPTED flag is set (under the kernel lock, with
//   the sequence counter odd) before the signal lands, so observers may see a
//   vcore preempted a moment before it stops, which the thesis' protocol
//   tolerates (spurious changes are safe).
// - A change of vcore moves the target onto the caller's CPU, as Akaros starts
//   the target on the caller's pcore; `restoreAll` moves every vcore home.
// - Preemption events (EV_VCORE_PREEMPT): every kernel preemption posts one
//   to the lowest running vcore's mailbox, every change posts one (about the
//   caller) to the target's. A PDR unlock ends with `checkEvents`, the
//   emulated `uth_enable_notifs`: pending events are handled as parlib's
//   `handle_vc_preempt` does, by a one-way change (EV_CHECK_MSGS, no
//   preemption message) to a vcore still preempted. This recovery from
//   outside the lock queue is what lets MCS-PDRN break the storm (§6.2);
//   without it every change is made by a waiter inside the queue and the
//   preempted vcores never leave it. Nested PDR locks are not tracked: an
//   inner unlock may change vcores while an outer lock is held (safe, as
//   its waiters then change to the holder, but Akaros would wait for the
//   outermost unlock).
// - SCHED_FIFO vcores (lockbench's default for emulated runs when permitted)
//   make emulated system calls one priority above the vcores, and the
//   controller runs there too: a vcore that sleeps inside a call, holding
//   the kernel lock (sched_setaffinity waits for the migration it asked
//   for), gets its CPU back from a spinning vcore at once, as Akaros' kernel
//   code is not preempted by user spinners.
// - The kernel's preempt and restoreAll allocate nothing, and a preemption
//   signal is sent under the kernel lock after the mark: the map shows the
//   preemption before the vcore stops, and no vcore parked in a signal
//   handler can hold a lock the controller needs (malloc's, the kernel's:
//   `exit` is an emulated system call like the others).
// - More vcores than CPUs: a `.pinned` group lets Linux time-slice vcores
//   that share a CPU, which the vcore map cannot see (a vcore descheduled
//   that way looks "running"). A `.scheduled` group has the emulated kernel
//   share the CPUs instead (VcoreMap+Cores): each CPU is a pcore held by one
//   vcore at a time, the others are preempted in the map (marked, with a
//   message and an event, before their thread stops, exactly as an injected
//   preemption), and the controller rotates the pcores among them every
//   rotation period, longest holder first, round robin; the thesis' rounds
//   take pcores away on top. A change passes the caller's pcore to the
//   target; an exit passes it to a waiting vcore. The rotation's preemptions
//   post events like any other, so a vcore rotated out inside a lock path is
//   often changed back to by the next unlock's event handler, which then
//   waits outside the lock: what Akaros' handle_vc_preempt does for a vcore
//   preempted in vcore context.
// - Running the vcores SCHED_FIFO (VcoreGroup's `fifoPriority`) makes the
//   emulated kernel the only one that stops a running vcore, except for
//   Linux' deadline fair server (6.12+), which may run starved SCHED_OTHER
//   tasks for up to 50 ms a second.
