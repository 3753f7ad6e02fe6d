import Foundation
import Testing

@testable import DicomImaging

/// Values computed by hand from PS3.3 C.11.2.1.2 (output range 0…255, round half up).
struct VOIFormulaTests {
    @Test func linearEdgesAndCentre() {
        let voi = VOITransform.window(Window(center: 40, width: 400))
        // Lower edge c − 0.5 − (w − 1)/2 = −160, upper edge c − 0.5 + (w − 1)/2 = 239.
        #expect(voi.referenceDisplayValue(-160) == 0)
        #expect(voi.referenceDisplayValue(-159) == 1)  // (−159 − 39.5)/399 + 0.5 = 0.00251 → 0.64 → 1
        #expect(voi.referenceDisplayValue(40) == 128)  // (0.5/399 + 0.5)·255 = 127.82
        #expect(voi.referenceDisplayValue(239) == 255)
        #expect(voi.referenceDisplayValue(240) == 255)
        #expect(voi.referenceDisplayValue(100) == 166)  // (60.5/399 + 0.5)·255 = 166.17
    }

    @Test func linearExact() {
        let voi = VOITransform.window(Window(center: 40, width: 400, function: .linearExact))
        #expect(voi.referenceDisplayValue(-160) == 0)  // x ≤ c − w/2
        #expect(voi.referenceDisplayValue(40) == 128)  // 127.5 rounds up
        #expect(voi.referenceDisplayValue(140) == 191)  // (100/400 + 0.5)·255 = 191.25
        #expect(voi.referenceDisplayValue(240) == 255)
    }

    @Test func sigmoid() {
        let voi = VOITransform.window(Window(center: 40, width: 400, function: .sigmoid))
        #expect(voi.referenceDisplayValue(40) == 128)  // 255/2
        #expect(voi.referenceDisplayValue(440) == 250)  // 255/(1 + e^−4) = 250.33
        #expect(voi.referenceDisplayValue(-360) == 5)  // 255/(1 + e^4) = 4.67
    }

    @Test func voiLookupTableScalesEntriesToEightBits() {
        let table = LookupTable(firstMapped: -10, bitsPerEntry: 12, entries: [0, 4095, 2048])
        let voi = VOITransform.lookupTable(table)
        #expect(voi.referenceDisplayValue(-50) == 0)  // below first mapped: first entry
        #expect(voi.referenceDisplayValue(-9) == 255)
        #expect(voi.referenceDisplayValue(-8) == 128)  // 2048·255/4095 = 127.53
        #expect(voi.referenceDisplayValue(1000) == 128)  // past the end: last entry
    }

    @Test func exponentialMatchesFoundation() {
        for x in stride(from: -40.0, through: 40.0, by: 0.173) {
            let ours = VOITransform.exponential(x)
            let theirs = Foundation.exp(x)
            #expect(abs(ours - theirs) <= theirs * 1e-15, "exp(\(x))")
        }
    }

    @Test func windowsParseFromText() {
        #expect(Window(parsing: "-600,1500") == Window(center: -600, width: 1500))
        #expect(Window(parsing: " 40 , 400 , sigmoid ") == Window(center: 40, width: 400, function: .sigmoid))
        #expect(Window(parsing: "40,0.5,LINEAR_EXACT") == Window(center: 40, width: 0.5, function: .linearExact))
        // PS3.18 §8.3.5.1.3 spells the functions linear, linear-exact and sigmoid.
        #expect(Window(parsing: "40,0.5,linear-exact") == Window(center: 40, width: 0.5, function: .linearExact))
        #expect(Window(parsing: "40,400,linear") == Window(center: 40, width: 400, function: .linear))
        #expect(Window(parsing: "40,400,sigmoid") == Window(center: 40, width: 400, function: .sigmoid))
        #expect(Window(parsing: "40,400,linear exact") == nil)
        #expect(Window(parsing: "40,400,exact") == nil)
        for bad in ["40", "40,0", "40,400,CUBIC", "a,b", "1,2,3,4", ""] { #expect(Window(parsing: bad) == nil, "\(bad)") }
    }

    @Test func windowValidity() {
        #expect(!Window(center: 0, width: 0.5).isValid)
        #expect(Window(center: 0, width: 0.5, function: .linearExact).isValid)
        #expect(!Window(center: .nan, width: 10).isValid)
        #expect(!Window(center: 0, width: 0, function: .sigmoid).isValid)
    }
}
