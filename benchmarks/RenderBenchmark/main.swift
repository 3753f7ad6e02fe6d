// Micro benchmarks of the rendering core, one core, page-cache-hot files. Run with `make bench-micro`
// (release build). Prints a Markdown table per image and writes JSON to benchmarks/results/.
import DicomCodec
import DicomImaging
import Foundation

AllocatorTuning.keepFrameBuffersInTheHeap()  // as the server runs (Sources/DicomCodec/AllocatorTuning.swift)

struct Arguments {
    var dataDirectory = ".testdata/dicom"
    var outputDirectory = "benchmarks/results"
    var quick = false
    /// A Python with pydicom, numpy and Pillow: the replaced service's pipeline is measured as the peer.
    var python: String?

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--data": dataDirectory = iterator.next() ?? dataDirectory
            case "--output": outputDirectory = iterator.next() ?? outputDirectory
            case "--quick": quick = true
            case "--python": python = iterator.next()
            default:
                FileHandle.standardError.write(Data("usage: RenderBenchmark [--data DIR] [--output DIR] [--quick] [--python PYTHON]\n".utf8))
                exit(2)
            }
        }
    }
}

struct Subject {
    var label: String
    var path: String
    var preset: Window
}

let arguments = Arguments()
let lung = Window(center: -600, width: 1500)
let subjects = [
    Subject(label: "CT 512² 16-bit (693_UNCR), lung", path: "pydicom-data/693_UNCR.dcm", preset: lung),
    Subject(label: "MR 1024² 16-bit (MR2_UNCR), file window", path: "pydicom-data/MR2_UNCR.dcm", preset: Window(center: 600, width: 1600)),
    Subject(label: "CR 1841×1955 16-bit (RG1_UNCR), file window", path: "pydicom-data/RG1_UNCR.dcm", preset: Window(center: 16384, width: 32768)),
]
let encoder = ImageEncoder()
let renderer = InstanceRenderer()
var report: [[String: Any]] = []
var markdown = ""

func row(_ m: Measurement, note: String = "") -> String {
    var extra = note
    if let pixels = m.pixels { extra += String(format: "%.2f Gpixel/s", Double(pixels) / m.medianMicroseconds / 1e3) }
    if let bytes = m.bytes, extra.isEmpty { extra = "\(bytes) B" }
    return String(format: "| %@ | %.1f | %.1f | %d | %@ |\n", m.name, m.medianMicroseconds, Measurement.microseconds(m.p90), m.samples.count, extra)
}

@MainActor
func record(_ subject: String, _ m: Measurement, note: String = "") {
    markdown += row(m, note: note)
    report.append([
        "image": subject, "stage": m.name, "median_us": m.medianMicroseconds, "p90_us": Measurement.microseconds(m.p90),
        "runs": m.samples.count, "bytes": m.bytes as Any, "pixels": m.pixels as Any,
    ])
}

