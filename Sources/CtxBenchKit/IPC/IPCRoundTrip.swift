import BenchKit
import CPlatform
import CReference

/// One IPC round trip from the initiator's side: a request of `size` payload
/// bytes to the responder and its reply of the same size, every byte of both
/// checked by its receiver. The responder is another thread or process,
/// served by the C responder loop; the channel's code is shared by both sides.
///
/// A failure (corruption, a closed peer, an abort) ends the batch at once and
/// is kept in `status`; later batches then return at once, and the caller
/// discards the measurement and reports the channel's failure record.
public struct IPCRoundTrip: TrialBenchmark {
    public let benchmark = "ipc", variant = "kbench", metric = "round_trip"
    let channel: UnsafeMutablePointer<kb_ipc_channel>
    /// Payload bytes of each message.
    public let size: UInt32
    /// The last sequence number sent (the responder expects 1, 2, ...).
    public private(set) var sequence: UInt32
    /// KB_IPC_OK, or what ended the conversation.
    public private(set) var status: Int32 = 0

    init(channel: IPCChannel, size: Int, after sequence: UInt32) {
        self.channel = channel.pointer
        self.size = UInt32(size)
        self.sequence = sequence
    }

    public mutating func runBatch(iterations: Int) -> UInt64 {
        guard status == 0 else { return 0 }
        let channel = self.channel, size = self.size
        var sequence = self.sequence, status: Int32 = 0
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations {
            sequence &+= 1
            status = kb_ipc_round_trip(channel, sequence, size)
            if status != 0 { break }
        }
        let elapsed = kb_rdtsc_end() &- start
        self.sequence = sequence
        self.status = status
        return elapsed
    }
}
