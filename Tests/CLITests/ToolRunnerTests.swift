// The runner every CLI test uses must not deadlock on a tool that writes a
// lot to stderr before it writes (or closes) stdout.

import Testing

@Suite(.timeLimit(.minutes(1))) struct ToolRunnerTests {
    /// 1 MiB on stderr, then a line on stdout: with stdout read to its end
    /// before stderr, the child blocks on the full stderr pipe (64 KiB) and
    /// the runner waits for a stdout EOF that never comes.
    @Test("a full stderr pipe does not deadlock the runner")
    func chattyStderr() throws {
        let result = try ToolRunner.run(executable: "/bin/sh",
                                        ["-c", "head -c 1048576 /dev/zero | tr '\\0' e >&2; echo done"])
        #expect(result.status == 0)
        #expect(result.stdout == "done\n")
        #expect(result.stderr.utf8.count == 1_048_576)
        #expect(result.stderr.utf8.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    @Test("a full stdout pipe with stderr open does not deadlock either")
    func chattyStdout() throws {
        let result = try ToolRunner.run(executable: "/bin/sh",
                                        ["-c", "head -c 1048576 /dev/zero >&1; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout.utf8.count == 1_048_576)
        #expect(result.stderr == "err\n")
    }
}
