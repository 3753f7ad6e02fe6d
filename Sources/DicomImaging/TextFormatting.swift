// Small formatting helpers for keys and messages (the module imports nothing, not even Foundation).

extension Double {
    /// "40" rather than "40.0", for keys and messages.
    var compact: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\0" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        return String(scalars)
    }
}
