// swift-tools-version: 6.1
import PackageDescription

/// Debian's dcmtk.pc requires libsndfile's and links every DCMTK library, so the few we use are named here.
let dcmtkLibraries: [LinkerSetting] = [
    "dcmjpls", "dcmjpeg", "dcmimage", "dcmimgle", "dcmdata", "ijg8", "ijg12", "ijg16", "dcmtkcharls", "oflog", "ofstd",
].map { .linkedLibrary($0) }

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "dicomserve",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dicomserve", targets: ["dicomserve"]),
        .library(name: "DicomImaging", targets: ["DicomImaging"]),
        .library(name: "DicomCodec", targets: ["DicomCodec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C shims: small C APIs in the libspng shape (limits in, codes out, caller-owned buffers).
        .systemLibrary(
            name: "COpenJPEG",
            path: "Sources/COpenJPEG",
            pkgConfig: "libopenjp2",
            providers: [.apt(["libopenjp2-7-dev"])]
        ),
        // OpenJPH encodes HTJ2K for transcoded frames (Debian's openjph.pc names no library: linked by name).
        .target(
            name: "CDCMTK",
            dependencies: ["COpenJPEG"],
            cxxSettings: [.unsafeFlags(["-fexceptions"])],
            linkerSettings: dcmtkLibraries + [.linkedLibrary("openjph")]
        ),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG",
            path: "Sources/CTurboJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        // ISA-L: the PNG writer's default deflate; libdeflate: its CRC-32 and the deflater the sweep measures against it.
        .target(
            name: "CImageCodecs",
            dependencies: ["CLibPNG", "CTurboJPEG"],
            linkerSettings: [.linkedLibrary("isal"), .linkedLibrary("deflate")]
        ),
        // zlib: the encoding scanner inflates deflated data sets itself, with a bound, before DCMTK does.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Core: pure computation, standard library only.
        .target(name: "DicomImaging", swiftSettings: swiftSettings),
        .target(name: "DicomWeb", swiftSettings: swiftSettings),

        // Swift face of the shims.
        .target(
            name: "DicomCodec",
            dependencies: ["CDCMTK", "CImageCodecs", "CZlib", "DicomImaging", "DicomWeb"],
            swiftSettings: swiftSettings
        ),

        // Storage: the catalog and object-storage protocols with the model they share (no engine here),
        // and the embedded engines behind them: SQLite and the local file system.
        .target(
            name: "DicomStorage",
            // swift-crypto: the SHA-256 of each stored object is its identity (ETags, cache keys).
            dependencies: ["DicomCodec", "DicomWeb", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LocalStorage",
            dependencies: ["DicomStorage", "DicomWeb", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),

        // Untrusted parsing in child processes under resource limits (the server's and `import`'s reader).
        .target(name: "CSpawn", path: "Sources/CSpawn"),
        .target(
            name: "ParseWorker",
            dependencies: ["CSpawn", "DicomStorage", "DicomCodec", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: swiftSettings
        ),

        // In-process cache primitives (byte-bounded LRU, single-flight, expiry), and the Redis client.
        .target(name: "Caching", swiftSettings: swiftSettings),
        // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM warns about; the header path is standard.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                // NIOPosix: the client's own threads for hiredis' blocking calls.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // The application core (no HTTP types): queries, rendering, retrieval, ingest, caches, replicas.
        .target(
            name: "DicomArchive",
            dependencies: [
                "DicomStorage", "DicomCodec", "DicomImaging", "DicomWeb", "Caching", "Redis",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DicomServer",
            dependencies: [
                // The HTTP face talks to the core; it names no storage engine and no Redis command.
                "DicomArchive", "DicomStorage", "DicomCodec", "DicomImaging", "DicomWeb", "Caching",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "dicomserve",
            dependencies: [
                "DicomArchive", "DicomCodec", "DicomImaging", "DicomServer", "DicomStorage", "DicomWeb", "LocalStorage", "ParseWorker",
                "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // NIOCore: to recognise a bind failure (IOError) and say it in words.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fuzz targets for every parser of untrusted bytes: libFuzzer entry points with -DFUZZING
        // (scripts/fuzz), a corpus replayer otherwise (run by make test).
        .executableTarget(name: "DicomFuzz", dependencies: ["DicomCodec", "DicomImaging", "DicomWeb"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "RenderBenchmark",
            dependencies: ["DicomCodec", "DicomImaging"],
            path: "benchmarks/RenderBenchmark",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "DicomImagingTests", dependencies: ["DicomImaging"]),
        // Real servers for tests (redis-server on a free loopback port).
        .target(name: "TestSupport", dependencies: ["DicomCodec", "DicomWeb"], path: "Tests/TestSupport"),
        .testTarget(name: "CachingTests", dependencies: ["Caching", "Redis", "TestSupport"]),
        .testTarget(name: "DicomWebTests", dependencies: ["DicomWeb"]),
        .testTarget(name: "CImageCodecsTests", dependencies: ["CImageCodecs"]),
        .testTarget(name: "CDCMTKTests", dependencies: ["CDCMTK"]),
        // CImageCodecs: libpng decodes what the encoders wrote.
        .testTarget(name: "DicomCodecTests", dependencies: ["CImageCodecs", "DicomCodec", "DicomImaging", "DicomWeb", "TestSupport"]),
        .testTarget(
            name: "StorageTests",
            dependencies: ["DicomStorage", "LocalStorage", "DicomCodec", "DicomWeb", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The core without HTTP, over the real embedded engines.
        .testTarget(
            name: "DicomArchiveTests",
            dependencies: [
                "DicomArchive", "DicomStorage", "LocalStorage", "DicomCodec", "DicomImaging", "DicomWeb", "Redis", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "DicomServerTests",
            dependencies: [
                "DicomServer", "DicomArchive", "DicomStorage", "LocalStorage", "DicomCodec", "DicomImaging", "DicomWeb", "CImageCodecs",
                "Caching", "Redis", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The real executable over real files, HTTP on loopback, third-party clients: slower, still in `make test`.
        .testTarget(name: "EndToEndTests", dependencies: ["dicomserve", "CImageCodecs", "DicomStorage", "LocalStorage", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
