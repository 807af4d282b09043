import Foundation
import RunFormat

extension RunMetadata.Launch {
    /// The worst disagreement of this host's clock with true time that its
    /// synchronisation daemon admits, ns: |offset| + max error; nil when unknown.
    /// Merge warns when it exceeds a quantum: the windows are then misaligned.
    public var clockErrorBoundNs: Double? {
        guard clock.offsetNs != nil || clock.maxErrorNs != nil else { return nil }
        return abs(clock.offsetNs ?? 0) + abs(clock.maxErrorNs ?? 0)
    }
}

/// The part of a rank's meta.json that merge reads: host, parameters and `launch`.
/// Unknown keys are ignored, so any kbench meta.json decodes.
///
/// Why not `RunMetadata` itself: merge must read 10^5 meta.json files and needs only
/// these; decoding each whole environment stamp would cost time and tie merge to every
/// other field. The `launch` object is the run side's own type (`RunMetadata.Launch`),
/// so the two sides cannot drift apart.
public struct RankMetadata: Decodable, Sendable {
    public var host: String?
    public var parameters: [String: JSONValue]?
    public var launch: RunMetadata.Launch?

    /// The sampler's quantum, ns, from `parameters.quantum_ns`.
    public var quantumNs: Double? { parameters?["quantum_ns"]?.doubleValue }

    public static func read(path: String) throws -> RankMetadata {
        try JSONCoding.read(RankMetadata.self, path: path)
    }
}
