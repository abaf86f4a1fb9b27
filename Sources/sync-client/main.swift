import SyncCore
import Foundation

// The field-test CLI is built in issue 7; until then this executable says so plainly and fails.
FileHandle.standardError.write("sync-client \(SyncCoreVersion.string): the CLI is not part of this build yet.\n".data(using: .utf8)!)
exit(2)
