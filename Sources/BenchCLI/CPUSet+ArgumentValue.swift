import Platform

/// `--cpu`-style lists ("0-3,6"): the kernel's CPU list syntax. Parsing only
/// checks the syntax and the range; whether the CPUs exist and may be used
/// depends on the machine and is `Validate.cpus`'s job.
extension CPUSet: ArgumentValue {
    public static func parse(_ text: String) throws -> CPUSet {
        let set = try CPUSet(parsing: text)
        guard !set.isEmpty else { throw ArgumentValueError("a CPU list needs at least one CPU (e.g. 0-3,6)") }
        return set
    }

    public var defaultValueDescription: String { description }
}
