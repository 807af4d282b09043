import RunFormat
import Foundation
import Testing
@testable import AnalysisKit

@Suite("Peak labels, CONFIG_HZ and interrupt counts")
struct LabelTests {
    /// 10 kHz FTQ-like work: 10,000 units a quantum, a 40-sample pulse train (250 Hz) that
    /// steals 300 units, a 40 Hz one that steals 200, and noise.
    func tickTrace(count: Int = 40_000) -> [Double] {
        let noise = whiteNoise(count: count, sigma: 5, seed: 5)
        return (0..<count).map { i -> Double in
            let tick: Double = i % 40 == 0 ? 300 : 0
            let platform: Double = i % 250 == 7 ? 200 : 0
            return 10_000 - tick - platform + noise[i]
        }
    }

    func analysis(configHZ: Int?, irqRates: [IRQRate]) -> [LabelledPeak] {
        let spectrum = Spectrum.periodogram(tickTrace(), sampleRateHz: 10_000)
        let grouped = HarmonicGrouping.group(PeakFinder().peaks(in: spectrum), binWidthHz: spectrum.binWidthHz)
        return PeakLabeler(configHZ: configHZ, irqRates: irqRates).label(grouped, binWidthHz: spectrum.binWidthHz)
    }

    func label(_ peaks: [LabelledPeak], at f: Double) -> String? {
        peaks.first { abs($0.peak.frequencyHz - f) < 1e-9 }?.label
    }

    @Test("CONFIG_HZ=250 labels the 250 Hz line and its harmonics as the timer tick")
    func timerTick() throws {
        let peaks = analysis(configHZ: 250, irqRates: [])
        #expect(label(peaks, at: 250) == "timer tick (CONFIG_HZ=250)")
        #expect(label(peaks, at: 500) == "timer tick harmonic 2×250 Hz (CONFIG_HZ=250)")
        #expect(label(peaks, at: 40) == "unknown")
        #expect(peaks.first { $0.peak.frequencyHz == 500 }?.fundamentalHz == 250)
        let table = LabelledPeak.table(peaks)
        #expect(table.header == ["freq_hz", "power", "prominence_db", "harmonic_of_hz", "label"])
        #expect(table.rows.contains { $0[0] == "250" && $0[3] == "250" && $0[4] == "timer tick (CONFIG_HZ=250)" })
        #expect(table.text.split(separator: "\n").allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 5 })
    }

    @Test("a wrong CONFIG_HZ does not claim the 250 Hz line")
    func wrongHZ() {
        #expect(label(analysis(configHZ: 1000, irqRates: []), at: 250) == "unknown")
    }

    @Test("interrupt rates on the thread's CPU label the lines they match")
    func irqRates() throws {
        let counts = try InterruptDeltas.parse("""
        irq,description,cpu,before,after
        LOC,Local timer interrupts,2,1000,1001000
        LOC,Local timer interrupts,3,0,5
        24,"PCI-MSI 1-edge nvme0q1, extra",2,7,160007
        25,virtio0,2,0,3
        """, path: "interrupts.csv")
        let rates = counts.rates(cpu: 2, durationSeconds: 4000)
        #expect(rates.map(\.irq) == ["LOC", "24"])  // 25 fired 3 times: not evidence
        #expect(abs(rates[0].ratePerSecond - 250.0) < 1e-12 && abs(rates[1].ratePerSecond - 40) < 1e-12)

        let withHZ = analysis(configHZ: 250, irqRates: rates)
        #expect(label(withHZ, at: 250) == "timer tick (CONFIG_HZ=250); irq LOC Local timer interrupts (250.0/s)")
        #expect(label(withHZ, at: 40) == "irq 24 PCI-MSI 1-edge nvme0q1  extra (40.0/s)")
        #expect(label(withHZ, at: 80) == "harmonic 2× of irq 24 PCI-MSI 1-edge nvme0q1  extra (40.0/s)")

        // Without CONFIG_HZ the LOC rate gives it.
        let inferred = analysis(configHZ: nil, irqRates: rates)
        #expect(label(inferred, at: 250) == "timer tick (CONFIG_HZ=250 inferred from LOC rate); irq LOC Local timer interrupts (250.0/s)")
        #expect(label(inferred, at: 500)?.hasPrefix("timer tick harmonic 2×250 Hz") == true)
        // Nothing known: unknown.
        #expect(label(analysis(configHZ: nil, irqRates: []), at: 250) == "unknown")
    }

    @Test("an IRQ rate 5% off does not match")
    func irqTolerance() {
        let rate = IRQRate(irq: "30", description: "eth0", cpu: 0, count: 1000, ratePerSecond: 263)
        let labeler = PeakLabeler(configHZ: nil, irqRates: [rate])
        #expect(labeler.directLabel(frequencyHz: 250, binWidthHz: 0.25) == nil)
        #expect(labeler.directLabel(frequencyHz: 260, binWidthHz: 0.25) == "irq 30 eth0 (263.0/s)")
        #expect(labeler.timerHZ == nil)
    }

    @Test("interrupts.csv errors name the line")
    func interruptErrors() throws {
        #expect(throws: InputFileError(path: "i.csv", line: 1, problem: .missingColumn("after"))) {
            try InterruptDeltas.parse("irq,description,cpu,before\nLOC,x,0,1\n", path: "i.csv")
        }
        #expect(throws: InputFileError(path: "i.csv", line: 3, problem: .notANumber(column: "after", cell: "x"))) {
            try InterruptDeltas.parse("irq,description,cpu,before,after\nLOC,x,0,1,2\nLOC,x,1,1,x\n", path: "i.csv")
        }
        #expect(throws: InputFileError(path: "i.csv", line: 2, problem: .counterWentBackwards(before: 5, after: 2))) {
            try InterruptDeltas.parse("irq,description,cpu,before,after\nLOC,x,0,5,2\n", path: "i.csv")
        }
        #expect(throws: InputFileError(path: "i.csv", problem: .empty)) { try InterruptDeltas.parse("", path: "i.csv") }
        try withTemporaryDirectory { directory in
            let path = try directory.write("interrupts.csv", "irq,description,cpu,before,after\r\n0,IO-APIC 2-edge timer,1,3,50\r\n")
            let counts = try InterruptDeltas.read(path: path)
            #expect(counts.counts == [InterruptDelta(irq: "0", description: "IO-APIC 2-edge timer", cpu: 1, before: 3, after: 50)])
        }
    }
}
