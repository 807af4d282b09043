/// What one FTQ or FWQ run measures.
public struct FTQConfiguration: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Fixed time quantum: work done per quantum (ftq.csv).
        case ftq
        /// Fixed work quantum: time taken per fixed amount of work (fwq.csv).
        case fwq
    }

    /// Which implementation of the loop runs.
    public enum Engine: String, Sendable, CaseIterable {
        /// FTQKit's Swift loop (the default).
        case swift
        /// The same algorithm in C at -O2 (CReference), to compare against.
        case c
    }

    public var mode: Mode
    public var engine: Engine = .swift
    /// The CPUs to sample, one sampler thread each.
    public var cpus: [Int]
    /// Quantum length (FTQ) or, for FWQ, the nominal duration the work is sized to.
    public var quantumNs: Double
    /// Samples per CPU.
    public var samples: Int

    public init(mode: Mode, cpus: [Int], quantumNs: Double, samples: Int) {
        self.mode = mode
        self.cpus = cpus
        self.quantumNs = quantumNs
        self.samples = samples
    }

    /// What one work unit is, for meta.json.
    public var workUnitDescription: String {
        switch mode {
        case .ftq: "one iteration of the counting loop: unfenced rdtsc, compare with the quantum's deadline, increment"
        case .fwq: "one 64-bit LCG step (dependent multiply and add, no memory access)"
        }
    }
}