for subject in subjects {
    let path = (arguments.dataDirectory as NSString).appendingPathComponent(subject.path)
    guard FileManager.default.fileExists(atPath: path) else {
        print("missing \(path): run scripts/fetch-test-data")
        exit(1)
    }
    markdown += "\n### \(subject.label)\n\n| stage | median µs | p90 µs | runs | note |\n|---|---:|---:|---:|---|\n"
    let request = RenderRequest(voi: .window(subject.preset))

    let open = try Measurement.run("open + parse header (DCMTK)") {
        let file = try DicomFile(path: path)
        blackHole(try file.dataSet(bulkThreshold: 1 << 20))
    }
    record(subject.label, open)
    record(
        subject.label,
        try Measurement.run("read file + locate Pixel Data (no DCMTK)") {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            blackHole(PixelDataLocator.locate(in: bytes))
        }
    )
    let file = try DicomFile(path: path)
    let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
    let decode = try Measurement.run("decode frame") { blackHole(try DicomFile(path: path).decodeFrame(1)) }
    record(subject.label, decode, note: "includes open")
    let frame = try file.decodeFrame(1)
    let pixels = frame.format.pixelCount

    let pipeline = try FrameRenderer.greyscalePipeline(
        for: frame,
        greyscale: FrameAttributes.greyscale(dataSet, frame: 1, isSigned: frame.format.isSigned),
        request: request
    )
    record(
        subject.label,
        Measurement.run("modality+VOI: build LUT (\(1 << pipeline.decoder.bitsStored) entries, SIMD)") {
            blackHole(pipeline.makeLookupTable())
        }
    )
    let table = pipeline.makeLookupTable()
    record(
        subject.label,
        Measurement.run("modality+VOI: apply LUT", pixels: pixels) {
            blackHole(GreyscalePipeline.applyLookupTable(table, to: frame, decoder: pipeline.decoder))
        }
    )
    record(subject.label, Measurement.run("modality+VOI: fused pass (build + apply)", pixels: pixels) { blackHole(pipeline.apply(to: frame)) })
    record(
        subject.label,
        Measurement.run("modality+VOI: scalar reference", minimumRuns: 3, minimumTime: .milliseconds(100), pixels: pixels) {
            var out = [UInt8](repeating: 0, count: pixels)
            frame.forEachRawSample { index, raw in out[index] = pipeline.referenceDisplayValue(raw: raw) }
            blackHole(out)
        }
    )

    let image = try renderer.render(frame, dataSet: dataSet, frame: 1, request: request)
    let thumbnailSize = Viewport(width: 128, height: 128)
    record(subject.label, Measurement.run("resize to fit 128×128 (area average)") { blackHole(AreaAverageResizer.resize(image, to: thumbnailSize)) })

    let png = try encoder.encodePNG(image)
    record(
        subject.label,
        try Measurement.run("PNG encode (default `fast`: ISA-L level 1, Up)", bytes: png.count) { blackHole(try encoder.encodePNG(image)) }
    )
    if !arguments.quick {
        let defaults = try encoder.encodePNG(image, options: .libpngDefaults)
        record(
            subject.label,
            try Measurement.run("PNG encode, libpng defaults (level 6, adaptive)", minimumRuns: 5, bytes: defaults.count) {
                blackHole(try encoder.encodePNG(image, options: .libpngDefaults))
            }
        )
    }
    let jpeg = try encoder.encodeJPEG(image)
    record(subject.label, try Measurement.run("JPEG encode q90 (libturbojpeg)", bytes: jpeg.count) { blackHole(try encoder.encodeJPEG(image)) })
    let base64 = Measurement.run("base64 of the PNG", bytes: png.count) { blackHole(ImageEncoder.base64(png)) }
    record(subject.label, base64, note: String(format: "%.2f GB/s", Double(png.count) / base64.medianMicroseconds / 1e3))

    record(
        subject.label,
        try Measurement.run("whole render → PNG (open, decode, VOI, encode)", bytes: png.count) {
            let file = try DicomFile(path: path)
            let image = try renderer.render(file, request: request)
            blackHole(try encoder.encodePNG(image))
        }
    )
    record(
        subject.label,
        try Measurement.run("whole render → PNG data URL (JSON API payload)") {
            let file = try DicomFile(path: path)
            let image = try renderer.render(file, request: request)
            blackHole(ImageEncoder.dataURL(try encoder.encodePNG(image), mediaType: "image/png"))
        }
    )
    record(
        subject.label,
        try Measurement.run("whole render → JPEG q90", bytes: jpeg.count) {
            let file = try DicomFile(path: path)
            blackHole(try encoder.encodeJPEG(try renderer.render(file, request: request)))
        }
    )
    let thumbnailRequest = RenderRequest(voi: .window(subject.preset), viewport: thumbnailSize)
    let thumbnail = try encoder.encodePNG(try renderer.render(frame, dataSet: dataSet, frame: 1, request: thumbnailRequest))
    record(
        subject.label,
        try Measurement.run("128² thumbnail PNG from the decoded frame (VOI, resize, encode)", bytes: thumbnail.count) {
            blackHole(try encoder.encodePNG(try renderer.render(frame, dataSet: dataSet, frame: 1, request: thumbnailRequest)))
        }
    )
    record(
        subject.label,
        try Measurement.run("128² thumbnail PNG from the file", bytes: thumbnail.count) {
            let file = try DicomFile(path: path)
            blackHole(try encoder.encodePNG(try renderer.render(file, request: thumbnailRequest)))
        }
    )

    // The deflate sweep behind `--png-compression`: every deflater and level worth considering, with
    // the filters that matter, on each image (bytes against time).
    if !arguments.quick {
        markdown += "\n#### PNG deflate sweep, \(subject.label)\n\n| deflater | filter | median µs | bytes |\n|---|---|---:|---:|\n"
        var candidates: [PNGOptions] = [.libpngDefaults]
        for filter in [PNGOptions.Filter.sub, .up, .paeth] {
            candidates.append(PNGOptions(deflater: .zlib(level: 1, strategy: .rle), filter: filter))
            candidates += (0...3).map { PNGOptions(deflater: .isal(level: $0), filter: filter) }
            candidates += [1, 2, 4, 6, 9, 12].map { PNGOptions(deflater: .libdeflate(level: $0), filter: filter) }
        }
        for options in candidates {
            let bytes = try encoder.encodePNG(image, options: options).count
            let m = try Measurement.run("png", minimumRuns: 3, minimumTime: .milliseconds(150)) {
                blackHole(try encoder.encodePNG(image, options: options))
            }
            let named = PNGCompression.allCases.first { $0.options == options }.map { " (`\($0.rawValue)`)" } ?? ""
            markdown += String(
                format: "| %@%@ | %@ | %.0f | %d |\n",
                options.deflater.description,
                named,
                options.filter.rawValue,
                m.medianMicroseconds,
                bytes
            )
            report.append([
                "image": subject.label, "stage": "png-sweep", "deflater": options.deflater.description, "filter": options.filter.rawValue,
                "median_us": m.medianMicroseconds, "bytes": bytes,
            ])
        }
    }
}

