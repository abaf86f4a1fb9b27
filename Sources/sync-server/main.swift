import Foundation
import SyncServer

// The relay is built in issue 5; until then this executable says so plainly and fails.
FileHandle.standardError.write("\(SyncServerInfo.name) \(SyncServerInfo.version): the relay is not part of this build yet.\n".data(using: .utf8)!)
exit(2)
