// Kernel threads, errors and the monotonic clock the vcore machinery needs.

import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which one, and its errno. Prints as one line.
public struct SystemCallError: Error, CustomStringConvertible, Equatable {
    /// The call, as a reader would search for it (e.g. "sched_setaffinity").
    public let call: String
    /// The errno it failed with.
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// CLOCK_MONOTONIC in nanoseconds: for schedules and timeouts, not for
/// measurement (BenchKit owns the TSC clock).
public func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Sleeps until CLOCK_MONOTONIC reaches `deadline` nanoseconds (absolute, so
/// periodic schedules do not drift), retrying on EINTR.
public func sleep(untilNanos deadline: UInt64) {
    var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations give 0).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}

/// A joinable POSIX thread running a closure. The closure is boxed once at
/// spawn (setup); nothing is allocated afterwards.
public struct KernelThread: @unchecked Sendable {
    let handle: pthread_t

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a thread running `body`.
    public static func spawn(_ body: @escaping @Sendable () -> Void) throws -> KernelThread {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemCallError("pthread_create", errno: rc)
        }
        return KernelThread(handle: handle)
    }

    /// Waits for the thread to return.
    public func join() {
        _ = pthread_join(handle, nil)
    }
}

/// Pins the calling thread to `cpus`.
public func pinCurrentThread(to cpus: [Int32]) throws {
    let rc = cpus.withUnsafeBufferPointer { kb_set_affinity(0, $0.baseAddress, Int32($0.count)) }
    guard rc == 0 else { throw SystemCallError("sched_setaffinity(\(cpus))", errno: -rc) }
}
