// What ctxbench ipc varies: the mechanism, the address spaces and the sizes.

import CReference

/// How a message and its wake-up travel between the two sides.
public enum IPCMechanism: String, CaseIterable, Sendable {
    /// Two pipes, one per direction: the message is the bytes written.
    case pipe
    /// One Unix stream socketpair: both directions on one pair of descriptors.
    case socketpair
    /// The payload in a shared mailbox, the wake-up an eventfd count.
    case eventfd
    /// The payload in a shared mailbox, the wake-up a futex on its sequence word.
    case futex
    /// The payload in a shared mailbox, polled; on one CPU the poller yields,
    /// since the sender needs that CPU to write.
    case spin

    /// The C channel's constant.
    var code: Int32 {
        switch self {
        case .pipe: Int32(KB_IPC_PIPE)
        case .socketpair: Int32(KB_IPC_SOCKETPAIR)
        case .eventfd: Int32(KB_IPC_EVENTFD)
        case .futex: Int32(KB_IPC_FUTEX)
        case .spin: Int32(KB_IPC_SPIN)
        }
    }
}

/// One address space (two threads of this process) or two (a forked child,
/// the channel in memory mapped MAP_SHARED before the fork).
public enum IPCSpaces: String, CaseIterable, Sendable {
    case threads, processes
}

/// The message sizes ctxbench ipc measures: payload bytes from 0 to 252 in
/// steps of 4, as Uhlig measured L4's IPC (each message also carries a 4-byte
/// tag, so a 0-byte message is 4 bytes on the wire, like perf's).
public enum MessageSizes {
    public static let maximum = 252
    /// 0, 4, ..., 252.
    public static let all = Array(stride(from: 0, through: maximum, by: 4))

    /// Parses `--sizes`: comma-separated sizes or ranges `A-B` (every
    /// multiple of 4 from A to B), each a multiple of 4 from 0 to 252; the
    /// result is sorted without repeats. Throws one line naming the bad item.
    public static func parse(_ text: String) throws(MessageSizeError) -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters() }
        guard !text.isEmpty, !items.contains(where: \.isEmpty) else {
            throw MessageSizeError("'\(text)' is not a list of sizes: want multiples of 4 from 0 to \(maximum) or ranges, e.g. 0,64,128-252")
        }
        var sizes = Set<Int>()
        for item in items {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard bounds.count <= 2, let low = size(bounds[0], item), let high = bounds.count == 2 ? size(bounds[1], item) : low else {
                throw MessageSizeError("'\(item)' is not a size: want a multiple of 4 from 0 to \(maximum), or a range A-B of them")
            }
            guard low <= high else { throw MessageSizeError("'\(item)': the range runs backwards") }
            sizes.formUnion(stride(from: low, through: high, by: 4))
        }
        return sizes.sorted()
    }

    private static func size(_ text: String, _ item: String) -> Int? {
        guard let value = Int(text), (0...maximum).contains(value), value % 4 == 0 else { return nil }
        return value
    }
}

/// A bad `--sizes` value, as one line.
public struct MessageSizeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
