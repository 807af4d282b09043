import CReference
import Glibc

/// Why a conversation failed, as one line. A corruption (a byte, size or
/// sequence number the receiver did not expect) means the mechanism or its
/// use is broken: the run fails loudly (exit 1), as lockbench does when
/// mutual exclusion breaks.
public struct IPCFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public var mechanism: IPCMechanism
    /// KB_IPC_CORRUPT, KB_IPC_CLOSED, KB_IPC_SYSTEM (or KB_IPC_ABORTED).
    public var status: Int32
    /// 0: a request (initiator -> responder); 1: a reply.
    public var direction: Int
    public var sequence: UInt32
    public var size: UInt32
    /// The first wrong payload byte; -1 when the sequence number or size was wrong.
    public var offset: Int
    public var expected: UInt32
    public var got: UInt32
    public var errorNumber: Int32

    public var isCorruption: Bool { status == Int32(KB_IPC_CORRUPT) }

    public var description: String {
        let message = direction == 0 ? "request" : "reply"
        let receiver = direction == 0 ? "responder" : "initiator"
        switch status {
        case Int32(KB_IPC_CORRUPT) where offset >= 0:
            return "ipc \(mechanism.rawValue): \(message) \(sequence) of \(size) bytes arrived corrupted at the \(receiver): byte \(offset) is \(got), expected \(expected)"
        case Int32(KB_IPC_CORRUPT):
            return "ipc \(mechanism.rawValue): \(message) \(sequence) arrived corrupted at the \(receiver): header \(got), expected \(expected) (sequence number or size)"
        case Int32(KB_IPC_CLOSED):
            return "ipc \(mechanism.rawValue): the peer closed the channel while the \(receiver == "responder" ? "initiator" : "responder") waited for \(message) \(sequence)"
        default:
            return "ipc \(mechanism.rawValue): a system call failed on \(message) \(sequence): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
        }
    }
}
