import CLIKit
import CanonicalJSON
import DealCardKit

/// `deal new`: creates a deal and prints its id alone, for `$(sync-client deal new)`.
func dealNewCommand() -> Command {
    Command(
        name: "new", abstract: "Start a deal and print its id.",
        examples: [Example("A deal with a model and trim", "sync-client deal new --set vehicle.model=Camry --set vehicle.trim=Prestige")],
        options: [
            storeOption,
            .option("set", value: "path=value", help: "An initial value, parsed by the field's type; repeatable.", isRepeatable: true),
        ],
        run: { parsed in
            var assignments: [(path: String, text: String)] = []
            for assignment in parsed.options("set") {
                guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                    throw ValidationError("invalid value '\(assignment)' for '--set <path=value>': expected PATH=VALUE, e.g. vehicle.model=Camry")
                }
                assignments.append((String(assignment[..<equals]), String(assignment[assignment.index(after: equals)...])))
            }
            let deal = try await withStore(parsed) { store in
                var values: [String: FieldValue] = [:]
                for (path, text) in assignments {
                    values[path] = try parseValue(text, for: fieldSpec(path, in: store.schema))
                }
                return try await store.createDeal(values: values)
            }
            Terminal.current().write(deal.rawValue + "\n")
        })
}

/// `deal set`: sets one field from text.
func dealSetCommand() -> Command {
    Command(
        name: "set", abstract: "Set a field to a value typed as text.",
        discussion: "The value is parsed by the field's type: money as '2 330 000' or '2330000.50',\ndates as YYYY-MM-DD, a list as a JSON array of records.",
        examples: [Example("Set the price", "sync-client deal set d-7k2m9x4qpa3c vehicle.price '2 330 000'")],
        arguments: [dealArgument, Argument("field", help: "The field's path, e.g. vehicle.price."),
                    Argument("value", help: "The new value.")],
        options: [storeOption],
        run: { parsed in try await setField(parsed, resolving: false) })
}

/// `deal resolve`: writes the value that should stand for a conflicted field.
func dealResolveCommand() -> Command {
    Command(
        name: "resolve", abstract: "Resolve a conflict with the value that should stand.",
        discussion: "Resolving is an ordinary write that supersedes every concurrent value of the\nfield.",
        arguments: [dealArgument, Argument("field", help: "The conflicted field's path (see 'deal conflicts')."),
                    Argument("value", help: "The value that should stand.")],
        options: [storeOption],
        run: { parsed in try await setField(parsed, resolving: true) })
}

/// The work of `deal set` and `deal resolve`.
private func setField(_ parsed: ParsedCommand, resolving: Bool) async throws {
    let deal = try dealID(parsed)
    let path = parsed.argument("field")!, text = parsed.argument("value")!
    let terminal = Terminal.current()
    if resolving, path.contains("[") {
        throw ClientError("\(path) is a sub-field of a list record; records cannot be edited in place yet: "
                          + "remove the record ('deal remove') and add it again with the right value ('deal add')")
    }
    try await withStore(parsed) { store in
        let spec = try fieldSpec(path, in: store.schema)
        let value = try parseValue(text, for: spec)
        let hadConflict = try await store.card(deal).conflicts[path] != nil
        if resolving {
            try await store.resolve(deal, path, value)
        } else {
            try await store.set(deal, path, value)
        }
        terminal.write("\(path) = \(value.displayText)\n")
        if resolving, !hadConflict {
            terminal.writeError("note: \(path) had no conflict; the value was set\n")
        } else if !resolving, hadConflict {
            terminal.writeError("note: this resolved the conflict on \(path)\n")
        }
    }
}

/// `deal add`: appends a record to a list field.
func dealAddCommand() -> Command {
    Command(
        name: "add", abstract: "Add a record to a list field.",
        examples: [Example("Add an accessory", #"sync-client deal add d-7k2m9x4qpa3c vehicle.accessories '{"title":"Mats","quantity":2,"price":"15 000"}'"#)],
        arguments: [dealArgument, Argument("list", help: "The list field's path, e.g. vehicle.accessories."),
                    Argument("json", help: "The record: a JSON object of sub-fields, typed by the schema.")],
        options: [storeOption],
        run: { parsed in
            let deal = try dealID(parsed)
            let path = parsed.argument("list")!
            let json: SchemaJSON
            do { json = try SchemaJSON(parsing: parsed.argument("json")!) } catch {
                throw ValidationError("invalid value for '<json>': \(error)")
            }
            guard case .object = json else {
                throw ValidationError("invalid value for '<json>': expected one record as a JSON object, got \(json.kindDescription)")
            }
            try await withStore(parsed) { store in
                let spec = try fieldSpec(path, in: store.schema)
                guard let subFields = spec.type.recordFields else {
                    let lists = store.schema.fields.filter { $0.type.recordFields != nil }.map(\.path)
                    throw ClientError("\(path) is a \(spec.type.name) field, not a list; lists: " + lists.joined(separator: ", "))
                }
                guard case .record(let record) = try spec.value(json: json) else {
                    throw ClientError("\(path): expected one record with sub-fields " + subFields.map(\.name).joined(separator: ", "))
                }
                let index = try await store.addRecord(deal, path, record)
                Terminal.current().write("added \(path)[\(index)]\n")
            }
        })
}

/// `deal remove`: removes a record of a list field by index.
func dealRemoveCommand() -> Command {
    Command(
        name: "remove", abstract: "Remove a record of a list field by its index.",
        arguments: [dealArgument, Argument("list", help: "The list field's path."),
                    Argument("index", help: "The record's index, from 0, as 'deal show' prints it.")],
        options: [storeOption],
        run: { parsed in
            let deal = try dealID(parsed)
            let path = parsed.argument("list")!
            guard let index = try parsed.argument("index", as: Int.self), index >= 0 else {
                throw ValidationError("invalid value '\(parsed.argument("index")!)' for '<index>': expected an index from 0")
            }
            try await withStore(parsed) { store in
                _ = try fieldSpec(path, in: store.schema)
                try await store.removeRecord(deal, path, at: index)
                Terminal.current().write("removed \(path)[\(index)]\n")
            }
        })
}

/// `deal say`: posts a chat message.
func dealSayCommand() -> Command {
    Command(
        name: "say", abstract: "Post a message to the deal's conversation.",
        arguments: [dealArgument, Argument("text", help: "The message.")],
        options: [storeOption],
        run: { parsed in
            let deal = try dealID(parsed)
            try await withStore(parsed) { store in
                try await store.post(deal, parsed.argument("text")!)
                Terminal.current().write("message posted as \(store.identity.user)\n")
            }
        })
}

/// `deal skip` and `deal resume`: marks a stage skipped, or resumes it with its values kept.
func dealSkipCommand(skipping: Bool) -> Command {
    Command(
        name: skipping ? "skip" : "resume",
        abstract: skipping ? "Skip or postpone a stage; its values are kept." : "Resume a skipped stage with its values.",
        arguments: [dealArgument, Argument("stage", help: "The stage: " + Stage.allCases.map(\.rawValue).joined(separator: ", ") + ".")],
        options: [storeOption],
        run: { parsed in
            let deal = try dealID(parsed)
            let stage = try stage(named: parsed.argument("stage")!, argument: "stage")
            try await withStore(parsed) { store in
                try await store.skip(deal, stage, skipping, document: stage.skipDocument(in: store.schema))
                Terminal.current().write("\(stage.rawValue) \(skipping ? "skipped" : "resumed")\n")
            }
        })
}

/// A failure of a command that is not a usage error: printed as `error: <message>`, exit 1.
struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
