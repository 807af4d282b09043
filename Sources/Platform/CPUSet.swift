/// A set of CPU numbers, written the way the kernel writes them ("0-3,8,10-11").
public struct CPUSet: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Sorted, without duplicates.
    public let cpus: [Int]

    public init<S: Sequence<Int>>(_ cpus: S) {
        self.cpus = Array(Set(cpus)).sorted()
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// The largest CPU number Linux can have (CONFIG_NR_CPUS is at most 8192).
    /// Bounding it keeps a hostile list ("0-99999999999") from building a
    /// hundred-billion-element array.
    public static let maximumCPU = 8191

    /// Parses a kernel CPU list ("0-3,8"). Whitespace around items is ignored;
    /// an empty string is the empty set.
    public init(parsing list: String) throws(CPUListError) {
        var result: [Int] = []
        let trimmed = list.trimmingWhitespace()
        if trimmed.isEmpty { self.init(result); return }
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  let low = Int(bounds[0].trimmingWhitespace()), low >= 0,
                  let high = Int(bounds[bounds.count - 1].trimmingWhitespace()), high >= low
            else { throw CPUListError(text: list, item: String(item)) }
            guard high <= Self.maximumCPU else {
                throw CPUListError(text: list, item: String(item),
                                   reason: "goes beyond CPU \(Self.maximumCPU), the largest Linux supports")
            }
            result.append(contentsOf: low...high)
        }
        self.init(result)
    }

    public var isEmpty: Bool { cpus.isEmpty }
    public var count: Int { cpus.count }
    public func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }

    /// The compact kernel form: consecutive runs collapse to "a-b".
    public var description: String {
        var parts: [String] = []
        var index = 0
        while index < cpus.count {
            var end = index
            while end + 1 < cpus.count, cpus[end + 1] == cpus[end] + 1 { end += 1 }
            parts.append(end == index ? "\(cpus[index])" : "\(cpus[index])-\(cpus[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}

public struct CPUListError: Error, CustomStringConvertible, Sendable {
    public let text: String
    public let item: String
    /// What is wrong with `item`.
    public let reason: String

    public init(text: String, item: String, reason: String = "is not a CPU number or a range like 2-5") {
        self.text = text
        self.item = item
        self.reason = reason
    }

    public var description: String { "invalid CPU list '\(text)': '\(item)' \(reason)" }
}
