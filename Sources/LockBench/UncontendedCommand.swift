import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import LockBenchKit

/// `lockbench uncontended`: acquire+release floors, Swift beside C.
struct UncontendedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uncontended",
        abstract: "Uncontended acquire+release of every lock on one pinned thread, beside the same algorithms in C (-O2) and one CAS.",
        discussion: "summary.csv rows: benchmark lock_uncontended, variant swift or c, param lock=NAME (or floor=cas), in ns and ticks.")

    @Option(help: ArgumentHelp("CPU to run on (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(help: ArgumentHelp("Locks, comma separated (default: all).", valueName: "list"))
    var locks: String?

    @OptionGroup var trialOptions: TrialOptions

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if let cpu { try Validate.cpus([cpu], option: "--cpu") }
        _ = try lockList()
    }

    func lockList() throws -> [LockName] {
        guard let locks else { return LockName.allCases }
        // Empty items kept, so `--locks ''` or `a,,b` is an unknown lock, not "no locks".
        return try locks.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let lock = LockName(parsing: String(name)) else {
                throw ValidationError("unknown lock '\(name)': valid locks are \(LockName.validNames)")
            }
            return lock
        }
    }

    func run() throws {
        let chosen = try cpu ?? QuietestCPU.pick(from: Affinity.allowedCPUs()) ?? 0
        let benchRun = try BenchRun(tool: "lockbench", options: runOptions, cpus: [chosen],
                                    parameters: trialOptions.parameters.merging(["mode": "uncontended"]) { $1 })
        try Affinity.pinCurrentThread(to: chosen)
        benchRun.prepareMeasurementThread(name: "uncontended@cpu\(chosen)")
        let runner = trialOptions.runner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks)
        let rows = try UncontendedFloors.measure(try lockList(), runner: runner)
        func pad(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        func fixed(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        print("lock       " + pad("swift_ns", 9) + pad("c_ns", 9) + pad("swift/c", 9) + pad("swift_ticks", 13) + pad("c_ticks", 9))
        for row in rows where row.variant == "swift" && row.unit == "ns" {
            let c = rows.first { $0.variant == "c" && $0.unit == "ns" && $0.param == row.param }
            let name = row.param.split(separator: " ").first?.split(separator: "=").last.map(String.init) ?? row.param
            let ratio = c.map { fixed(row.statistics.p50 / $0.statistics.p50) } ?? "-"
            let tpn = benchRun.clock.ticksPerNs
            print(name.padding(toLength: 11, withPad: " ", startingAt: 0) + pad(fixed(row.statistics.p50), 9)
                  + pad(c.map { fixed($0.statistics.p50) } ?? "-", 9) + pad(ratio, 9)
                  + pad(fixed(row.statistics.p50 * tpn, 1), 13) + pad(c.map { fixed($0.statistics.p50 * tpn, 1) } ?? "-", 9))
        }
        print("(p50 over \(trialOptions.trials) trials of \(trialOptions.iterations) acquire+release pairs, Swift and C in alternating rounds)")
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
