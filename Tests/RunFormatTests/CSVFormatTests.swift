import Foundation
import SystemPackage
import Testing
@testable import RunFormat

/// Numbers as the CSV files carry them: the shortest text that reads back as
/// exactly the same double, integers without a fraction, and nan/inf as before.
@Suite struct CSVFormatTests {
    @Test("shortest round-trip form", arguments: [
        (0.1, "0.1"), (1028.1, "1028.1"), (1e-300, "1e-300"), (Double.leastNonzeroMagnitude, "5e-324"),
        (-0.0, "-0"), (0.0, "0"), (250.0, "250"), (-42.0, "-42"), (0.5, "0.5"), (1.5e-05, "1.5e-05"),
        (123456789012345.0, "123456789012345"), (999999999999999.0, "999999999999999"),
        (1e15, "1000000000000000.0"), (1e16, "1e+16"), (123456789012345678.0, "1.2345678901234568e+17"),
        (Double.nan, "nan"), (Double.infinity, "inf"), (-Double.infinity, "-inf"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (-2.2250738585072014e-308, "-2.2250738585072014e-308"),
    ])
    func shortest(_ value: Double, _ text: String) {
        #expect(CSVFormat.number(value) == text)
    }

    @Test func everyFormatReadsBackExactly() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = Double(bitPattern: state)
            guard value.isFinite else { continue }
            let text = CSVFormat.number(value)
            #expect(text.utf8.count <= CSVFormat.maximumNumberLength)
            #expect(Double(text)?.bitPattern == value.bitPattern, "\(value) written as \(text)")
            // What kbench's own readers accept, too.
            var copy = text
            #expect(copy.withUTF8 { ByteNumbers.writtenDouble($0) }?.bitPattern == value.bitPattern)
        }
    }

    @Test func spectrumFrequenciesHaveNoRoundingTail() {
        // Bin 10281 of a 100000-sample trace at 10 kHz, as Spectrum.frequency(ofBin:) computes it.
        #expect(CSVFormat.number(10281.0 * 10000 / 100000) == "1028.1")
        #expect(CSVFormat.number(10281.0 * (10000.0 / 100000)) == "1028.1000000000001", "why k * (fs / n) was wrong")
    }

    @Test func integersWithoutStrings() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let csv = try CSVWriter(path: scratch.file("n.csv"), header: ["u", "i", "d", "t", "b"])
        try csv.cell(UInt64.max); try csv.cell(Int64.min); try csv.cell(0.25); try csv.cell("a,\"b\""); try csv.cell(true)
        try csv.endRow()
        try csv.cell(UInt64(0)); try csv.cell(Int64(-7)); try csv.cell(Double.nan); try csv.cell(""); try csv.cell(false)
        try csv.endRow()
        try csv.commit()
        let expected = "u,i,d,t,b\n18446744073709551615,-9223372036854775808,0.25,\"a,\"\"b\"\"\",true\n0,-7,nan,,false\n"
        #expect(try scratch.text("n.csv") == expected)
    }

    @Test func writerBuffersAcrossFlushes() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let csv = try CSVWriter(path: scratch.file("big.csv"), header: ["k", "x"])
        for k in 0..<100_000 { try csv.cell(k); try csv.cell(Double(k) / 7); try csv.endRow() }
        try csv.commit()
        let lines = try scratch.text("big.csv").split(separator: "\n")
        #expect(lines.count == 100_001)
        #expect(lines[99_999 + 1] == "99999,\(CSVFormat.number(99999.0 / 7))")
        #expect(Double(lines[70_001].split(separator: ",")[1]) == 70000.0 / 7)
    }
}
