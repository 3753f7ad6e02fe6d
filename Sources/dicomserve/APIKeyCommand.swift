import ArgumentParser
import DicomServer
import Foundation

/// `dicomserve api-key create|hash`: makes keys for the keys file. The key is printed once and only its
/// SHA-256 is configured, so a leaked keys file grants nothing.
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key",
        abstract: "Create API keys, or hash existing ones, for --api-keys-file.",
        subcommands: [Create.self, Hash.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new key (to stderr) and its keys-file line (to stdout), or append the line with --append.",
            discussion: "Example: dicomserve api-key create --name viewer --scopes read --append /etc/dicomserve/api-keys"
        )

        @Option(help: "The key's name, as audit rows show it (letters, digits, -_.@).") var name: String
        @Option(help: "Comma-separated scopes: read, write, admin.") var scopes: String = "read"
        @Option(help: "Append the line to this keys file (created with mode 0600 if missing).") var append: String?

        func run() throws {
            let key = APIKeyStore.generateKey()
            let line = "\(name) \(scopes) \(APIKeyStore.digestHex(of: key))"
            do {
                _ = try APIKeyStore.entry(line)
            } catch {
                throw CommandFailure.usage("\(error.reason)")
            }
            if let append {
                try Self.append(line, to: append)
                FileHandle.standardError.write(Data("added \(name) (\(scopes)) to \(append); the key, shown only now:\n".utf8))
                print(key)
            } else {
                FileHandle.standardError.write(Data("key (shown only now) on stderr, keys-file line on stdout:\n\(key)\n".utf8))
                print(line)
            }
        }

        static func append(_ line: String, to path: String) throws {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw CommandFailure.other("cannot create \(path)")
                }
            }
            let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            do {
                let names = try APIKeyStore(parsing: existing, source: path).entries.map(\.name)
                let name = String(line.prefix { $0 != " " })
                if names.contains(name) { throw CommandFailure.usage("\(path) already has a key named \(name)") }
            } catch let error as APIKeyStore.ParseError {
                throw CommandFailure.usage("\(error)")
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CommandFailure.other("cannot write \(path)") }
            defer { try? handle.close() }
            handle.seekToEndOfFile()
            let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
            handle.write(Data((separator + line + "\n").utf8))
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the SHA-256 (hex) of a key read from stdin.")

        func run() throws {
            guard let key = readLine(strippingNewline: true), !key.isEmpty else { throw CommandFailure.usage("no key on stdin") }
            print(APIKeyStore.digestHex(of: key))
        }
    }
}
