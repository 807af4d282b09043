// QueueError: why a queue could not be made.

import Glibc

/// A queue configuration that cannot work, or memory that cannot be had.
/// Printed as one line naming the parameter and the bound it broke.
public enum QueueError: Error, Equatable, CustomStringConvertible {
    /// A parameter outside its range: its name, its value, what is allowed.
    case badParameter(name: String, value: Int, allowed: String)
    /// A message does not fit in one slot of the queue.
    case messageTooLarge(bytes: Int, slotBytes: Int)
    /// mmap refused the queue its memory (errno).
    case noMemory(bytes: Int, errno: Int32)

    public var description: String {
        switch self {
        case let .badParameter(name, value, allowed):
            return "\(name) must be \(allowed), got \(value)"
        case let .messageTooLarge(bytes, slotBytes):
            return "a message of \(bytes) bytes does not fit in a slot of \(slotBytes) bytes"
        case let .noMemory(bytes, errno):
            return "mmap of \(bytes) bytes failed: \(String(cString: strerror(errno)))"
        }
    }
}
