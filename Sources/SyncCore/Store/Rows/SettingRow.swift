import CRDT
import SQLiteKit
/// One row of the `settings` table: a value the store keeps about itself, written once when
/// the store is created (the device's identity, a dealer group's schema).
struct SettingRow: Equatable {
    /// The setting's name.
    var key: Key
    /// Its value as text (JSON for both settings there are).
    var value: String

    /// The settings a store keeps.
    enum Key: String {
        /// The device identity, as JSON.
        case identity
        /// The dealer group's schema file, canonical JSON; absent for the standard schema.
        case schema
    }

    /// Stores the setting.
    ///
    /// - Throws: ``StoreError/constraint(_:)`` when the store already has this setting (a store
    ///   is set up once); ``StoreError/database(_:)`` when SQLite refuses the write.
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("setting \(key.rawValue) (the store already has one; settings are written once, when the store is created)")) {
            try db.execute("INSERT INTO settings(key, value) VALUES (?, ?)", arguments: [.text(key.rawValue), .text(value)])
        }
    }

    /// The setting's value, or nil when the store has none.
    ///
    /// - Throws: ``StoreError/database(_:)`` when it cannot be read.
    static func value(_ key: Key, in db: SQLiteDatabase) throws(StoreError) -> String? {
        try StoreRows.read {
            try db.query("SELECT value FROM settings WHERE key = ?", [.text(key.rawValue)]) { $0.string(at: 0) }.first
        }
    }
}
