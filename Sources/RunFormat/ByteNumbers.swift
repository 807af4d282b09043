#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number parsing straight from CSV bytes, without making a `String` per cell.
///
/// Integers (the common case: `start_ns`, `work`) take a loop over digits; anything else
/// (`1.5e3`) falls back to strtod on a small copy. Surrounding spaces and tabs are allowed (`CSVCells.trimmed`);
/// NaN, infinities, hex floats and trailing garbage are not numbers here.
public enum ByteNumbers {
    /// The cell as an `Int64`, or nil when it is not a decimal integer that fits.
    @inline(__always)
    public static func int64(_ cell: UnsafeBufferPointer<UInt8>) -> Int64? {
        let cell = CSVCells.trimmed(cell)
        var i = 0
        let end = cell.count
        guard i < end else { return nil }
        var negative = false
        if cell[i] == 0x2D || cell[i] == 0x2B { negative = cell[i] == 0x2D; i += 1 }
        guard i < end else { return nil }
        var value: Int64 = 0
        while i < end {
            let digit = cell[i] &- 0x30
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        return negative ? -value : value
    }

    /// The cell as a finite `Double`, or nil when it is not a decimal number.
    @inline(__always)
    public static func double(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        if let integer = int64(cell), abs(integer) < (1 << 53) { return Double(integer) }
        return slowDouble(cell)
    }

    private static func slowDouble(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        let cell = CSVCells.trimmed(cell)
        let i = 0, end = cell.count
        let length = end - i
        guard length > 0, length < 64 else { return nil }
        // Only decimal syntax: digits, sign, point, exponent.
        for k in i..<end {
            switch cell[k] {
            case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x45, 0x65: continue
            default: return nil
            }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text -> Double? in
            for k in 0..<length { text[k] = CChar(bitPattern: cell[i + k]) }
            text[length] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &stop)
            guard let stop, stop == text.baseAddress! + length, value.isFinite else { return nil }
            return value
        }
    }
}

extension ByteNumbers {
    /// The cell as a `UInt64`, or nil when it is not a non-negative decimal integer that fits.
    @inline(__always)
    public static func uint64(_ cell: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let cell = CSVCells.trimmed(cell)
        var i = 0
        if i < cell.count, cell[i] == 0x2B { i += 1 }
        guard i < cell.count else { return nil }
        var value: UInt64 = 0
        while i < cell.count {
            let digit = cell[i] &- 0x30
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        return value
    }

    /// The cell as a `Double` as kbench writes numbers (`CSVFormat.appendNumber`):
    /// a decimal number, or `nan`, `inf`, `-inf` (any case, as numpy writes them too).
    public static func writtenDouble(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        if let value = double(cell) { return value }
        let word = String(decoding: CSVCells.trimmed(cell), as: UTF8.self).lowercased()
        switch word {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }
}
