import DicomCodec
import DicomImaging
import Foundation
import Testing

/// JPEG 2000 and HTJ2K frames decoded at a reduced resolution for small viewports, against the full
/// decode followed by the same area-averaging resize.
///
/// The tolerance, and why it is not ±1: a skipped wavelet level leaves the 5/3 (or 9/7) low-pass band,
/// whose kernel (−1/8, 1/4, 3/4, 1/4, −1/8 per level) is not the box the area average uses, and whose
/// samples sit on the even positions rather than the block centres. The resize corrects the position
/// (without it the CT differs by a mean of 4.4 grey levels, with it 1.8); the kernel difference remains
/// wherever the image has detail at the removed scales: edges and noise. Measured on the real CT, MR and
/// CR: the same size and the same window always; a mean difference of at most 4.7 grey levels (CT under
/// its 40/100 file window, which multiplies every difference by 2.5), 1.8 under a lung window; on the
/// smooth CR a mean of at most 0.9 (99 % of pixels within ±1 up to three skipped levels, 81 % at four).
/// The bounds below are those with a margin.
@Suite(.enabled(if: TestData.isPresent, "needs scripts/fetch-test-data"))
struct ReducedResolutionTests {
    static let files = [
        "dicom/pydicom-data/693_J2KR.dcm", "dicom/pydicom-data/MR2_J2KR.dcm", "dicom/pydicom-data/RG1_J2KR.dcm",
        "dicom/openjph-made/ct_htj2k_lossless.dcm", "dicom/openjph-made/mr_htj2k_rpcl.dcm", "dicom/openjph-made/cr_htj2k_lossless.dcm",
    ]

    @Test(arguments: files)
    func reducedDecodesStayWithinTheStatedToleranceOfTheFullDecode(_ path: String) throws {
        let file = try DicomFile(path: TestData.path(path))
        let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
        let info = try file.frameInfo()
        let full = try file.decodeFrame(1)
        let renderer = InstanceRenderer()
        let smooth = path.contains("RG1") || path.contains("cr_")
        for box in [Viewport(width: 128, height: 128), Viewport(width: 256, height: 256), Viewport(width: 200, height: 120)] {
            for voi in [VOIRequest.automatic, .window(Window(center: -600, width: 1500))] {
                let request = RenderRequest(voi: voi, viewport: box)
                let options = InstanceRenderer.decodeOptions(
                    for: request,
                    dataSet: dataSet,
                    frame: 1,
                    info: info,
                    transferSyntax: file.transferSyntax
                )
                let output = box.fittedSize(width: info.columns, height: info.rows)
                #expect(options.resolutionReduction > 0, "\(path) into \(box) is decoded reduced")
                #expect((info.columns + (1 << options.resolutionReduction) - 1) >> options.resolutionReduction >= output.width)
                let expected = try renderer.render(full, dataSet: dataSet, frame: 1, request: request)
                let actual = try renderer.render(file, request: request)
                #expect(actual.width == expected.width && actual.height == expected.height && actual.window == expected.window)
                let differences = zip(actual.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }
                let mean = Double(differences.reduce(0, +)) / Double(max(differences.count, 1))
                #expect(mean <= 5, "\(path) \(box) \(voi): mean difference \(mean)")
                if case .window = voi { #expect(mean <= 2.5, "\(path) \(box) lung window: mean difference \(mean)") }
                if smooth { #expect(mean <= 1, "\(path) \(box) \(voi): mean difference \(mean)") }
            }
        }
    }

    @Test func aViewportAtMostHalfTheFrameSkipsLevelsAndMinMaxNever() throws {
        #expect(DecodeOptions.reduction(rows: 512, columns: 512, fitting: (128, 128)) == 2)
        #expect(DecodeOptions.reduction(rows: 512, columns: 512, fitting: (129, 129)) == 1)
        #expect(DecodeOptions.reduction(rows: 512, columns: 512, fitting: (300, 300)) == 0)
        #expect(DecodeOptions.reduction(rows: 1955, columns: 1841, fitting: (241, 256)) == 2)
        #expect(DecodeOptions.reduction(rows: 1955, columns: 1841, fitting: (120, 128)) == 3)
        // min/max would be taken over the smaller frame's values: such requests decode in full.
        let file = try DicomFile(path: TestData.path("dicom/pydicom-data/693_J2KR.dcm"))
        let options = InstanceRenderer.decodeOptions(
            for: RenderRequest(voi: .minMax, viewport: Viewport(width: 64, height: 64)),
            dataSet: try file.dataSet(),
            frame: 1,
            info: try file.frameInfo(),
            transferSyntax: file.transferSyntax
        )
        #expect(options.resolutionReduction == 0)
        // Other syntaxes are never reduced.
        let native = try DicomFile(path: TestData.path("dicom/pydicom-data/693_UNCR.dcm"))
        let nativeOptions = InstanceRenderer.decodeOptions(
            for: RenderRequest(viewport: Viewport(width: 64, height: 64)),
            dataSet: try native.dataSet(),
            frame: 1,
            info: try native.frameInfo(),
            transferSyntax: native.transferSyntax
        )
        #expect(nativeOptions.resolutionReduction == 0)
    }
}
