import ArgumentParser

/// Refuses an option given twice (`--duration 5 --duration 50`).
///
/// ArgumentParser keeps the last value of a repeated option without a word; for a
/// benchmark that silently measures something other than what one of the two values
/// asked for. Every tool's `main` checks its command line here first, so a repeated
/// option is a usage error (exit 64, one line) like any other bad value.
public enum RepeatedOptions {
    /// The first long option that appears twice in `arguments` (without the program
    /// name), ignoring everything after a `--` terminator; nil when none does.
    public static func first(in arguments: [String]) -> String? {
        var seen: Set<Substring> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = argument.prefix { $0 != "=" }
            if !seen.insert(name).inserted { return String(name) }
        }
        return nil
    }
}

extension ParsableCommand {
    /// `main()`, after refusing a repeated option with exit 64 and one line.
    public static func mainRefusingRepeatedOptions() {
        if let repeated = RepeatedOptions.first(in: Array(CommandLine.arguments.dropFirst())) {
            exit(withError: ValidationError("\(repeated) is given more than once"))
        }
        main()
    }
}
