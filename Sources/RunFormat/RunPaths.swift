import Foundation

/// Paths as outputs name them: relative to a run directory, never the
/// machine's absolute path (a run copied elsewhere, or committed under
/// results/, must not name the directory it was made in).
public enum RunPaths {
    /// `path` relative to the directory `base` ("analysis", "../ftq.csv"); both
    /// are taken relative to the working directory when not absolute.
    public static func relative(_ path: String, to base: String) -> String {
        let target = components(of: path), origin = components(of: base)
        var common = 0
        while common < min(target.count, origin.count), target[common] == origin[common] { common += 1 }
        let up = Array(repeating: "..", count: origin.count - common)
        let parts = up + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// The components of the absolute, normalized form of `path` (no `.`, `..` or empty parts).
    private static func components(of path: String) -> [String] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [String] = []
        for part in absolute.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        return parts
    }
}
