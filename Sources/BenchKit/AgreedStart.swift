/// The instant every rank starts measuring (CLOCK_REALTIME ns), agreed
/// through the barrier: --start-at as given (once every rank is ready), or
/// --start-in resolved by rank 0 and passed on, so ranks launched seconds
/// apart still start together.
public enum AgreedStart {
    /// The --start-in a launched run with a barrier gets when it gives neither.
    public static let defaultLaunchedDelaySeconds = 1.0

    /// The agreed instant, or nil to start at once. `warn` receives what
    /// meta.json should say (a --start-in each rank resolved alone).
    public static func resolve(startAtNs: Int64?, startInSeconds: Double?, barrier: RankBarrier,
                               identity: RankIdentity?, warn: (String) -> Void) throws(BarrierError) -> Int64? {
        let launched = (identity?.size ?? 1) > 1
        if let startAtNs {
            if barrier.kind != .none { _ = try barrier.wait() }
            return startAtNs
        }
        let delay = startInSeconds ?? (launched && barrier.kind != .none ? defaultLaunchedDelaySeconds : nil)
        guard let delay else {
            if launched {
                warn("ranks started each on its own (\(barrier.note)): give --start-at for a common start; the time base is still shared through launch.time_zero_realtime_ns")
            }
            return nil
        }
        if launched && barrier.kind == .none {
            warn("--start-in resolved by each rank alone (\(barrier.note)): ranks start apart by their launch skew; give --start-at for a common start")
        }
        return try barrier.broadcastFromRankZero { RealtimeAnchor.nowNs() + Int64(delay * 1e9) }
    }
}
