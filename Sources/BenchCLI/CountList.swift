/// Thread (vcore) counts, comma separated: `--threads-list 1,2,4`. Each count
/// is a whole number from 1 to `limit`; a bigger one would ask for that many
/// threads and their buffers, so it is refused here rather than failing (or
/// exhausting memory) later.
public struct CountList: ArgumentValue, Equatable, CustomStringConvertible {
    /// Far beyond the CPUs of any machine kbench runs on.
    public static let limit = 4096

    public let counts: [Int]

    public init(_ counts: [Int]) { self.counts = counts }

    public static func parse(_ text: String) throws -> CountList {
        let want = "whole numbers from 1 to \(limit) separated by commas (e.g. 1,2,4)"
        return CountList(try ArgumentList.items(text, want: want).map { item in
            // Int(_:) refuses fractions, signs alone and overflow (99999999999999999999).
            guard let count = Int(item), (1...limit).contains(count) else {
                throw ArgumentValueError("'\(item)' is not a count: want \(want)")
            }
            return count
        })
    }

    public var description: String { counts.map(String.init).joined(separator: ",") }
    public var defaultValueDescription: String { description }
}
