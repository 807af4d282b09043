import Foundation
import Glibc
import Platform

/// `preflight --apply`: applies a shield, holds it while a command runs (or
/// until Ctrl-C/SIGTERM when there is none), and restores it, whatever ends
/// the hold. SIGINT and SIGTERM are blocked from the start and taken with
/// sigtimedwait, so a signal during the apply is not lost and never kills the
/// process between a change and its restore: it ends the apply early instead.
public enum ShieldSession {
    /// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts.
    /// Call first, before anything is changed.
    public static func blockTerminationSignals() {
        var set = terminationSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// A pending SIGINT or SIGTERM, waiting up to `milliseconds` for one.
    public static func takeSignal(waitingMilliseconds milliseconds: Int) -> Int32? {
        var set = terminationSet()
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        let signal = sigtimedwait(&set, nil, &timeout)
        return signal > 0 ? signal : nil
    }

    /// The exit status for ending on `signal`: 128 + its number (130, 143).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// How the hold ended.
    public enum End: Sendable, Equatable {
        case signal(Int32)
        case commandExited(Int32)
        case commandFailedToStart(String)
    }

    /// Waits for SIGINT/SIGTERM (no command) and returns it.
    public static func hold() -> End {
        while true {
            if let signal = takeSignal(waitingMilliseconds: 1000) { return .signal(signal) }
        }
    }

    /// Runs `command` with the signals unblocked and default in the child, and
    /// waits for it. SIGTERM is passed on to it; SIGINT (which a terminal sends to
    /// the child too) is passed on only if the child has not ended 2 s later.
    public static func run(_ command: [String]) -> End {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = terminationSet()
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawnp(&pid, command[0], nil, &attributes, argv, environ)
        guard rc == 0 else {
            return .commandFailedToStart("\(command[0]): \(String(cString: strerror(rc)))")
        }
        var received: Int32?
        var forwardAt: ContinuousClock.Instant?
        while true {
            var status: Int32 = 0
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid {
                if let received { return .signal(received) }
                let exited = status & 0x7F == 0
                return .commandExited(exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
            if let signal = takeSignal(waitingMilliseconds: 100) {
                received = received ?? signal
                if signal == SIGTERM { kill(pid, SIGTERM) } else { forwardAt = forwardAt ?? .now + .seconds(2) }
            }
            if let at = forwardAt, ContinuousClock.now >= at {
                kill(pid, SIGINT)
                forwardAt = .now + .seconds(10)
            }
        }
    }

    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
