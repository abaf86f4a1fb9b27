import Foundation

/// The hidden `sync-bench watch-fanout --port P --token T --count N --wait S` mode: the
/// relay suite's live watchers, each a connection long-polling `POST /v1/sync`, in a process
/// of their own so that they share neither the relay's threads nor its descriptor limit.
///
/// Speaks by lines: prints `connected K` once its connections are open; on `arm C` sends a
/// long-poll at cursor C on every connection, prints `armed` and reads every answer, noting
/// when each one was complete (CLOCK_MONOTONIC); on `pushed T` (when the parent sent its
/// push, same clock) prints one JSON line: `answers`, `ok` (status 200), `with_change`,
/// `distinct_bodies`, `cursor` (of the first answer) and `latencies_us` (each answer's time
/// after T). Closes everything when standard input closes.
enum FanOutWatchers {
    /// One connection's answer being read.
    private struct Reading {
        /// Bytes of an answer read in more than one piece, so far.
        var pending: [UInt8] = []
        var completedAt: UInt64?
        var status = 0
        var body: [UInt8] = []
        var failed = false
    }

    static func run(port: Int, token: String, count: Int, wait: Int) -> Int32 {
        raiseFileDescriptorLimit()
        // A parent that forgets us must not leave the sockets open forever.
        alarm(900)
        var sockets: [Int32] = []
        sockets.reserveCapacity(count)
        for _ in 0..<count {
            guard case .success(let fd) = IdleConnector.connectLoopback(port: port) else { break }
            sockets.append(fd)
        }
        emit("connected \(sockets.count)")
        guard let epoll = try? BenchEpoll() else { return 1 }
        defer { epoll.close() }
        for (index, fd) in sockets.enumerated() { try? epoll.watch(fd, tag: UInt64(index)) }
        while let line = readLine() {
            let words = line.split(separator: " ")
            guard words.count == 2, words[0] == "arm", let cursor = Int64(words[1]) else { break }
            let body = #"{"protocol": 1, "cursor": \#(cursor), "push": [], "wait": \#(wait)}"#
            let request = Array(("POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
            var readings = [Reading](repeating: Reading(), count: sockets.count)
            for (index, fd) in sockets.enumerated() where !writeAll(fd, request) { readings[index].failed = true }
            emit("armed")
            collect(&readings, sockets: sockets, epoll: epoll, seconds: wait + 15)
            guard let pushed = readLine()?.split(separator: " "), pushed.count == 2, pushed[0] == "pushed",
                  let sentAt = UInt64(pushed[1]) else { break }
            emit(summary(readings, sentAt: sentAt))
        }
        for fd in sockets { close(fd) }
        return 0
    }

    /// Reads until every connection has a complete answer (or failed), at most `seconds`.
    private static func collect(_ readings: inout [Reading], sockets: [Int32], epoll: BenchEpoll, seconds: Int) {
        let deadline = monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
        var open = readings.filter { !$0.failed }.count
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while open > 0 && monotonicNanoseconds() < deadline {
            for tag in epoll.ready(milliseconds: 100) {
                let index = Int(tag)
                guard readings[index].completedAt == nil, !readings[index].failed else {
                    // An answer after the one awaited, or a closed connection: drain it.
                    _ = read(sockets[index], &buffer, buffer.count)
                    continue
                }
                let got = read(sockets[index], &buffer, buffer.count)
                let readAt = monotonicNanoseconds()
                if got <= 0 {
                    readings[index].failed = true
                    open -= 1
                    continue
                }
                // Most answers come in one read: framed straight from the read buffer.
                let framed: (status: Int, body: [UInt8])?
                if readings[index].pending.isEmpty {
                    framed = buffer.withUnsafeBufferPointer { frame(UnsafeBufferPointer(rebasing: $0[0..<got])) }
                    if framed == nil { readings[index].pending = Array(buffer[0..<got]) }
                } else {
                    readings[index].pending += buffer[0..<got]
                    framed = readings[index].pending.withUnsafeBufferPointer { frame($0) }
                }
                if let framed {
                    readings[index].completedAt = readAt
                    readings[index].status = framed.status
                    readings[index].body = framed.body
                    readings[index].pending = []
                    open -= 1
                }
            }
        }
    }

    /// The status and body of a whole answer in `bytes` (framed by `Content-Length`), nil
    /// while it is incomplete. Reads the head as bytes: this process shares the machine with
    /// the relay it measures, so it must cost little.
    private static func frame(_ bytes: UnsafeBufferPointer<UInt8>) -> (status: Int, body: [UInt8])? {
        guard let headEnd = find([13, 10, 13, 10], in: bytes), bytes.count > 12 else { return nil }
        let status = bytes[9..<12].reduce(0) { $0 * 10 + Int($1) - 48 }
        let name = Array("\r\ncontent-length:".utf8)
        var length = 0
        var index = 0
        search: while index + name.count <= headEnd {
            for offset in 0..<name.count where bytes[index + offset] | (offset > 1 ? 0x20 : 0) != name[offset] {
                index += 1
                continue search
            }
            var digit = index + name.count
            while bytes[digit] == 0x20 { digit += 1 }
            while (48...57).contains(bytes[digit]) {
                length = length * 10 + Int(bytes[digit]) - 48
                digit += 1
            }
            break
        }
        let bodyStart = headEnd + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return (status, Array(bytes[bodyStart..<(bodyStart + length)]))
    }

    /// Where `pattern` first starts in `bytes`, found byte by byte (the generic
    /// `firstRange(of:)` costs more than the relay spends on an answer).
    private static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        outer: for start in 0...(bytes.count - pattern.count) {
            for offset in 0..<pattern.count where bytes[start + offset] != pattern[offset] { continue outer }
            return start
        }
        return nil
    }

    private static func summary(_ readings: [Reading], sentAt: UInt64) -> String {
        let answered = readings.filter { $0.completedAt != nil }
        let ok = answered.filter { $0.status == 200 }
        let noChange = Array(#""changes":[]"#.utf8)
        let withChange = ok.filter { answer in answer.body.withUnsafeBufferPointer { find(noChange, in: $0) == nil } }
        var cursor: Int64 = -1
        if let first = ok.first, let object = try? JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any],
           let value = object["cursor"] as? NSNumber {
            cursor = value.int64Value
        }
        let latencies = answered.map { Int64(bitPattern: $0.completedAt! &- sentAt) / 1_000 }
        return jsonLine([
            "answers": answered.count, "ok": ok.count, "with_change": withChange.count, "failed": readings.filter(\.failed).count,
            "distinct_bodies": Set(ok.map(\.body)).count, "cursor": cursor, "latencies_us": latencies,
        ])
    }

    /// Writes all of `bytes` to the blocking socket `fd`; false when it fails.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard wrote > 0 else { return false }
            sent += wrote
        }
        return true
    }

    /// Writes one line to standard output at once (unbuffered).
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
