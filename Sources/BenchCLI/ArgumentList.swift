/// Splits a comma-separated command-line list into its items, trimmed, and
/// refuses an empty list or an empty item (`1,,2`, a trailing comma), which
/// are typing mistakes rather than values.
enum ArgumentList {
    static func items(_ text: String, want: String) throws -> [String] {
        var items: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingWhitespace()
            guard !trimmed.isEmpty else { throw ArgumentValueError("empty item: want \(want)") }
            items.append(trimmed)
        }
        return items
    }
}
