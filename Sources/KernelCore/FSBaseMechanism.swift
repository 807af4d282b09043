// How a uthread with TLS gets its FS base loaded: an instruction or a system call.

import CUthread

/// The way the switch loads a TLS uthread's thread pointer into FS.
///
/// `wrfsbase` is a user-mode instruction (Ivy Bridge and later, AMD Zen);
/// the kernel must also have enabled it (Linux 5.9+, HWCAP2_FSGSBASE), or it
/// faults. `arch_prctl` (ARCH_SET_FS) is a system call that works everywhere,
/// at the price of a kernel round trip per switch: the Sandy Bridge case of
/// the thesis (Table 4.1's TLS column).
public enum FSBaseMechanism: String, Sendable, CaseIterable {
    case wrfsbase
    case archPrctl = "arch_prctl"

    /// Its code in CUthread (KB_FS_*), which the switch-to assembly reads.
    var rawCode: UInt8 {
        switch self {
        case .wrfsbase: UInt8(KB_FS_WRFSBASE)
        case .archPrctl: UInt8(KB_FS_ARCH_PRCTL)
        }
    }

    /// What this machine offers, asked of the CPU and the kernel.
    public static var detected: FSBaseDetection { FSBaseDetection() }
}

/// The two halves of "may user space use wrfsbase": the CPU has it
/// (CPUID.(EAX=7,ECX=0):EBX[0]) and the kernel enabled it
/// (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE). meta.json records both.
public struct FSBaseDetection: Sendable, Equatable {
    public let cpuid: Bool
    public let hwcap2: Bool

    public init() {
        cpuid = kb_fsgsbase_cpuid() != 0
        hwcap2 = kb_fsgsbase_hwcap2() != 0
    }

    /// The fastest mechanism that works here.
    public var best: FSBaseMechanism { cpuid && hwcap2 ? .wrfsbase : .archPrctl }

    /// Whether `mechanism` can be used here.
    public func supports(_ mechanism: FSBaseMechanism) -> Bool {
        mechanism == .archPrctl || (cpuid && hwcap2)
    }
}
