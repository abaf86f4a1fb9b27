import CLIKit

/// `deal list`: every deal in the store.
func dealListCommand() -> Command {
    Command(
        name: "list", abstract: "List the deals in the store.",
        options: [storeOption, jsonFlag],
        run: { parsed in
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let summaries = try await store.deals()
                terminal.write(parsed.flag("json")
                    ? ClientJSON.text(ClientJSON.summaries(summaries, schema: store.schema))
                    : summaryTable(summaries, terminal: terminal))
            }
        })
}

/// `deal show`: one card, grouped by stage.
func dealShowCommand() -> Command {
    Command(
        name: "show", abstract: "Show a deal card: fields by stage, conflicts.",
        discussion: """
            With --json the card is printed canonically: two devices that have seen the
            same changes print the same bytes.
            """,
        arguments: [dealArgument], options: [storeOption, jsonFlag],
        run: { parsed in
            let deal = try dealID(parsed)
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let view = try await CardView.load(deal, from: store)
                terminal.write(parsed.flag("json") ? ClientJSON.text(ClientJSON.card(view)) : CardText(view: view, terminal: terminal).render())
            }
        })
}

/// `deal history`: who changed what, where and when.
func dealHistoryCommand() -> Command {
    Command(
        name: "history", abstract: "Show who changed what, where and when.",
        arguments: [dealArgument], options: [storeOption, jsonFlag],
        run: { parsed in
            let deal = try dealID(parsed)
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let history = try await store.history(deal)
                terminal.write(parsed.flag("json") ? ClientJSON.text(ClientJSON.history(history)) : historyText(history, terminal: terminal))
            }
        })
}

/// `deal conflicts`: the fields holding concurrent values.
func dealConflictsCommand() -> Command {
    Command(
        name: "conflicts", abstract: "Show the fields holding concurrent values.",
        arguments: [dealArgument], options: [storeOption, jsonFlag],
        run: { parsed in
            let deal = try dealID(parsed)
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let card = try await store.card(deal)
                terminal.write(parsed.flag("json")
                    ? ClientJSON.text(ClientJSON.conflicts(card.conflicts))
                    : ConflictText(card: card, schema: store.schema, terminal: terminal).render().joined(separator: "\n") + "\n")
            }
        })
}
