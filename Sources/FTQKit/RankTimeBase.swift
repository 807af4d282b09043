import BenchKit
import RunFormat

/// Puts a run on the time base ranks share: meta.json's
/// `launch.time_zero_realtime_ns` is the wall-clock instant of the first
/// quantum's start (the `start_ns` = 0 of ftq.csv and bsp.csv), and
/// `launch.start_at_utc` the instant agreed on, if any.
public enum RankTimeBase {
    /// How late past the agreed instant a start may be before it is a warning.
    public static let lateToleranceNs: Int64 = 1_000_000

    public static func record(in benchRun: BenchRun, firstStart: UInt64, anchor: RealtimeAnchor,
                              agreedStartNs: Int64?) {
        let zero = anchor.realtimeNs(atTick: firstStart)
        benchRun.updateLaunch { launch in
            launch.timeZeroRealtimeNs = Int(zero)
            launch.startAtUTC = agreedStartNs.map(RealtimeAnchor.iso8601(realtimeNs:))
        }
        if let agreedStartNs, zero - agreedStartNs > lateToleranceNs {
            benchRun.warn("started \(Double(zero - agreedStartNs) / 1e6) ms after the agreed instant \(RealtimeAnchor.iso8601(realtimeNs: agreedStartNs)) (it had passed when this rank was ready)")
        }
    }
}
