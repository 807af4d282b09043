import SeededRandom

/// The mutations the fuzz harness applies to a valid file, driven by a seeded
/// generator so a failure is reproduced by its seed and iteration alone.
///
/// Each kind targets one way files go wrong in the wild or in an attack: bit rot
/// (flips), truncation by a full disk or a killed writer, lines duplicated or
/// swapped by a careless merge, numbers past every range a column can hold,
/// CSV syntax (quotes, CR, BOM, NUL) and lines longer than the reader's buffer.
struct Mutator {
    /// Values that sit on or past the edge of some column's type or meaning.
    static let hostileNumbers: [String] = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "9007199254740993", "2147483648", "4294967296",
        "-1", "-0", "0", "+0", "1", "2", "1e308", "-1e308", "1e309", "1e-320", "4.9e-324", "nan", "-nan",
        "inf", "-inf", "infinity", "NaN", "0x10", "1e", "e5", ".", "-", "+", "1.5", "-2.5", "1,5", "",
        "\"\"", "\"7\"", "\" 7 \"", "\"", " 7 ", "\t7", "7 7", "1e18", "9.3e18", "-9.3e18",
        String(repeating: "9", count: 400), "0." + String(repeating: "0", count: 300) + "1",
        String(repeating: "1", count: 70) + "e-60",
    ]

    /// Bytes worth inserting: CSV syntax, line ends, a BOM's bytes, NUL, invalid UTF-8.
    static let hostileBytes: [UInt8] = [0x2C, 0x22, 0x0D, 0x0A, 0x00, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3, 0x2D,
                                        0x2E, 0x65, 0x20, 0x09, 0x30, 0x39, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A]

    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func int(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(generator.next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

    /// One to four mutations of `seed` (and sometimes a splice with `other`).
    mutating func mutate(_ seed: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...int(4) { bytes = mutateOnce(bytes, other: other) }
        return bytes
    }

    mutating func mutateOnce(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        switch int(16) {
        case 0:  // flip a bit
            guard !bytes.isEmpty else { return [UInt8(truncatingIfNeeded: generator.next())] }
            bytes[int(bytes.count)] ^= 1 << UInt8(int(8))
        case 1:  // insert a hostile byte
            bytes.insert(pick(Self.hostileBytes), at: int(bytes.count + 1))
        case 2:  // delete a run of bytes
            guard !bytes.isEmpty else { return bytes }
            let start = int(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + int(16)))
        case 3:  // truncate (a full disk, a killed writer)
            bytes.removeSubrange(int(bytes.count + 1)...)
        case 4, 5, 6, 7:  // a number replaced by a hostile value
            return replaceNumber(bytes, with: Array(pick(Self.hostileNumbers).utf8))
        case 8:  // duplicate a line
            var lines = split(bytes)
            guard !lines.isEmpty else { return bytes }
            let i = int(lines.count)
            lines.insert(lines[i], at: int(lines.count + 1))
            return join(lines)
        case 9:  // swap two lines
            var lines = split(bytes)
            guard lines.count >= 2 else { return bytes }
            lines.swapAt(int(lines.count), int(lines.count))
            return join(lines)
        case 10:  // delete a line
            var lines = split(bytes)
            guard !lines.isEmpty else { return bytes }
            lines.remove(at: int(lines.count))
            return join(lines)
        case 11:  // truncate a line in the middle
            var lines = split(bytes)
            guard !lines.isEmpty else { return bytes }
            let i = int(lines.count)
            lines[i].removeSubrange(int(lines[i].count + 1)...)
            return join(lines)
        case 12:  // CR, BOM or NUL somewhere
            let insert: [UInt8] = pick([[0x0D], [0xEF, 0xBB, 0xBF], [0x00], [0x0D, 0x0A], [0x22, 0x2C]])
            bytes.insert(contentsOf: insert, at: int(bytes.count + 1))
        case 13:  // a very long line (sometimes past the reader's 1 MiB buffer)
            let length = int(32) == 0 ? (1 << 20) + int(4096) : 1 + int(70_000)
            bytes.insert(contentsOf: [UInt8](repeating: pick([0x37, 0x2C, 0x22, 0x20]), count: length),
                         at: int(bytes.count + 1))
        case 14:  // splice: the head of this file, the tail of another of the same format
            return Array(bytes.prefix(int(bytes.count + 1))) + Array(other.suffix(int(other.count + 1)))
        default:  // an empty cell or an extra cell
            let extra: [UInt8] = pick([[0x2C], [0x2C, 0x2C], [0x2C, 0x31]])
            guard let comma = positions(of: 0x2C, in: bytes).randomElement(using: &generator) else { return bytes }
            bytes.insert(contentsOf: extra, at: comma)
        }
        return bytes
    }

    /// Replaces one maximal run of number-like bytes (digits, sign, point, exponent).
    mutating func replaceNumber(_ bytes: [UInt8], with value: [UInt8]) -> [UInt8] {
        var runs: [Range<Int>] = []
        var i = 0
        func numeric(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || b == 0x2E || b == 0x2D || b == 0x2B }
        while i < bytes.count {
            if (0x30...0x39).contains(bytes[i]) {
                var start = i
                while start > 0, numeric(bytes[start - 1]) { start -= 1 }
                var end = i
                while end < bytes.count, numeric(bytes[end]) || bytes[end] == 0x65 || bytes[end] == 0x45 { end += 1 }
                runs.append(start..<end)
                i = end
            } else {
                i += 1
            }
        }
        guard !runs.isEmpty else { return bytes }
        var result = bytes
        result.replaceSubrange(pick(runs), with: value)
        return result
    }

    private func positions(of byte: UInt8, in bytes: [UInt8]) -> [Int] {
        bytes.indices.filter { bytes[$0] == byte }
    }

    private func split(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    }

    private func join(_ lines: [[UInt8]]) -> [UInt8] {
        Array(lines.joined(separator: [0x0A]))
    }
}
