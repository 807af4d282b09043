import Foundation
import RunFormat

/// Preflight's output: a table for people, JSON for machines, the same findings.
public enum FindingReport {
    /// One row per finding: severity, id, what was found; the fix on the line
    /// below, indented, so a long command is never cut.
    public static func table(_ findings: [Finding], cpus: String) -> String {
        let idWidth = max(2, findings.map(\.id.count).max() ?? 2)
        var lines = ["preflight for CPUs \(cpus)", ""]
        lines.append("RESULT  " + "CHECK".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  FINDING")
        for finding in findings {
            let tag = finding.severity.rawValue.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0)
            lines.append("\(tag)  " + finding.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
                         + "  " + oneLine(finding.summary))
            if !finding.fix.isEmpty {
                lines.append(String(repeating: " ", count: 10 + idWidth) + "fix: " + oneLine(finding.fix))
            }
        }
        let count = { (s: Finding.Severity) in findings.filter { $0.severity == s }.count }
        lines.append("")
        lines.append("\(count(.pass)) pass, \(count(.warn)) warn, \(count(.fail)) fail")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"cpus": "1", "findings": [{"id", "severity", "summary", "fix"}, ...]}`.
    public static func json(_ findings: [Finding], cpus: String) throws -> String {
        struct Document: Encodable {
            let cpus: String
            let findings: [Finding]
        }
        return String(decoding: try JSONCoding.encode(Document(cpus: cpus, findings: findings)), as: UTF8.self) + "\n"
    }

    /// The worst severity (pass when there are no findings).
    public static func worst(_ findings: [Finding]) -> Finding.Severity {
        findings.map(\.severity).max() ?? .pass
    }

    /// Text read from the machine may hold control characters: shown escaped.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }
}
