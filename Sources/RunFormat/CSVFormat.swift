/// How kbench formats CSV cells: numbers in their shortest exact form (whole
/// numbers without a fraction), text quoted only when it must be (RFC 4180).
///
/// Numbers are formatted straight into a byte buffer (`appendNumber`), so the
/// writers of files with millions of rows (ftq.csv, attempts.csv, spectra)
/// make no String per cell; `number` gives the same characters as a String for
/// small tables and messages.
public enum CSVFormat {
    /// The most bytes `appendNumber` or `appendDigits` writes
    /// ("-2.2250738585072014e-308" is 24).
    public static let maximumNumberLength = 32

    /// `value` as `appendNumber` writes it.
    public static func number(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumNumberLength) { scratch in
            let count = appendNumber(value, to: scratch.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: scratch[0..<count]), as: UTF8.self)
        }
    }

    /// Writes `value` at `out` and returns the number of bytes (at most
    /// `maximumNumberLength`):
    /// - `nan`, `inf`, `-inf` for the values that are not numbers (what numpy
    ///   and Python's `float()` read back);
    /// - a whole number below 10^15 in magnitude as an integer (`250`, not
    ///   `250.0`), and negative zero as `-0`;
    /// - anything else as Swift's `description`: the shortest decimal that
    ///   reads back as exactly the same double (`0.1`, `1028.1`, `1e-300`,
    ///   `5e-324`, `1e+16`).
    @inline(__always)
    public static func appendNumber(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            if value == 0, value.sign == .minus {
                out[0] = UInt8(ascii: "-"); out[1] = UInt8(ascii: "0")
                return 2
            }
            return appendDigits(Int64(value), to: out)
        }
        return appendDescription(value, to: out)
    }

    /// The non-integral and non-finite cases of `appendNumber`, kept out of line.
    @inline(never)
    static func appendDescription(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN { return copy("nan", to: out) }
        if value.isInfinite { return copy(value > 0 ? "inf" : "-inf", to: out) }
        var text = value.description
        return text.withUTF8 { bytes in
            let count = min(bytes.count, maximumNumberLength)
            out.update(from: bytes.baseAddress!, count: count)
            return count
        }
    }

    private static func copy(_ text: StaticString, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    /// Writes the decimal digits of `value` at `out`; returns the byte count.
    @inline(__always)
    public static func appendDigits(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
            return 1
        }
        var length = 1
        var probe = value / 10
        while probe > 0 { length += 1; probe /= 10 }
        var rest = value
        var index = length
        while index > 0 {
            index -= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return length
    }

    /// Writes `value` with a leading `-` when negative; returns the byte count.
    @inline(__always)
    public static func appendDigits(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        guard value < 0 else { return appendDigits(UInt64(value), to: out) }
        out[0] = UInt8(ascii: "-")
        return 1 + appendDigits(value.magnitude, to: out + 1)
    }

    /// `cell` quoted when it holds a comma, a quote or a line break, with
    /// quotes doubled; otherwise as it is.
    public static func escape(_ cell: String) -> String {
        guard cell.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            return cell
        }
        var result = "\""
        for character in cell {
            if character == "\"" { result += "\"\"" } else { result.append(character) }
        }
        return result + "\""
    }
}
