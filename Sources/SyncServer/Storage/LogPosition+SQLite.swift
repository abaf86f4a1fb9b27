import SQLiteKit
import SyncProtocol

/// Log positions in the relay's SQL: the `INTEGER` of the column, the type everywhere else.
extension SQLiteValue {
    static func position(_ position: LogPosition) -> SQLiteValue { .integer(position.rawValue) }
}

extension Statement {
    /// Column `index` as a log position.
    func position(at index: Int) -> LogPosition { LogPosition(int64(at: index)) }
}
