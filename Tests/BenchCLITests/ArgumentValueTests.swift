import ArgumentParser
import BenchCLI
import Platform
import Testing

/// Option values parsed once into their types: the good forms round-trip, and
/// every bad or hostile form is refused with a reason, never a trap.
@Suite struct ArgumentValueTests {
    @Test func countListsParseAndPrintBack() throws {
        #expect(try CountList.parse("1,2,4").counts == [1, 2, 4])
        #expect(try CountList.parse(" 8 , 1 ").counts == [8, 1], "whitespace around items is ignored")
        #expect(try CountList.parse("\(CountList.limit)").counts == [CountList.limit])
        #expect(try CountList.parse("1,2,4").description == "1,2,4")
        #expect(CountList(argument: "3,1") == CountList([3, 1]))
    }

    @Test(arguments: ["", ",", "1,,2", "1,", "0", "-1", "1.5", "two", "+", "4097",
                      "99999999999999999999", "-99999999999999999999", "9223372036854775807"])
    func badCountListsAreRefused(_ text: String) {
        #expect(throws: ArgumentValueError.self, "\(text)") { try CountList.parse(text) }
        #expect(CountList(argument: text) == nil)
    }

    @Test func frequencyListsParseAndPrintBack() throws {
        #expect(try FrequencyList.parse("3000,500,100").hertz == [3000, 500, 100])
        #expect(try FrequencyList.parse("0.5, 1e3").hertz == [0.5, 1000])
        #expect(FrequencyList([3000, 500, 100.5]).description == "3000,500,100.5")
        let round = try FrequencyList.parse(FrequencyList([1e20, 0.25]).description)
        #expect(round.hertz == [1e20, 0.25])
    }

    @Test(arguments: ["", "3000,,100", "0", "-5", "nan", "inf", "-inf", "1e400", "abc", "100,"])
    func badFrequencyListsAreRefused(_ text: String) {
        #expect(throws: ArgumentValueError.self, "\(text)") { try FrequencyList.parse(text) }
    }

    @Test func errorsNameTheBadItem() {
        let count = #expect(throws: ArgumentValueError.self) { try CountList.parse("1,x,4") }
        #expect(count?.description.hasPrefix("'x' is not a count") == true, "\(String(describing: count))")
        let empty = #expect(throws: ArgumentValueError.self) { try FrequencyList.parse("3000,,100") }
        #expect(empty?.description.hasPrefix("empty item") == true, "\(String(describing: empty))")
    }

    @Test func cpuListsParseTheKernelSyntax() throws {
        #expect(try CPUSet.parse("0-2,5").cpus == [0, 1, 2, 5])
        #expect(CPUSet(argument: "1") == [1])
        for bad in ["", " ", "abc", "3-1", "0-99999999999", "99999999999999999999"] {
            #expect(throws: (any Error).self, "\(bad)") { try CPUSet.parse(bad) }
            #expect(CPUSet(argument: bad) == nil, "\(bad)")
        }
    }
}

/// The shared options become the plain values the harness takes.
@Suite struct SharedOptionsTests {
    @Test func runOptionsBecomeRunSettings() throws {
        let options = try RunOptions.parse(["--out", "/tmp/kbench-settings", "--fifo", "--priority", "7", "--no-mlock"])
        let settings = options.settings(tool: "ftq")
        #expect(settings.outputDirectory == "/tmp/kbench-settings")
        #expect(settings.fifo && settings.priority == 7 && !settings.lockMemory)
    }

    @Test func defaultRunSettingsLockMemoryAndNameTheDirectoryAfterTheTool() throws {
        let settings = try RunOptions.parse([]).settings(tool: "lockbench")
        #expect(settings.outputDirectory.hasPrefix("runs/lockbench-"))
        #expect(!settings.fifo && settings.lockMemory)
    }

    @Test(arguments: [["--priority", "0"], ["--priority", "100"], ["--priority", "99999999999999999999"]])
    func badPriorityIsRefused(_ args: [String]) {
        #expect(throws: (any Error).self) { try RunOptions.parse(args) }
    }

    @Test func trialOptionsGiveTheRunnerTheirCounts() throws {
        let options = try TrialOptions.parse(["--trials", "5", "--iterations", "1000"])
        #expect(options.trials == 5 && options.iterations == 1000)
        #expect(options.parameters["trials"] == .int(5))
        for bad in [["--trials", "0"], ["--iterations=-1"], ["--trials", "99999999999999999999"]] {
            #expect(throws: (any Error).self, "\(bad)") { try TrialOptions.parse(bad) }
        }
    }
}
