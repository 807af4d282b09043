/// A comma-separated list of names, each one case of `T` (`futex,spin`,
/// `membarrier,mprotect`): parsed once into the cases, in the order given.
public enum NameList {
    /// - Throws: `ArgumentValueError` naming the item that is no `what` and the valid names.
    public static func parse<T: CaseIterable & RawRepresentable>(_ text: String, what: String) throws -> [T]
    where T.RawValue == String {
        let want = T.allCases.map(\.rawValue).joined(separator: ", ")
        return try ArgumentList.items(text, want: want).map { item in
            guard let value = T(rawValue: item) else { throw ArgumentValueError("'\(item)' is not \(what): want \(want)") }
            return value
        }
    }
}