// Decoders: the same 512² CT in every codec (made by scripts/fetch-test-data with DCMTK's encoders,
// and pydicom-data's own JPEG 2000 files).
markdown +=
    "\n### Decoders, the 512² CT (693_UNCR) in each transfer syntax\n\n| stage | median µs | p90 µs | runs | note |\n|---|---:|---:|---:|---|\n"
for (name, file) in [
    ("uncompressed (explicit VR LE)", "pydicom-data/693_UNCR.dcm"), ("RLE lossless (shim)", "dcmtk-made/ct_rle.dcm"),
    ("JPEG lossless SV1 (DCMTK)", "dcmtk-made/ct_jpeg_lossless_sv1.dcm"), ("JPEG-LS lossless (DCMTK/CharLS)", "dcmtk-made/ct_jpegls.dcm"),
    ("JPEG 2000 lossless (OpenJPEG)", "pydicom-data/693_J2KR.dcm"), ("JPEG 2000 lossy (OpenJPEG)", "pydicom/693_J2KI.dcm"),
    ("HTJ2K lossless (OpenJPEG)", "openjph-made/ct_htj2k_lossless.dcm"), ("HTJ2K lossy (OpenJPEG)", "openjph-made/ct_htj2k_lossy.dcm"),
] {
    let path = (arguments.dataDirectory as NSString).appendingPathComponent(file)
    guard FileManager.default.fileExists(atPath: path) else { continue }
    let file = try DicomFile(path: path)
    record("decoders", try Measurement.run("decode: \(name)", minimumRuns: 10) { blackHole(try file.decodeFrame(1)) })
}

