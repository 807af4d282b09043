import Platform
import CPlatform
import Glibc

/// Whether the TSC runs at a constant rate through frequency changes and
/// idle states: without that, ticks are not time.
public struct TSCInvariance: Codable, Sendable {
    /// CPUID.80000007H:EDX[8].
    public let cpuidInvariantBit: Bool
    /// /proc/cpuinfo flags constant_tsc and nonstop_tsc (a hypervisor may hide
    /// the CPUID bit yet the kernel may still know the TSC is stable).
    public let constantTSC: Bool
    public let nonstopTSC: Bool

    public var isInvariant: Bool { cpuidInvariantBit || (constantTSC && nonstopTSC) }

    public static func detect() -> TSCInvariance {
        var regs: [UInt32] = [0, 0, 0, 0]
        kb_cpuid(0x8000_0000, 0, &regs)
        var bit = false
        if regs[0] >= 0x8000_0007 {
            kb_cpuid(0x8000_0007, 0, &regs)
            bit = regs[3] & (1 << 8) != 0
        }
        let flags = CPUInfo.flags()
        return TSCInvariance(cpuidInvariantBit: bit,
                             constantTSC: flags.contains("constant_tsc"),
                             nonstopTSC: flags.contains("nonstop_tsc"))
    }
}

/// The cost of reading the clock, as the thesis subtracts it: a fenced TSC read
/// that opens an interval immediately followed by the one that closes it.
public struct TimerOverhead: Codable, Sendable {
    public let minTicks: UInt64
    public let medianTicks: UInt64
    public let samples: Int

    /// Back-to-back `kb_rdtsc_begin`/`kb_rdtsc_end` pairs on the calling thread.
    public static func measure(samples: Int = 100_000) -> TimerOverhead {
        precondition(samples > 0)
        let buffer = SampleBuffer<UInt64>(capacity: samples)
        for index in 0..<samples {
            let before = kb_rdtsc_begin()
            let after = kb_rdtsc_end()
            buffer.base[index] = after &- before
        }
        let sorted = buffer.prefix(samples).sorted()
        return TimerOverhead(minTicks: sorted[0], medianTicks: sorted[samples / 2], samples: samples)
    }
}

/// Do the CPUs' TSCs agree? Each CPU takes a paired reading of TSC and
/// CLOCK_MONOTONIC_RAW; the TSC value minus the clock (converted to ns) is that
/// CPU's offset. The spread of offsets bounds the skew between CPUs.
public struct TSCConsistency: Codable, Sendable {
    /// Offset of each CPU relative to the first, in ns.
    public let offsetsNs: [String: Double]
    /// Largest minus smallest offset, in ns.
    public let spreadNs: Double
    /// Uncertainty of the spread from the paired readings, in ns.
    public let uncertaintyNs: Double

    public static func check(cpus: CPUSet, clock: TSCClock) throws -> TSCConsistency {
        final class Slot: @unchecked Sendable { var reading: PairedReading? }
        var offsets: [(cpu: Int, ns: Double, err: Double)] = []
        for cpu in cpus.cpus {
            let slot = Slot()
            let thread = try PinnedThread.start(cpu: cpu) { slot.reading = PairedReading.take() }
            thread.join()
            guard let reading = slot.reading else { continue }
            offsets.append((cpu, clock.nanoseconds(reading.ticks) - Double(reading.nanoseconds),
                            clock.nanoseconds(reading.halfWidthTicks)))
        }
        guard let first = offsets.first else {
            return TSCConsistency(offsetsNs: [:], spreadNs: 0, uncertaintyNs: 0)
        }
        // Offsets drift with any rate error while we hop between CPUs; the
        // hops take microseconds, so drift is far below the reading error.
        var table: [String: Double] = [:]
        for entry in offsets { table[String(entry.cpu)] = entry.ns - first.ns }
        let values = offsets.map(\.ns)
        return TSCConsistency(offsetsNs: table,
                              spreadNs: (values.max() ?? 0) - (values.min() ?? 0),
                              uncertaintyNs: 2 * (offsets.map(\.err).max() ?? 0))
    }
}
