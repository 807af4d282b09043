import Foundation
import Glibc

/// The TSC tied to CLOCK_REALTIME at one instant, so TSC ticks near it can be
/// named as wall-clock time and back. Ranks on different nodes share no TSC;
/// they share (as well as NTP or PTP keeps them) the wall clock, which is
/// what `launch.time_zero_realtime_ns` is written in.
///
/// Take it close to the ticks it converts: the TSC rate is calibrated to about
/// 1e-5, so a tick a minute away is off by several hundred microseconds.
public struct RealtimeAnchor: Sendable {
    public let reading: PairedReading
    public let clock: TSCClock

    public init(clock: TSCClock) {
        self.clock = clock
        reading = PairedReading.take(clock: CLOCK_REALTIME)
    }

    /// CLOCK_REALTIME nanoseconds at `tick`.
    public func realtimeNs(atTick tick: UInt64) -> Int64 {
        reading.nanoseconds + Int64(((Double(tick) - reading.ticks) / clock.ticksPerNs).rounded())
    }

    /// The TSC tick at CLOCK_REALTIME `ns` (the anchor's tick if `ns` is before it).
    public func tick(atRealtimeNs ns: Int64) -> UInt64 {
        let ticks = reading.ticks + Double(ns - reading.nanoseconds) * clock.ticksPerNs
        return UInt64(max(reading.ticks, ticks).rounded())
    }

    /// CLOCK_REALTIME now, in nanoseconds.
    public static func nowNs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// `ns` as ISO 8601 UTC with nanoseconds ("2026-12-02T04:10:00.000000000Z").
    public static func iso8601(realtimeNs ns: Int64) -> String {
        var seconds = time_t(ns / 1_000_000_000)
        let fraction = ns % 1_000_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let date = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return date + "." + String(format: "%09lld", fraction) + "Z"
    }

    /// Parses an ISO 8601 UTC instant ("2026-12-02T04:10:00Z", fractional
    /// seconds and a numeric offset allowed) into CLOCK_REALTIME nanoseconds;
    /// nil for anything else (a date without a zone is refused: ranks in
    /// different time zones would read it differently).
    public static func parseISO8601(_ text: String) -> Int64? {
        guard text.count <= 64 else { return nil }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let date = withFraction.date(from: text) ?? plain.date(from: text) else { return nil }
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, seconds > 0, seconds < 4e9 else { return nil }
        // Whole seconds exactly, the fraction from the text (a Double keeps only microseconds here).
        var fractionNs: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            fractionNs = Int64(String((digits + "000000000").prefix(9))) ?? 0
        }
        return Int64(seconds.rounded(.down)) * 1_000_000_000 + fractionNs
    }
}
