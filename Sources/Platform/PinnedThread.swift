import Dispatch
import Glibc
import CPlatform

/// A kernel thread that is pinned to one CPU (and optionally raised to
/// SCHED_FIFO) before its body runs. `start` returns only once the thread has
/// landed on its CPU, so a pinning failure is the caller's error, not a silent
/// unpinned measurement.
public final class PinnedThread: @unchecked Sendable {
    private let handle: pthread_t
    /// The kernel thread id (for tgkill, sched_setattr, /proc/PID/task/TID).
    public let tid: Int32
    public let cpu: Int?

    private final class Launch: @unchecked Sendable {
        let cpu: Int?
        let body: @Sendable () -> Void
        let landed = DispatchSemaphore(value: 0)
        /// Written by the new thread before `landed` is signalled.
        var failure: (any Error)?
        var tid: Int32 = 0
        init(cpu: Int?, body: @escaping @Sendable () -> Void) {
            self.cpu = cpu
            self.body = body
        }
    }

    private init(handle: pthread_t, tid: Int32, cpu: Int?) {
        self.handle = handle
        self.tid = tid
        self.cpu = cpu
    }

    /// Starts `body` on a new thread pinned to `cpu` (nil: not pinned).
    public static func start(cpu: Int?, _ body: @escaping @Sendable () -> Void) throws -> PinnedThread {
        let launch = Launch(cpu: cpu, body: body)
        let context = Unmanaged.passRetained(launch).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let launch = Unmanaged<Launch>.fromOpaque(raw!).takeRetainedValue()
            launch.tid = Threads.currentTID()
            if let cpu = launch.cpu {
                do { try Affinity.pinCurrentThread(to: cpu) } catch {
                    launch.failure = error
                    launch.landed.signal()
                    return nil
                }
            }
            launch.landed.signal()
            launch.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Launch>.fromOpaque(context).release()
            throw SystemCallError("pthread_create", errno: .init(rawValue: rc))
        }
        launch.landed.wait()
        if let failure = launch.failure {
            pthread_join(handle, nil)
            throw failure
        }
        return PinnedThread(handle: handle, tid: launch.tid, cpu: cpu)
    }

    /// Waits for the thread's body to return.
    public func join() {
        pthread_join(handle, nil)
    }
}

/// Identity of the calling kernel thread.
public enum Threads {
    public static func currentTID() -> Int32 { kb_gettid() }
}
