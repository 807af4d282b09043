/// What a benchmark measured: one metric of one variant, with the raw samples
/// kept so the gate can test significance rather than compare two numbers.
///
/// This is the row of `summary.csv`, the long format every kbench tool writes:
/// `benchmark,variant,threads,param,metric,unit,lower_is_better,n,mean,std,min,
/// p50,p75,p90,p99,p999,max`.
public struct Measurement: Sendable, Equatable {
    public var benchmark: String
    public var variant: String
    public var threads: Int
    /// Free-form parameter of the variant ("quantum_us=100", "bytes=64").
    public var param: String
    public var metric: String
    public var unit: String
    public var lowerIsBetter: Bool
    public var statistics: SampleStatistics
    /// Per-trial values (one number per trial) for trials.csv; may be empty.
    public var trials: [Double]

    public init(benchmark: String, variant: String = "", threads: Int = 1, param: String = "",
                metric: String, unit: String, lowerIsBetter: Bool,
                statistics: SampleStatistics, trials: [Double] = []) {
        self.benchmark = benchmark
        self.variant = variant
        self.threads = threads
        self.param = param
        self.metric = metric
        self.unit = unit
        self.lowerIsBetter = lowerIsBetter
        self.statistics = statistics
        self.trials = trials
    }

    /// summary.csv's columns (`SummaryFile.header`).
    public static var summaryHeader: [String] { SummaryFile.header }

    /// trials.csv's columns (`TrialsFile.header`).
    public static var trialsHeader: [String] { TrialsFile.header }

    /// summary.csv for `measurements`.
    public static func summaryTable(_ measurements: [Measurement]) -> CSVTable {
        SummaryFile.table(measurements)
    }

    /// trials.csv for `measurements`.
    public static func trialsTable(_ measurements: [Measurement]) -> CSVTable {
        TrialsFile.table(measurements)
    }
}