// The wavelet goals, as same-run ratios: HTJ2K against JPEG 2000 lossless of the same slice; a 128²
// thumbnail decoded at a reduced resolution against the full decode + resize; a large frame on two threads.
func dataFile(_ relative: String) -> String { (arguments.dataDirectory as NSString).appendingPathComponent(relative) }
var ratios: [(String, Double, Double)] = []
if FileManager.default.fileExists(atPath: dataFile("openjph-made/ct_htj2k_lossless.dcm")) {
    let j2k = try DicomFile(path: dataFile("pydicom-data/693_J2KR.dcm"))
    let htj2k = try DicomFile(path: dataFile("openjph-made/ct_htj2k_lossless.dcm"))
    let j2kDecode = try Measurement.run("j2k", minimumRuns: 10) { blackHole(try j2k.decodeFrame(1)) }
    let htDecode = try Measurement.run("htj2k", minimumRuns: 10) { blackHole(try htj2k.decodeFrame(1)) }
    ratios.append(("HTJ2K lossless 512² decode vs JPEG 2000 lossless (goal ≥ 3×)", j2kDecode.medianMicroseconds, htDecode.medianMicroseconds))
    let thumbnail = RenderRequest(voi: .window(Window(center: -600, width: 1500)), viewport: Viewport(width: 128, height: 128))
    let dataSet = try j2k.dataSet(bulkThreshold: 1 << 20)
    let full = try Measurement.run("full", minimumRuns: 10) {
        blackHole(try renderer.render(try j2k.decodeFrame(1), dataSet: dataSet, frame: 1, request: thumbnail))
    }
    let reduced = try Measurement.run("reduced", minimumRuns: 10) { blackHole(try renderer.render(j2k, request: thumbnail)) }
    ratios.append(
        (
            "JPEG 2000 512² → 128² thumbnail, reduced-resolution decode vs full decode + resize (goal ≥ 4×)", full.medianMicroseconds,
            reduced.medianMicroseconds
        )
    )
    let cr = try DicomFile(path: dataFile("pydicom-data/RG1_J2KR.dcm"))
    let one = try Measurement.run("cr1", minimumRuns: 5) { blackHole(try cr.decodeFrame(1)) }
    let two = try Measurement.run("cr2", minimumRuns: 5) { blackHole(try cr.decodeFrame(1, options: DecodeOptions(threads: 2))) }
    ratios.append(("JPEG 2000 1841×1955 decode, two threads vs one (goal ≥ 1.6×)", one.medianMicroseconds, two.medianMicroseconds))
    let decodedJ2K = try j2k.decodeFrame(1)
    let native = try Measurement.run("native", minimumRuns: 10) { blackHole(try j2k.decodeFrame(1)) }
    let transcode = try Measurement.run("transcode", minimumRuns: 10) {
        blackHole(try FrameTranscoder.encode(try j2k.decodeFrame(1), as: .htj2kLossless(rpcl: false)))
    }
    ratios.append(
        ("cold transcode J2K → HTJ2K lossless vs the J2K decode alone (cost of the encode)", transcode.medianMicroseconds, native.medianMicroseconds)
    )
    let lsEncode = try Measurement.run("encode the 512² CT frame → JPEG-LS lossless (DCMTK)", minimumRuns: 10) {
        blackHole(try FrameTranscoder.encode(decodedJ2K, as: .jpegLSLossless))
    }
    let htEncode = try Measurement.run("encode the 512² CT frame → HTJ2K lossless (OpenJPH)", minimumRuns: 10) {
        blackHole(try FrameTranscoder.encode(decodedJ2K, as: .htj2kLossless(rpcl: false)))
    }
    record("decoders", lsEncode)
    record("decoders", htEncode)
    markdown += "\n### Wavelet ratios (same run)\n\n| comparison | baseline µs | new µs | ratio |\n|---|---:|---:|---:|\n"
    for (name, baseline, new) in ratios {
        markdown += String(format: "| %@ | %.0f | %.0f | %.2f× |\n", name, baseline, new, baseline / new)
        report.append(["stage": "ratio", "name": name, "baseline_us": baseline, "new_us": new, "ratio": baseline / new])
    }
}

// The peer: the Python pipeline this service replaces, on the CT with the lung window, in this same run.
if let python = arguments.python {
    let ct = (arguments.dataDirectory as NSString).appendingPathComponent(subjects[0].path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["benchmarks/python/pipeline_baseline.py", ct, "-600", "1500"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if let peer = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let peerMedian = peer["median_us"] as? Double,
        let ours = report.first(where: { ($0["stage"] as? String)?.hasPrefix("whole render → PNG data URL") == true })?["median_us"] as? Double
    {
        markdown += String(
            format: """

                ### Peer in the same run: the replaced Python pipeline, CT lung → PNG data URL

                | pipeline | median µs | PNG bytes | dicomserve ÷ peer (time) |
                |---|---:|---:|---:|
                | pydicom + numpy + Pillow + base64 | %.0f | %d | |
                | dicomserve (DCMTK + LUT + PNG `fast` + base64) | %.0f | %d | %.3f (%.1f× faster) |

                """,
            peerMedian,
            peer["png_bytes"] as? Int ?? 0,
            ours,
            try encoder.encodePNG(try renderer.render(DicomFile(path: ct), request: RenderRequest(voi: .window(lung)))).count,
            ours / peerMedian,
            peerMedian / ours
        )
        report.append(["image": subjects[0].label, "stage": "peer: python pipeline", "median_us": peerMedian])
    } else {
        markdown += "\n(peer measurement failed: \(String(decoding: data, as: UTF8.self)))\n"
    }
}

var machine = "\(ProcessInfo.processInfo.processorCount) cores"
if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let model = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") })?.split(separator: ":").last
{
    machine = model.trimmingCharacters(in: .whitespaces) + ", " + machine
}
let stamp = ISO8601DateFormatter().string(from: Date())
print("# Rendering core micro benchmarks\n\n\(stamp), \(machine), one core, release build\n" + markdown)
try FileManager.default.createDirectory(atPath: arguments.outputDirectory, withIntermediateDirectories: true)
let json = try JSONSerialization.data(
    withJSONObject: ["date": stamp, "machine": machine, "results": report],
    options: [.prettyPrinted, .sortedKeys]
)
let host = ProcessInfo.processInfo.hostName
try json.write(to: URL(fileURLWithPath: "\(arguments.outputDirectory)/micro-\(stamp.prefix(10))-\(host).json"))
