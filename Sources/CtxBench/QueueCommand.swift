import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import KernelCore
import RunFormat

/// `ctxbench queue`: message queues under pinned producers and consumers —
/// UCQ and BCQ beside a mutex deque, ck_ring and ck_fifo_mpmc — with every
/// message checked for exactly-once delivery.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Measure message queues (UCQ, BCQ, mutex deque, ck_ring, ck_fifo): messages/s, produce-to-consume latency, memory; exactly-once checked.",
        discussion: "A lost, duplicated, torn or (with one consumer) reordered message fails the run with exit status 1, naming the producer and sequence.")

    @Option(help: ArgumentHelp("Queues to measure, comma separated: ucq, bcq, mutex, ck-ring, ck-fifo (default: all).", valueName: "list"))
    var queue: String = QueueKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Producer threads.")
    var producers = 1

    @Option(help: "Consumer threads.")
    var consumers = 1

    @Option(help: "Messages in all, split evenly over the producers.")
    var messages = 1_000_000

    @Option(name: .customLong("message-bytes"), help: "Bytes per message (multiple of 8, at least 16: producer id, sequence, TSC stamp).")
    var messageBytes = 24

    @Option(help: "Messages per spike: consumers wait until a spike is produced, then drain it (0: a steady stream).")
    var burst = 0

    @Option(name: .customLong("ring-slots"), help: "Slots of BCQ and ck_ring, and the mutex deque's first buffer (power of two).")
    var ringSlots = 4096

    @Option(name: .customLong("ucq-page-bytes"), help: "UCQ page size (power of two, 128 to the system page).")
    var ucqPageBytes = SharedMemory.pageBytes

    @Option(help: "Rounds per queue (queues interleaved round by round).")
    var rounds = 3

    @Option(name: .customLong("producer-cpus"), help: ArgumentHelp("CPUs of the producers, cycled (default: the first allowed CPU).", valueName: "list"))
    var producerCPUs: CPUSet?

    @Option(name: .customLong("consumer-cpus"), help: ArgumentHelp("CPUs of the consumers, cycled (default: the second allowed CPU).", valueName: "list"))
    var consumerCPUs: CPUSet?

    @Option(name: .customLong("round-budget-s"), help: "Seconds one round may take; a round past it is stopped and recorded as collapsed (param ';collapsed', with a warning), and the run goes on.")
    var roundBudgetSeconds: Double = 10

    @Option(name: .customLong("pair-trials"), help: "Trials of the uncontended enqueue plus dequeue on one CPU, read against the CAS floor measured beside it (0: skip).")
    var pairTrials = 11

    @OptionGroup var runOptions: RunOptions

    func queueKinds() throws -> [QueueKind] {
        try queue.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let kind = QueueKind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--queue: '\(name)' is not one of \(QueueKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }

    func settings() throws -> QueueConfiguration {
        let allowed = try Affinity.allowedCPUs().cpus
        let first = allowed.first ?? 0
        return QueueConfiguration(queues: try queueKinds(), producers: producers, consumers: consumers,
                                  messages: messages, messageBytes: messageBytes, burst: burst, ringSlots: ringSlots,
                                  ucqPageBytes: ucqPageBytes, rounds: rounds,
                                  producerCPUs: producerCPUs?.cpus ?? [first],
                                  consumerCPUs: consumerCPUs?.cpus ?? [allowed.dropFirst().first ?? first],
                                  roundBudgetSeconds: roundBudgetSeconds, pairTrials: pairTrials)
    }

    func validate() throws {
        if let producerCPUs { try Validate.cpus(producerCPUs, option: "--producer-cpus") }
        if let consumerCPUs { try Validate.cpus(consumerCPUs, option: "--consumer-cpus") }
        let configuration = try settings()
        if let problem = configuration.problem() { throw ValidationError("\(problem.option) \(problem.reason)") }
        try Validate.fitsInMemory(bytes: configuration.bookkeepingBytes, option: "--messages")
    }

    func run() throws {
        let configuration = try settings()
        let cpus = CPUSet(Set(configuration.producerCPUs + configuration.consumerCPUs).sorted())
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: cpus, parameters: [
            "benchmark": "queue", "queues": .string(configuration.queues.map(\.rawValue).joined(separator: ",")),
            "producers": .int(Int64(producers)), "consumers": .int(Int64(consumers)),
            "messages": .int(Int64(configuration.total)), "message_bytes": .int(Int64(messageBytes)),
            "burst": .int(Int64(burst)), "ring_slots": .int(Int64(ringSlots)),
            "ucq_page_bytes": .int(Int64(ucqPageBytes)), "rounds": .int(Int64(rounds)),
            "round_budget_s": .double(roundBudgetSeconds), "pair_trials": .int(Int64(pairTrials)),
        ])
        let summaries: [QueueSession.Summary], pairs: [Measurement]
        do {
            (summaries, pairs) = try QueueSession.run(configuration, benchRun: benchRun) { writeStderr("\($0)\n") }
        } catch {
            writeStderr("ctxbench queue: \(error)\n")
            print(benchRun.directory.path)
            throw ExitCode(1)
        }
        for summary in summaries {
            func p50(_ metric: String) -> Double? { summary.measurements.first { $0.metric == metric }?.statistics.p50 }
            func p99(_ metric: String) -> Double? { summary.measurements.first { $0.metric == metric }?.statistics.p99 }
            func text(_ value: Double?) -> String { value.map { CSVFormat.number(($0 * 10).rounded() / 10) } ?? "-" }
            print("\(summary.kind.rawValue)\(summary.collapsed ? " (collapsed)" : ""): \(text(p50("time_per_message"))) ns/message (median of rounds), "
                  + "latency p50 \(text(p50("latency"))) ns p99 \(text(p99("latency"))) ns, "
                  + "memory peak \(text(p50("peak_memory"))) B final \(text(p50("final_memory"))) B, "
                  + "pages mapped \(text(p50("pages_mapped"))) unmapped \(text(p50("pages_unmapped"))), "
                  + "full retries \(text(p50("full_retries"))), delivered \(text(p50("delivered")))")
        }
        for pair in pairs where pair.metric == "uncontended_pair_over_cas" {
            print("\(pair.variant): uncontended enqueue+dequeue = \(CSVFormat.number((pair.statistics.p50 * 100).rounded() / 100)) CAS floors (median)")
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
