import ArgumentParser
import DicomCodec
import DicomWeb
import Foundation

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a DICOM file's header as the DICOM JSON model (PS3.18 F.2), or a one-line summary.",
        discussion: "Pixel data and values over 64 KiB appear as a BulkDataURI placeholder (bulkdata:GGGGEEEE)."
    )

    @Argument(help: "The DICOM file.") var file: String
    @Flag(help: "Print one line: modality, size, pixel format, frames, transfer syntax, UIDs.") var summary = false
    @Flag(help: "Include the file meta information (group 0002).") var meta = false
    @Flag(help: "Compact JSON on one line.") var compact = false

    func run() async throws {
        do {
            let dicom = try DicomFile(path: file)
            let dataSet = try dicom.dataSet(includeMetaInformation: meta)
            if summary {
                print(Self.summaryLine(file: dicom, dataSet: dataSet))
            } else {
                print(DicomJSONEncoder().encode(dataSet).serialized(pretty: !compact))
            }
        } catch {
            throw CommandFailure.unusableInput("\(file): \(error.message)")
        }
    }

    static func summaryLine(file: DicomFile, dataSet: DicomDataSet) -> String {
        var parts: [String] = [dataSet.string(.modality) ?? "??"]
        if let info = try? file.frameInfo() {
            parts.append("\(info.columns)×\(info.rows)")
            parts.append(
                "\(info.photometric) \(info.samplesPerPixel)×\(info.bitsAllocated)-bit (stored \(info.bitsStored), \(info.isSigned ? "signed" : "unsigned"))"
            )
            parts.append("\(info.numberOfFrames) frame\(info.numberOfFrames == 1 ? "" : "s")")
        } else {
            parts.append("no image")
        }
        parts.append(file.transferSyntax.description)
        parts.append("SOP \(dataSet.string(.sopInstanceUID) ?? "?")")
        parts.append("study \(dataSet.string(.studyInstanceUID) ?? "?")")
        return "\(file.path): " + parts.joined(separator: ", ")
    }
}
