import Foundation

/// Every process a test starts (servers, Redis, nginx, scripts, and what they start in turn) dies with
/// the test process, also when it crashes: `run(_:)` marks the child's environment with this run's
/// pid (`DSTEST_RUN`, inherited by grandchildren such as nginx workers or chromium), and a small
/// watcher, started once per run outside the test process, kills every marked process when that pid
/// is gone. The first call also kills what an earlier run left behind (a marker whose pid is dead).
///
/// A death signal (`PR_SET_PDEATHSIG`) would not do: Linux sends it when the *thread* that started the
/// child ends, and the threads tests run on come and go.
public enum TestChildren {
    /// The marker's variable; its value is the pid of the test process that owns the child.
    public static let variable = "DSTEST_RUN"

    /// Starts `process` marked as this run's (its environment, or the test process's, plus the marker).
    public static func run(_ process: Process) throws {
        _ = watcher
        var environment = process.environment ?? ProcessInfo.processInfo.environment
        environment[variable] = owner
        process.environment = environment
        try process.run()
        record(process.processIdentifier)
    }

    /// Children whose environment cannot be read back (redis-server rewrites that memory for its process
    /// title) are found by pid: each child's pid and start time go to the run's file, and only a process
    /// with both is killed, never another that reused the pid.
    private static let pidFile = NSTemporaryDirectory() + "dicomserve-tests-\(owner).pids"
    private static let recording = NSLock()

    private static func record(_ pid: Int32) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 20
        else { return }
        let line = "\(pid) \(fields[19])\n"  // field 22 of stat: the start time, counted after the ")"
        recording.lock()
        defer { recording.unlock() }
        if !FileManager.default.fileExists(atPath: pidFile) { _ = FileManager.default.createFile(atPath: pidFile, contents: nil) }
        if let handle = FileHandle(forWritingAtPath: pidFile) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        }
    }

    /// What a program printed and how it ended.
    public struct Finished: Sendable {
        public var status: Int32
        public var output: Data
        public var error: Data
        /// It was still running at the deadline and was killed (`status` is then the signal's).
        public var timedOut: Bool
    }

    /// Runs a program to its end, but never longer than `deadline`: a regression that makes it serve
    /// instead of refusing (a server started by mistake) or hang fails the test instead of the suite.
    /// Output goes to files, not pipes, so neither stream can block the program while the other is read.
    public static func runToEnd(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        directory: String? = nil,
        standardInput: Data? = nil,
        deadline: Duration = .seconds(120)
    ) throws -> Finished {
        let scratch = NSTemporaryDirectory() + "dicomserve-run-\(UUID().uuidString)"
        defer { for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } }
        _ = FileManager.default.createFile(atPath: scratch + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: scratch + ".err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
        if let standardInput {
            _ = FileManager.default.createFile(atPath: scratch + ".in", contents: standardInput)
            process.standardInput = FileHandle(forReadingAtPath: scratch + ".in")
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try run(process)
        let end = ContinuousClock.now + deadline
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return Finished(
            status: process.terminationStatus,
            output: FileManager.default.contents(atPath: scratch + ".out") ?? Data(),
            error: FileManager.default.contents(atPath: scratch + ".err") ?? Data(),
            timedOut: timedOut
        )
    }

    private static let owner = String(ProcessInfo.processInfo.processIdentifier)

    /// Kills what `$1`'s run started: every process whose environment holds the marker, and every
    /// pid in the run's file whose start time still matches.
    private static let killMarked = #"""
        kill_run() {
          for environ in /proc/[0-9]*/environ; do
            if grep -qz "^DSTEST_RUN=$1\$" "$environ" 2>/dev/null; then
              pid=${environ#/proc/}; kill -KILL "${pid%/environ}" 2>/dev/null
            fi
          done
          pids="$TMPDIR_/dicomserve-tests-$1.pids"
          if [ -f "$pids" ]; then
            while read -r pid started; do
              now=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20)
              [ -n "$now" ] && [ "$now" = "$started" ] && kill -KILL "$pid" 2>/dev/null
            done < "$pids"
            rm -f "$pids"
          fi
        }
        """#

    /// Reaps earlier runs' leftovers, then starts the watcher of this run (in the background: it
    /// outlives us).
    private static let watcher: Void = {
        let script =
            killMarked + #"""

                runs=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' | sed -n 's/^DSTEST_RUN=//p')
                files=$(ls "$TMPDIR_" 2>/dev/null | sed -n 's/^dicomserve-tests-\([0-9]*\)\.pids$/\1/p')
                for run in $(printf '%s\n' $runs $files | sort -u); do
                  kill -0 "$run" 2>/dev/null || kill_run "$run"
                done
                # The watcher closes what it inherited (Foundation waits for its child's descriptors to close,
                # not only for its exit) and ignores the signals that end a run (Ctrl-C reaches the group).
                (
                  for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
                  trap '' HUP INT TERM
                  while kill -0 "$OWNER" 2>/dev/null; do sleep 0.5; done
                  kill_run "$OWNER"
                ) </dev/null >/dev/null 2>&1 &
                """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        // The watcher itself is unmarked, so that it is not among what it kills.
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = nil
        environment["OWNER"] = owner
        var temporary = NSTemporaryDirectory()
        while temporary.hasSuffix("/") { temporary.removeLast() }
        environment["TMPDIR_"] = temporary
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()  // the reaping; the watcher loop runs on in the background
        } catch {
            FileHandle.standardError.write(Data("TestChildren: cannot start the watcher: \(error)\n".utf8))
        }
    }()
}
