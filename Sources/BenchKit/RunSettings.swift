import RunFormat

/// How a run is isolated and where it is written: what `BenchRun` needs from
/// the command line, as a plain value so the harness (and its tests) do not
/// depend on an argument parser. The tools get one from `RunOptions`.
public struct RunSettings: Sendable, Equatable {
    /// The run directory to write (created if missing).
    public var outputDirectory: String
    /// Ask for SCHED_FIFO on the measurement threads.
    public var fifo: Bool
    /// The SCHED_FIFO priority with `fifo` (1-99).
    public var priority: Int
    /// Lock the process's memory (mlockall) so page faults do not show up as noise.
    public var lockMemory: Bool
    /// What `--isolate` applied before the run (recorded in meta.json), or nil.
    public var isolation: RunMetadata.Isolation?
    /// The rank this process is when a launcher started it (meta.json's
    /// `launch`), or a rank of one with launcher `none` for a run with an
    /// agreed start; nil for an ordinary run.
    public var launch: RankIdentity?

    public init(outputDirectory: String, fifo: Bool = false, priority: Int = RealtimeScheduling.defaultPriority,
                lockMemory: Bool = true, isolation: RunMetadata.Isolation? = nil) {
        self.outputDirectory = outputDirectory
        self.fifo = fifo
        self.priority = priority
        self.lockMemory = lockMemory
        self.isolation = isolation
    }
}
