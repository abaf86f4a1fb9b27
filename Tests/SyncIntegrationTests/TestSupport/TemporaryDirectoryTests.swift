import Foundation
import Testing
import TestSupport

/// A test's temporary folder: created empty, removed when released, kept when asked.
@Suite("Temporary folders")
struct TemporaryDirectoryTests {
    @Test func aFolderIsCreatedEmptyAndRemovedWithItsFiles() throws {
        var path = ""
        do {
            let directory = try TemporaryDirectory(prefix: "sync-folder-test")
            path = directory.path
            #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
            #expect(URL(fileURLWithPath: path).lastPathComponent.hasPrefix("sync-folder-test-"))
            try writeFile(directory.file("a"), [1, 2, 3])
            #expect(try contentsOfFile(directory.file("a")) == [1, 2, 3])
        }
        #expect(!path.isEmpty && !FileManager.default.fileExists(atPath: path))
    }

    @Test func aKeptFolderStays() throws {
        var path = ""
        do {
            let directory = try TemporaryDirectory()
            path = directory.path
            try writeFile(directory.file("evidence"), [42])
            directory.keep()
        }
        #expect(FileManager.default.fileExists(atPath: path + "/evidence"))
        try FileManager.default.removeItem(atPath: path)
    }
}
