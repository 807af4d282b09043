// What a two-level scheduler is built with, and the ways that can be wrong.

import Glibc

/// The shape of a uthread world: how many vcores share the global run queue,
/// how big each uthread's stack is, and how TLS uthreads load FS.
public struct UthreadConfiguration: Sendable, Equatable {
    /// Vcores that run uthreads from the run queue (each a pinned kernel thread).
    public var vcores: Int
    /// Usable stack per uthread, bytes; rounded up to whole pages. A guard
    /// page under it catches overflows.
    public var stackBytes: Int
    /// How TLS uthreads load their FS base (nil: the best the machine offers).
    public var fsBase: FSBaseMechanism?

    /// 256 KiB: room for debug-build Swift frames; only touched pages cost memory.
    public static let defaultStackBytes = 256 * 1024
    /// 1 GiB: more is a typing mistake (the mapping is reserved per uthread).
    public static let maximumStackBytes = 1 << 30
    /// Vcores beyond this are a typing mistake (each is a kernel thread).
    public static let maximumVcores = 4096

    public init(vcores: Int = 1, stackBytes: Int = defaultStackBytes, fsBase: FSBaseMechanism? = nil) {
        self.vcores = vcores
        self.stackBytes = stackBytes
        self.fsBase = fsBase
    }

    /// The page size stacks are made of.
    public static var pageBytes: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Checks every field against `variant`; throws the first problem.
    public func validate(for variant: TwoLevelScheduler.Variant) throws(UthreadConfigurationError) {
        guard vcores > 0 else { throw .noVcores(vcores) }
        guard vcores <= Self.maximumVcores else { throw .tooManyVcores(vcores, limit: Self.maximumVcores) }
        guard stackBytes >= Self.pageBytes else { throw .stackTooSmall(stackBytes, page: Self.pageBytes) }
        guard stackBytes <= Self.maximumStackBytes else {
            throw .stackTooLarge(stackBytes, limit: Self.maximumStackBytes)
        }
        if !variant.locksScheduler && vcores > 1 { throw .unlockedSchedulerNeedsOneVcore(variant, vcores: vcores) }
        if let fsBase, !FSBaseMechanism.detected.supports(fsBase) { throw .fsBaseUnsupported(fsBase) }
    }

    /// The stack size in whole pages.
    var roundedStackBytes: Int {
        let page = Self.pageBytes
        return (stackBytes + page - 1) / page * page
    }
}

/// A uthread world that cannot be built as asked, said in one line.
public enum UthreadConfigurationError: Error, Equatable, CustomStringConvertible {
    case noVcores(Int)
    case tooManyVcores(Int, limit: Int)
    case noUthreads(Int)
    case stackTooSmall(Int, page: Int)
    case stackTooLarge(Int, limit: Int)
    case unlockedSchedulerNeedsOneVcore(TwoLevelScheduler.Variant, vcores: Int)
    case tlsNeedsOneVcore(vcores: Int)
    case fsBaseUnsupported(FSBaseMechanism)
    case tlsUnavailable(String)
    case wrongVcore(Int, count: Int)
    case switchToNeedsTwo(Int)

    public var description: String {
        switch self {
        case .noVcores(let n): "uthreads need at least 1 vcore (got \(n))"
        case .tooManyVcores(let n, let limit): "\(n) vcores: at most \(limit)"
        case .noUthreads(let n): "at least 1 uthread is needed (got \(n))"
        case .stackTooSmall(let bytes, let page):
            "uthread stack of \(bytes) bytes is smaller than a page (\(page) bytes)"
        case .stackTooLarge(let bytes, let limit): "uthread stack of \(bytes) bytes: at most \(limit)"
        case .unlockedSchedulerNeedsOneVcore(let variant, let vcores):
            "the \(variant.rawValue) 2LS takes no lock, so it runs on 1 vcore only (got \(vcores))"
        case .tlsNeedsOneVcore(let vcores):
            "TLS uthreads stay on the vcore whose TLS they copy; a global run queue over \(vcores) vcores would migrate them"
        case .fsBaseUnsupported(let mechanism):
            "\(mechanism.rawValue) is not usable here (CPUID or HWCAP2 lacks FSGSBASE); use arch_prctl"
        case .tlsUnavailable(let reason): "uthread TLS unavailable: \(reason)"
        case .wrongVcore(let id, let count): "vcore \(id) does not exist (the 2LS has \(count))"
        case .switchToNeedsTwo(let n): "a switch-to ring needs at least 2 uthreads (got \(n))"
        }
    }
}
