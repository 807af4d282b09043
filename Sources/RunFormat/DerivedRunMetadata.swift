import Foundation

/// meta.json for a tool that computes from earlier runs rather than measuring
/// (analysis spectrum, reports, the gate): who made it from what, with which
/// parameters. The machine stamp that matters is the input run's own meta.json.
public struct DerivedRunMetadata: Codable, Equatable, Sendable {
    public var tool: String
    public var version = RunMetadata.kbenchVersion
    @Nullable public var gitCommit: String?
    @Nullable public var gitDirty: Bool?
    public var commandLine: [String]
    public var startTime: Date
    @Nullable public var endTime: Date?
    public var host: String
    /// The files read, relative to the directory this meta.json is in when
    /// they are below a common ancestor (no machine paths in outputs).
    public var inputs: [String]
    public var parameters: [String: JSONValue]
    public var warnings: [String] = []
    public var complete = false

    public init(tool: String, inputs: [String], parameters: [String: JSONValue] = [:],
                provenance: Provenance, commandLine: [String] = CommandLine.arguments, startTime: Date = Date()) {
        self.tool = tool
        self.inputs = inputs
        self.parameters = parameters
        self.gitCommit = provenance.gitCommit
        self.gitDirty = provenance.gitDirty
        self.host = provenance.host
        self.commandLine = commandLine
        self.startTime = startTime
    }

    enum CodingKeys: String, CodingKey {
        case tool, version, gitCommit = "git_commit", gitDirty = "git_dirty", commandLine = "command_line",
             startTime = "start_time_utc", endTime = "end_time_utc", host, inputs, parameters,
             warnings, complete
    }

    /// Stamps the end time and completion and writes meta.json into `directory`.
    public mutating func finish(complete: Bool, in directory: RunDirectory) throws {
        endTime = Date()
        self.complete = complete
        try AtomicFileWriter.write(JSONCoding.encode(self), to: directory.file("meta.json"))
    }

    /// Reads a derived meta.json (analysis output) at `path`.
    public static func read(path: String) throws -> DerivedRunMetadata {
        try JSONCoding.read(DerivedRunMetadata.self, path: path)
    }
}

/// kbench's JSON conventions: pretty, sorted keys, ISO 8601 UTC dates.
public enum JSONCoding {
    /// The largest JSON file `read` accepts: 16 MiB, a thousand times a real meta.json.
    public static let largestJSONFile = 16 << 20

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    /// The JSON file at `path` as `type`.
    /// - Throws: `InputFileError` naming the file, and the key path that does not decode.
    public static func read<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        // Read whole, so bounded: a real meta.json is a few kilobytes.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.int64Value > Int64(largestJSONFile) {
            throw InputFileError(path: path, problem: .fileTooLarge(limit: largestJSONFile))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputFileError(path: path, problem: .cannotOpen("no such file or not readable"))
        }
        guard data.count <= largestJSONFile else {
            throw InputFileError(path: path, problem: .fileTooLarge(limit: largestJSONFile))
        }
        do {
            return try decode(type, from: data)
        } catch let error as DecodingError {
            throw InputFileError(path: path, problem: .invalidJSON(describe(error)))
        }
    }

    /// One line: where in the document and what is wrong.
    static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".")
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(at(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(at(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(context.debugDescription)\(at(context))".replacingOccurrences(of: "\n", with: " ")
        @unknown default: return "\(error)"
        }
    }
}
