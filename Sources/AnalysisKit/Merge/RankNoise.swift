/// What merge keeps of one rank after reading it: a handful of numbers, so that the
/// memory for 10^5 ranks is 10^5 of these and not their traces.
public struct RankNoise: Sendable, Equatable {
    public var rank: Int
    public var host: String
    public var nodeID: Int?
    public var localRank: Int?
    /// Sampler threads (CPUs) of the rank.
    public var threads: Int
    /// Quanta per thread (the smallest thread's count).
    public var quanta: Int
    /// Fraction of the sampler's time lost to noise (the largest over its threads;
    /// `NoiseSummary.fractionLost`).
    public var fractionLost: Double
    /// The most time one quantum lost, ns.
    public var longestLossNs: Double
    /// Median PSD (noise floor), work²/Hz, over its threads (the largest).
    public var noiseFloor: Double
    /// Peaks found in its spectra.
    public var peaks: Int
    /// Share of the common windows (at the report's reference Q) in which this rank was
    /// the slowest: how often it held the barrier. Set when all ranks are merged.
    public var slowestShare: Double = .nan
}

/// The ranks of one host, side by side.
public struct NodeNoise: Sendable, Equatable {
    public var host: String
    public var ranks: Int
    public var meanFractionLost: Double
    public var maxFractionLost: Double
    public var longestLossNs: Double
    public var slowestShare: Double

    /// Groups `ranks` by host, in order of first appearance.
    public static func group(_ ranks: [RankNoise]) -> [NodeNoise] {
        var index: [String: Int] = [:]
        var nodes: [NodeNoise] = []
        for r in ranks {
            if let i = index[r.host] {
                let n = Double(nodes[i].ranks)
                nodes[i].meanFractionLost = (nodes[i].meanFractionLost * n + r.fractionLost) / (n + 1)
                nodes[i].ranks += 1
                nodes[i].maxFractionLost = max(nodes[i].maxFractionLost, r.fractionLost)
                nodes[i].longestLossNs = max(nodes[i].longestLossNs, r.longestLossNs)
                nodes[i].slowestShare += r.slowestShare.isNaN ? 0 : r.slowestShare
            } else {
                index[r.host] = nodes.count
                nodes.append(NodeNoise(host: r.host, ranks: 1, meanFractionLost: r.fractionLost,
                                       maxFractionLost: r.fractionLost, longestLossNs: r.longestLossNs,
                                       slowestShare: r.slowestShare.isNaN ? 0 : r.slowestShare))
            }
        }
        return nodes
    }
}
