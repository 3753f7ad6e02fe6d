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
            let entry: APIKeyStore.Entry
            do {
                entry = try APIKeyStore.entry(line)
            } catch {
                throw CommandFailure.usage("\(error.reason)")
            }
            if let append {
                try Self.append(line, named: entry.name, to: append)
                FileHandle.standardError.write(Data("added \(name) (\(scopes)) to \(append); the key, shown only now:\n".utf8))
                print(key)
            } else {
                FileHandle.standardError.write(Data("key (shown only now) on stderr, keys-file line on stdout:\n\(key)\n".utf8))
                print(line)
            }
        }

        /// Adds the line to the keys file atomically (a new file renamed over the old, keeping its owner,
        /// group and mode; 0600 when the file is new), refusing a name the file already has.
        static func append(_ line: String, named name: String, to path: String) throws {
            let manager = FileManager.default
            let existing = manager.fileExists(atPath: path) ? (try? String(contentsOfFile: path, encoding: .utf8)) : ""
            guard let existing else { throw CommandFailure.other("cannot read \(path)") }
            do {
                let names = try APIKeyStore(parsing: existing, source: path).entries.map(\.name)
                if names.contains(name) { throw CommandFailure.usage("\(path) already has a key named \(name)") }
            } catch let error as APIKeyStore.ParseError {
                throw CommandFailure.usage("\(error)")
            }
            var attributes: [FileAttributeKey: Any] = [.posixPermissions: 0o600]
            if let current = try? manager.attributesOfItem(atPath: path) {
                for key in [FileAttributeKey.posixPermissions, .ownerAccountID, .groupOwnerAccountID] { attributes[key] = current[key] }
            }
            let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
            do {
                try Data((existing + separator + line + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                try manager.setAttributes(attributes, ofItemAtPath: path)
            } catch {
                throw CommandFailure.other("cannot write \(path): \(error.localizedDescription)")
            }
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
