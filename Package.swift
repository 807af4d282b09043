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

        // Libraries.
        .target(name: "BenchKit", dependencies: [
            "CPlatform", "CCpupower",
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .target(name: "KernelCore", dependencies: ["CPlatform"], swiftSettings: hotPathFlags),
        .target(name: "AnalysisKit", dependencies: ["BenchKit", "CFFTW"], swiftSettings: hotPathFlags),
        .target(name: "FTQKit", dependencies: ["BenchKit", "CPlatform", "CReference"], swiftSettings: hotPathFlags),
        .target(name: "LockBenchKit", dependencies: ["BenchKit", "KernelCore", "CPlatform"],
                swiftSettings: hotPathFlags),

        // The four tools: thin command-line front ends.
        .executableTarget(name: "FTQ", dependencies: [
            "FTQKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "Analysis", dependencies: [
            "AnalysisKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "LockBench", dependencies: [
            "LockBenchKit", "BenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),
        .executableTarget(name: "CtxBench", dependencies: [
            "BenchKit", "KernelCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPathFlags),

        // Tests: one target per library, plus the command-line contracts.
        .testTarget(name: "BenchKitTests", dependencies: ["BenchKit", "CPlatform"]),
        .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore", "BenchKit", "CPlatform"]),
        .testTarget(name: "AnalysisKitTests", dependencies: ["AnalysisKit", "BenchKit"]),
        .testTarget(name: "FTQKitTests", dependencies: ["FTQKit", "AnalysisKit", "BenchKit"]),
        .testTarget(name: "LockBenchKitTests", dependencies: ["LockBenchKit", "KernelCore", "BenchKit"]),
        .testTarget(name: "CLITests", dependencies: ["BenchKit"]),
    ]
)
