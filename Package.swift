// swift-tools-version: 6.0
// kbench: measures how much the operating system disturbs and costs a program,
// on real pinned cores. See README.md and DESIGN.md.
//
// Supported platform: Linux only (x86-64; glibc, /proc and /sys, sched_setaffinity,
// futex, SCHED_FIFO, rdtsc). No Apple platform is declared because none builds.
import PackageDescription

/// Release builds must inline the C shim's rdtsc/pause into the measurement loops;
/// `-enforce-exclusivity=unchecked` keeps dynamic exclusivity checks out of them.
let hotPathFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

/// LockBenchKit compares loops that differ by a few instructions (a disabled
/// lock against none, event logging (b) against (a)). Every function and
/// every innermost loop starts on a 64-byte line, so where a variant's code
/// lands no longer depends on the code before it in the binary, and a few
/// extra bytes cannot move the rest of its loop across a line (an op-cache
/// window) and be charged for it.
let alignedLoopFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xllvm", "-align-all-functions=6",
                  "-Xllvm", "-x86-experimental-pref-innermost-loop-alignment=6"], .when(configuration: .release)),
]

let package = Package(
    name: "kbench",
    products: [
        .executable(name: "ftq", targets: ["FTQ"]),
        .executable(name: "analysis", targets: ["Analysis"]),
        .executable(name: "lockbench", targets: ["LockBench"]),
        .executable(name: "ctxbench", targets: ["CtxBench"]),
        .executable(name: "preflight", targets: ["Preflight"]),
        .library(name: "RunFormat", targets: ["RunFormat"]),
        .library(name: "BenchKit", targets: ["BenchKit"]),
        .library(name: "KernelCore", targets: ["KernelCore"]),
        .library(name: "VcoreEmulation", targets: ["VcoreEmulation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C shim: inline TSC reads, pause, affinity, gettid, futex, membarrier.
        .target(name: "CPlatform"),
        // The same loops in C at -O2, measured beside the Swift ones.
        .target(name: "CReference", dependencies: ["CPlatform"],
                cSettings: [.unsafeFlags(["-O2"])]),
        // The queues ctxbench queue measures beside BCQ/UCQ: Concurrency Kit's
        // ck_ring and ck_fifo_mpmc (Debian libck-dev) and a mutex deque, at -O2.
        .target(name: "CQueueReference", dependencies: ["CPlatform"],
                cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("ck")]),
        // The uthread context switch (assembly), FS-base writes, guarded stacks,
        // TLS blocks: what KernelCore's uthreads need from the machine.
        .target(name: "CUthread"),
        // The user-level switches uthreads are measured against: glibc
        // swapcontext and Boost.Context's jump_fcontext (libboost-context-dev).
        .target(name: "CSwitchReference", dependencies: ["CPlatform"],
                cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("boost_context")]),
        // What a rank of a multi-node job needs: the kernel's clock state, MPI
        // loaded at run time (dlopen; no build dependency), a shared-memory
        // barrier across the processes of a node, the bulk-synchronous loop.
        .target(name: "CCluster", dependencies: ["CPlatform"], cSettings: [.unsafeFlags(["-O2"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CCpupower", providers: [.apt(["libcpupower-dev"])]),

        // Libraries. Platform: typed Swift over CPlatform (errors, CPU sets,
        // affinity, threads, clocks, cache-line memory), shared by the rest.
        .target(name: "Platform", dependencies: [
            "CPlatform", .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: hotPathFlags),
        // RunFormat: every file of a run directory, written and read by one type
        // each (CSV schemas, meta.json); pure Swift, no Linux shim, no CLI.
        .target(name: "RunFormat", dependencies: [
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: hotPathFlags),
        .target(name: "BenchKit", dependencies: [
            "Platform", "CPlatform", "CCpupower", "RunFormat", "CCluster",
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: hotPathFlags),
        // Kernel primitives: locks, futex mutex, sequence counter, the vcore
        // runtime protocol the PDR locks are generic over.
        .target(name: "KernelCore", dependencies: ["Platform", "CPlatform", "CUthread"], swiftSettings: hotPathFlags),
        // The emulated vcore kernel on Linux (vcore map, preemption by signal,
        // parking, controller, vcore threads): the VcoreRuntime lockbench uses.
        // Its vcore threads are a BenchKit ThreadTeam.
        .target(name: "VcoreEmulation", dependencies: ["KernelCore", "BenchKit", "Platform", "CPlatform"],
                swiftSettings: hotPathFlags),
        .target(name: "AnalysisKit", dependencies: ["RunFormat", "CFFTW", "SeededRandom"], swiftSettings: hotPathFlags),
        .target(name: "FTQKit", dependencies: ["Platform", "RunFormat", "BenchKit", "CPlatform", "CReference", "CCluster"], swiftSettings: hotPathFlags),
        .target(name: "CtxBenchKit", dependencies: ["Platform", "RunFormat", "BenchKit", "CPlatform", "KernelCore", "CReference",
                                                    "CQueueReference", "CUthread", "CSwitchReference"],
                swiftSettings: hotPathFlags),
        // CtxBenchKit: lockbench dynamic's ipc part runs its locked round trips
        // on ctxbench's IPC conversation (one IPC path for both tools).
        .target(name: "LockBenchKit", dependencies: ["Platform", "RunFormat", "BenchKit", "KernelCore", "VcoreEmulation",
                                                     "CPlatform", "CReference", "CtxBenchKit"],
                swiftSettings: hotPathFlags + alignedLoopFlags),
        // Preflight checks and the shield (cpuset, IRQs, idle states, RT
        // throttling) with its restore file, over a filesystem root the tests fake.
        .target(name: "PreflightKit", dependencies: ["Platform", "RunFormat", "BenchKit", "CCpupower", "CPlatform",
                                                     .product(name: "SystemPackage", package: "swift-system")]),
        // Command-line support shared by the executables, and only by them: the
        // common options (RunOptions, TrialOptions), validation, and option values
        // parsed once into their types (CPU lists, count and frequency lists).
        .target(name: "BenchCLI", dependencies: [
            "Platform", "RunFormat", "BenchKit", "PreflightKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // The four tools: thin command-line front ends.
        .executableTarget(name: "FTQ", dependencies: [
            "Platform", "FTQKit", "BenchKit", "BenchCLI", "RunFormat", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "Analysis", dependencies: [
            "AnalysisKit", "RunFormat", "BenchKit", "BenchCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "LockBench", dependencies: [
            "Platform", "LockBenchKit", "BenchKit", "BenchCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "CtxBench", dependencies: [
            "Platform", "CtxBenchKit", "KernelCore", "BenchKit", "BenchCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "Preflight", dependencies: [
            "Platform", "PreflightKit", "RunFormat", "BenchKit", "BenchCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests: one target per library, plus the command-line contracts.
        // KernelTestSupport: the lock fixtures KernelCoreTests and
        // VcoreEmulationTests share (locks by name, the checked critical
        // section, bounded waits). An ordinary target, for test targets only;
        // it uses public API alone, so release builds compile it too.
        .target(name: "KernelTestSupport", dependencies: ["KernelCore", "VcoreEmulation", "Platform", "CPlatform"],
                path: "Tests/KernelTestSupport"),
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "CPlatform"], exclude: ["Samples"]),
        .testTarget(name: "RunFormatTests", dependencies: ["RunFormat"]),
        .testTarget(name: "BenchKitTests", dependencies: ["BenchKit", "RunFormat", "Platform", "CPlatform"],
                    exclude: ["Samples"]),
        .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore", "VcoreEmulation", "KernelTestSupport",
                                                            "Platform", "CPlatform", "CUthread", "BenchKit", "SeededRandom"]),
        .testTarget(name: "VcoreEmulationTests", dependencies: ["VcoreEmulation", "KernelCore", "KernelTestSupport",
                                                                "BenchKit", "Platform", "CPlatform"]),
        // Reproducible randomness (SplitMix64): analysis merge's synthetic ranks and the tests.
        .target(name: "SeededRandom"),
        .testTarget(name: "AnalysisKitTests", dependencies: ["AnalysisKit", "RunFormat", "SeededRandom"],
                    exclude: ["Recorded"]),
        .testTarget(name: "FTQKitTests", dependencies: ["Platform", "FTQKit", "AnalysisKit", "RunFormat", "BenchKit"]),
        .testTarget(name: "LockBenchKitTests", dependencies: ["Platform", "LockBenchKit", "KernelCore", "VcoreEmulation",
                                                              "RunFormat", "BenchKit", "CPlatform"]),
        .testTarget(name: "BenchCLITests", dependencies: ["BenchCLI", "Platform"]),
        .testTarget(name: "CtxBenchKitTests", dependencies: ["CtxBenchKit", "RunFormat", "BenchKit", "Platform", "CPlatform",
                                                            "CReference", "KernelCore"]),
        .testTarget(name: "CLITests", dependencies: ["Platform"]),
        .testTarget(name: "PreflightKitTests", dependencies: ["PreflightKit", "RunFormat", "Platform"], exclude: ["Samples"]),
        // Every reader fed mutated files (seeds in Tests/Fuzz/corpus); scripts/fuzz runs it longer.
        .testTarget(name: "FuzzTests", dependencies: ["RunFormat", "AnalysisKit", "BenchKit", "Platform", "SeededRandom"]),
    ]
)
