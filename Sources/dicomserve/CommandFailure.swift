/// A failure to report on one line and exit with `exitCode`.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    var description: String { message }

    /// Exit 3: the input file is unreadable or unsupported.
    static func unusableInput(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 3) }
    /// Exit 2: the arguments are wrong.
    static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 2) }
    /// Exit 4: the environment refuses (the port is taken or not allowed).
    static func environment(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 4) }
    /// Exit 1: anything else (e.g. the output cannot be written).
    static func other(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 1) }
}
