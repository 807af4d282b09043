import RunFormat

/// This machine's physical floors, from a `ctxbench floors` run among the
/// report's inputs (median ns): what every other figure is shown as a multiple
/// of, so numbers from different machines and papers compare as shapes.
public struct ReportFloors: Sendable, Equatable {
    public var timerReadNs: Double?
    public var casNs: Double?
    public var systemCallNs: Double?
    /// The core-to-core CAS round trip (the first CPU pair measured).
    public var roundTripNs: Double?

    public init(timerReadNs: Double? = nil, casNs: Double? = nil, systemCallNs: Double? = nil, roundTripNs: Double? = nil) {
        self.timerReadNs = timerReadNs
        self.casNs = casNs
        self.systemCallNs = systemCallNs
        self.roundTripNs = roundTripNs
    }

    public init(_ measurements: [Measurement]) {
        func median(_ variant: (String) -> Bool, _ metric: String) -> Double? {
            measurements.first { $0.benchmark == "floor" && variant($0.variant) && $0.metric == metric && $0.unit == "ns" }?
                .statistics.p50
        }
        self.init(timerReadNs: median({ $0 == "rdtscp" }, "read"),
                  casNs: median({ $0 == "cas_uncontended" }, "cas"),
                  systemCallNs: median({ $0 == "syscall_getppid" }, "syscall"),
                  roundTripNs: median({ $0.hasPrefix("cas_round_trip") }, "round_trip"))
    }

    public var isEmpty: Bool { self == ReportFloors() }

    func table() -> ReportTable {
        ReportTable(
            title: "Floors of this machine",
            note: "ctxbench floors, median ns. Later tables show figures as multiples of these.",
            header: ["floor", "ns"],
            rows: [
                ["timer read (rdtscp)", ReportNumber.format(timerReadNs)],
                ["uncontended CAS", ReportNumber.format(casNs)],
                ["system call (getppid)", ReportNumber.format(systemCallNs)],
                ["core-to-core CAS round trip", ReportNumber.format(roundTripNs)],
            ])
    }
}
