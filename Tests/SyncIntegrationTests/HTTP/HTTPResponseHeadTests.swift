import Testing
@testable import HTTP1

/// The response head as the server writes it: status line, the handler's fields, `Date`,
/// framing, `Connection`.
struct HTTPResponseHeadTests {
    @Test func theHeadIsTheStatusLineTheFieldsAndTheFraming() {
        let head = HTTPResponseEncoder.head(
            status: .ok, headers: ["Content-Type": "application/json", "Content-Length": "999", "Connection": "keep-alive"],
            framing: .length(42), close: false, date: "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: head, as: UTF8.self) == """
            HTTP/1.1 200 OK\r
            Content-Type: application/json\r
            Date: Sun, 06 Nov 1994 08:49:37 GMT\r
            Content-Length: 42\r
            \r

            """)
        let closing = HTTPResponseEncoder.head(status: .notFound, headers: ["Date": "then"], framing: .chunked, close: true, date: "now")
        #expect(String(decoding: closing, as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nDate: then\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    }

    @Test(arguments: ["a\r\nInjected: yes", "a\rInjected: yes", "a\nInjected: yes", "a\n\rInjected: yes"])
    func aFieldValueCannotSmuggleInAnotherField(value: String) {
        let head = HTTPResponseEncoder.head(status: .ok, headers: ["X-Note": value, "X-\r\nBad:": "v"], framing: .length(0), close: false, date: "now")
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.contains("X-Note: aInjected: yes"))
        #expect(lines.contains("X-Bad: v"))
        #expect(!lines.contains { $0.hasPrefix("Injected") })
        #expect(head.filter { $0 == 0x0A }.count == 6, "one LF a line: status, two fields, Date, Content-Length, the empty line")
    }
}
