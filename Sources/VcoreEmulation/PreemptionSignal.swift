// The preemption "IPI": a thread-directed signal whose handler parks the vcore.

import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The signal the emulated kernel sends a vcore's thread to preempt it.
///
/// The handler finds the vcore's slot in the signal's payload
/// (`rt_tgsigqueueinfo` with a pointer), so it touches no global or
/// thread-local state, and does only atomics and the futex system call:
/// async-signal-safe. It saves and restores errno around them.
public enum PreemptionSignal {
    /// SIGUSR1. Nothing else in kbench uses it.
    public static var number: Int32 { SIGUSR1 }

    private static let installed = Atomic<Bool>(false)

    /// Installs the handler once per process (idempotent, thread-safe).
    public static func install() {
        guard !installed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { _, info, _ in
            let savedErrno = errno
            if let slot = kb_siginfo_value(info) {
                VcoreMap.handlePreemption(slot)
            }
            errno = savedErrno
        }
        action.sa_flags = SA_SIGINFO | SA_RESTART
        sigemptyset(&action.sa_mask)
        let rc = sigaction(number, &action, nil)
        precondition(rc == 0, "sigaction(SIGUSR1) failed: errno \(errno)")
    }

    /// Unblocks the signal in the calling thread: a vcore thread inherits its
    /// creator's mask, and test runners and servers often block SIGUSR1.
    public static func unblockInCurrentThread() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        _ = pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
