import Foundation

/// meta.json for a tool that computes from earlier runs rather than measuring
/// (analysis spectrum, reports, the gate): who made it from what, with which
/// parameters. The machine stamp that matters is the input run's own meta.json.
public struct DerivedRunMetadata: Encodable, Sendable {
    public var tool: String
    public var version = RunMetadata.kbenchVersion
    public var gitCommit: String? = SystemInfo.gitCommit()
    public var commandLine: [String] = CommandLine.arguments
    public var startTime = Date()
    public var endTime: Date?
    public var host = SystemInfo.hostName()
    /// The run directories or files read.
    public var inputs: [String]
    public var parameters: [String: JSONValue]
    public var warnings: [String] = []
    public var complete = false

    public init(tool: String, inputs: [String], parameters: [String: JSONValue] = [:]) {
        self.tool = tool
        self.inputs = inputs
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case tool, version, gitCommit = "git_commit", commandLine = "command_line",
             startTime = "start_time_utc", endTime = "end_time_utc", host, inputs, parameters,
             warnings, complete
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tool, forKey: .tool)
        try c.encode(version, forKey: .version)
        try c.encode(gitCommit, forKey: .gitCommit)
        try c.encode(commandLine, forKey: .commandLine)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encode(host, forKey: .host)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(complete, forKey: .complete)
    }

    /// Stamps the end time and completion and writes meta.json into `directory`.
    public mutating func finish(complete: Bool, in directory: RunDirectory) throws {
        endTime = Date()
        self.complete = complete
        try AtomicFileWriter.write(JSONCoding.encode(self), to: directory.file("meta.json"))
    }
}

/// kbench's JSON conventions: pretty, sorted keys, ISO 8601 UTC dates.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    /// A run directory's meta.json as loose JSON, or nil when there is none.
    public static func readMeta(in directory: String) throws -> [String: Any]? {
        let path = directory + "/meta.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MetaFileError(path: path)
        }
        return object
    }
}

public struct MetaFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public var description: String { "\(path) is not a JSON object (not a kbench meta.json?)" }
}
