/// The `param` cell of a summary row as key=value pairs. Tools separate them
/// with ';' or ' ' ("mechanism=pipe;bytes=64", "hold_ns=0 delay_ns=0").
struct ReportParameters {
    private var values: [String: String] = [:]

    init(_ param: String) {
        for pair in param.split(whereSeparator: { $0 == ";" || $0 == " " }) {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
    }

    subscript(key: String) -> String? { values[key] }
}
