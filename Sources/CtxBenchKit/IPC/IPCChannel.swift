// The Swift handle on a C ipc channel (Sources/CReference/ipc_channel.c).

import CReference
import Platform
import Glibc

/// A channel between an initiator and a responder: its mailboxes, descriptors,
/// abort flag and error record, in one MAP_SHARED mapping that a forked
/// responder shares. Trivial to copy; `close()` once nobody uses it.
public struct IPCChannel: @unchecked Sendable {
    /// The C channel (its memory: the shared mapping).
    public let pointer: UnsafeMutablePointer<kb_ipc_channel>
    public let mechanism: IPCMechanism

    /// Opens a channel of `mechanism`: shared futexes `betweenProcesses`,
    /// a yielding spin mailbox when both sides share one CPU.
    public init(_ mechanism: IPCMechanism, betweenProcesses: Bool, sameCPU: Bool) throws {
        var error: Int32 = 0
        guard let channel = kb_ipc_open(mechanism.code, betweenProcesses ? 1 : 0, sameCPU ? 1 : 0, &error) else {
            throw SystemCallError("opening an ipc channel (\(mechanism.rawValue): mmap, pipe2, socketpair or eventfd)", errno: error)
        }
        pointer = channel
        self.mechanism = mechanism
    }

    /// Closes the descriptors and unmaps the memory.
    public func close() { kb_ipc_close(pointer) }

    /// Wakes both sides with "aborted" (Ctrl-C, a stall, a dead peer).
    public func abort() { kb_ipc_abort(pointer) }

    /// Replies the responder sent so far (the watchdog's progress).
    public var replies: UInt64 {
        kb_ipc_replies(pointer)
    }

    /// True once the responder is pinned and serving.
    var responderReady: Bool { kb_ipc_responder_ready(pointer) != 0 }

    /// The first failure either side recorded, or nil.
    public var failure: IPCFailure? {
        let status = kb_ipc_error_status(pointer)
        guard status != 0, status != UInt32.max else { return nil }
        let e = pointer.pointee.error
        return IPCFailure(mechanism: mechanism, status: Int32(status), direction: Int(e.direction), sequence: e.seq,
                          size: e.size, offset: Int(e.offset), expected: e.expected, got: e.got, errorNumber: e.error_number)
    }

    /// The responder's message loop on the calling thread (the thread responder).
    func serve() -> Int32 { kb_ipc_serve(pointer) }

    /// Sends the stop message after the initiator's last request `sequence`.
    func sendStop(after sequence: UInt32) -> Int32 {
        kb_ipc_send(pointer, 0, sequence &+ 1, UInt32(KB_IPC_SIZE_STOP))
    }
}
