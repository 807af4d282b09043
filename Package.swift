// swift-tools-version: 6.0
// kbench: measures how much the operating system disturbs and costs a program,
// on real pinned cores. See README.md and DESIGN.md.
import PackageDescription

/// Release builds must inline the C shim's rdtsc/pause into the measurement loops;
/// `-enforce-exclusivity=unchecked` keeps dynamic exclusivity checks out of them.
let hotPathFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "kbench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ftq", targets: ["FTQ"]),
        .executable(name: "analysis", targets: ["Analysis"]),
        .executable(name: "lockbench", targets: ["LockBench"]),
        .executable(name: "ctxbench", targets: ["CtxBench"]),
        .library(name: "BenchKit", targets: ["BenchKit"]),
        .library(name: "KernelCore", targets: ["KernelCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // C shim: inline TSC reads, pause, affinity, gettid, futex, membarrier.
        .target(name: "CPlatform"),
        // The same loops in C at -O2, measured beside the Swift ones.
        .target(name: "CReference", dependencies: ["CPlatform"],
                cSettings: [.unsafeFlags(["-O2"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CCpupower", providers: [.apt(["libcpupower-dev"])]),

        // Libraries. Platform: typed Swift over CPlatform (errors, CPU sets,
        // affinity, threads, clocks, cache-line memory), shared by the rest.
        .target(name: "Platform", dependencies: [
            "CPlatform", .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: hotPathFlags),
        .target(name: "BenchKit", dependencies: [
            "Platform", "CPlatform", "CCpupower",
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .target(name: "KernelCore", dependencies: ["Platform", "CPlatform"], swiftSettings: hotPathFlags),
        .target(name: "AnalysisKit", dependencies: ["BenchKit", "CFFTW"], swiftSettings: hotPathFlags),
        .target(name: "FTQKit", dependencies: ["Platform", "BenchKit", "CPlatform", "CReference"], swiftSettings: hotPathFlags),
        .target(name: "LockBenchKit", dependencies: ["Platform", "BenchKit", "KernelCore", "CPlatform", "CReference"],
                swiftSettings: hotPathFlags),

        // The four tools: thin command-line front ends.
        .executableTarget(name: "FTQ", dependencies: [
            "Platform", "FTQKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "Analysis", dependencies: [
            "AnalysisKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "LockBench", dependencies: [
            "Platform", "LockBenchKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "CtxBench", dependencies: [
            "Platform", "BenchKit", "KernelCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),

        // Tests: one target per library, plus the command-line contracts.
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "CPlatform"]),
        .testTarget(name: "BenchKitTests", dependencies: ["BenchKit", "Platform", "CPlatform"]),
        .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore", "Platform", "CPlatform"]),
        .testTarget(name: "AnalysisKitTests", dependencies: ["AnalysisKit", "BenchKit"]),
        .testTarget(name: "FTQKitTests", dependencies: ["Platform", "FTQKit", "AnalysisKit", "BenchKit"]),
        .testTarget(name: "LockBenchKitTests", dependencies: ["Platform", "LockBenchKit", "KernelCore", "BenchKit", "CPlatform"]),
        .testTarget(name: "CLITests", dependencies: ["Platform"]),
    ]
)
