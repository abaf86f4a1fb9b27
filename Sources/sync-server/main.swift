import CLIKit
import DealCardKit
import SyncServer
import Foundation

// The relay's command line. The work lives in SyncServer (`RelayServer`, `TokenCommands`);
// this file only declares the commands and prints.

/// Writes `text` to standard output or error at once (no buffering, so lines keep their order).
func emit(_ text: String, to handle: FileHandle = .standardOutput) {
    handle.write(Data(text.utf8))
}

/// Runs `body`, turning a bad option value into a usage error (exit 64).
func validating<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as TokenCommandError {
        throw ValidationError(error.description)
    }
}

let data = Option.option(
    "data", value: "dir", help: "The relay's data folder (relay.sqlite and its lock).", default: "./sync-data",
    environment: "SYNC_SERVER_DATA")

let postgres = Option.option(
    "postgres", value: "url",
    help: "Keep the data in this PostgreSQL database instead of --data (postgresql://user@host/db or a libpq connection string); any number of relays may serve one database. Needs a build with --traits PostgreSQL.",
    environment: "SYNC_SERVER_POSTGRES")

let issue = Command(
    name: "issue", abstract: "Issue a token and print it (shown only once).",
    discussion: """
        The token is printed alone on standard output; the relay keeps only its hash.
        A summary of what was issued goes to standard error.
        """,
    examples: [
        Example("A sales manager's token for his PC", "sync-server token issue --user anna --role sales --dealership north --device pc-1"),
        Example("A buyer's token for one deal, valid 12 hours", "sync-server token issue --user boris --role buyer --dealership north --deal d-42 --expires 12h"),
    ],
    options: [
        data,
        postgres,
        .option("user", value: "name", help: "The user the token speaks for.", isRequired: true),
        .option("role", help: "The role every change is checked against.", isRequired: true,
                allowedValues: Role.allCases.map(\.rawValue)),
        .option("dealership", value: "id", help: "The dealership whose deals the token reaches.", isRequired: true),
        .option("device", value: "id", help: "Bind the token to one device."),
        .option("deal", value: "id", help: "Limit the token to one deal."),
        .option("expires", value: "duration", help: "Lifetime: a number followed by d, h or m.", default: "30d"),
        .flag("relay", help: "A token for a downstream relay (a showroom) that forwards its devices' changes."),
    ],
    run: { parsed in
        let options = TokenCommands.IssueOptions(
            dataDirectory: parsed.option("data")!, user: parsed.option("user")!, role: parsed.option("role")!,
            dealership: parsed.option("dealership")!, device: parsed.option("device"), deal: parsed.option("deal"),
            expires: parsed.option("expires")!, relay: parsed.flag("relay"), postgres: parsed.option("postgres"))
        let issued = try validating { try TokenCommands.issue(options) }
        emit(issued.secret.text + "\n")
        emit(TokenCommands.issuedSummary(issued.record), to: .standardError)
    })

let list = Command(
    name: "list", abstract: "List issued tokens (never the secrets).",
    examples: [Example("Every token as JSON", "sync-server token list --json")],
    options: [data, postgres, .flag("json", help: "Print a JSON array instead of a table.")],
    run: { parsed in
        let tokens = try TokenCommands.list(dataDirectory: parsed.option("data")!, postgres: parsed.option("postgres"))
        emit(parsed.flag("json") ? TokenCommands.json(tokens) : TokenCommands.table(tokens))
    })

let revoke = Command(
    name: "revoke", abstract: "Revoke a token; it stops working at the next request.",
    examples: [Example("Revoke a lost tablet's token", "sync-server token revoke tok_1f2e3d4c")],
    arguments: [Argument("id", help: "The token's id, as shown by 'sync-server token list'.")],
    options: [data, postgres],
    run: { parsed in
        let record = try TokenCommands.revoke(dataDirectory: parsed.option("data")!, postgres: parsed.option("postgres"),
                                              id: parsed.argument("id")!)
        emit("revoked \(record.id) (\(record.user), \(record.role.rawValue))\n", to: .standardError)
    })

let token = Command(
    name: "token", abstract: "Issue, list and revoke bearer tokens.",
    subcommands: [issue, list, revoke])

let serve = Command(
    name: "serve", abstract: "Run the relay.",
    discussion: """
        Prints the URL it listens on as one line on standard output once it accepts
        connections, and logs one JSON object per line on standard error.
        SIGTERM or SIGINT stops it gracefully: no new connections, in-flight requests
        finish, the store is closed.
        """,
    examples: [
        Example("Listen on every interface", "sync-server serve --data /var/lib/sync --host 0.0.0.0 --port 8080"),
        Example("One of several nodes over a shared database", "sync-server serve --postgres postgresql://relay@db/dealsync --port 8081"),
    ],
    options: [
        data,
        postgres,
        .option("host", help: "The address to listen on.", default: "127.0.0.1"),
        .option("port", help: "The TCP port; 0 picks a free one.", default: "8080"),
        .option("upstream", value: "url", help: "Sync with this upstream relay as a showroom relay."),
        .option("upstream-token", value: "token", help: "The relay token the upstream relay issued (token issue --relay)."),
        .option("schema", value: "file", help: "A dealer group's schema file (JSON) extending the built-in deal card."),
    ],
    run: { parsed in
        guard let port = try parsed.option("port", as: UInt16.self) else { throw ExitCode.usage }
        var upstream: UpstreamConfiguration?
        switch (parsed.option("upstream"), parsed.option("upstream-token")) {
        case (nil, nil): break
        case (let url?, let token?):
            guard let parsedURL = URL(string: url), parsedURL.scheme == "http", parsedURL.host != nil else {
                throw ValidationError("invalid value '\(url)' for '--upstream <url>': expected an http:// URL such as http://group-relay:8080")
            }
            upstream = UpstreamConfiguration(url: parsedURL, token: token)
        default:
            throw ValidationError("'--upstream <url>' and '--upstream-token <token>' go together")
        }
        let schema = try schemaOption(parsed)
        let configuration = RelayServer.Configuration(
            dataDirectory: parsed.option("data")!, host: parsed.option("host")!, port: Int(port), upstream: upstream, schema: schema,
            postgres: parsed.option("postgres"))
        let server = try RelayServer(configuration: configuration)
        let url = try server.start()
        emit(url + "\n")
        await server.runUntilShutdownSignal()
    })

/// The deal card of `--schema FILE`, or the built-in one.
func schemaOption(_ parsed: ParsedCommand) throws -> DealSchema {
    guard let file = parsed.option("schema") else { return .standard }
    guard let bytes = FileManager.default.contents(atPath: file) else {
        throw ValidationError("cannot read '--schema \(file)': no such file or not readable")
    }
    do {
        return try DealSchema(extending: .standard, file: [UInt8](bytes))
    } catch {
        throw ValidationError("'--schema \(file)' is not a valid schema file: \(error)")
    }
}

let compact = Command(
    name: "compact", abstract: "Fold old history into base snapshots (frees the log).",
    discussion: """
        Every deal document with changes received longer ago than --older-than gets a base: a
        shallow snapshot of its state and of its later changes; those older log entries are
        deleted. Devices whose cursor is behind are told to sync again from cursor 0 (409
        history_compacted) and re-make their edits made before the horizon. Runs beside a
        serving relay. Prints a JSON report on standard output.
        """,
    examples: [Example("Compact what is older than 90 days", "sync-server compact --data /var/lib/sync --older-than 90d")],
    options: [
        data,
        postgres,
        .option("older-than", value: "duration", help: "Compact changes received longer ago than this: a number followed by d, h or m.",
                isRequired: true),
        .option("schema", value: "file", help: "The schema file the relay serves with (what a card reads from old changes is kept)."),
    ],
    run: { parsed in
        let text = parsed.option("older-than")!
        guard let age = try? TokenLifetime(parsing: text) else {
            throw ValidationError("invalid value '\(text)' for '--older-than <duration>'; expected a whole number followed by d, h or m, such as 90d, 12h or 45m (at most 3660d)")
        }
        let report = try await CompactionCommand.run(dataDirectory: parsed.option("data")!, postgres: parsed.option("postgres"), olderThan: age, schema: try schemaOption(parsed))
        emit(CompactionCommand.json(report) + "\n")
        emit("compacted \(report.documents) documents through log position \(report.through): \(report.entriesRemoved) log entries removed, \(report.bytesBefore) → \(report.bytesAfter) bytes\n", to: .standardError)
    })

let root = Command(
    name: "sync-server", abstract: "The deal-card sync relay: a durable change log with auth, over HTTP.",
    version: "\(SyncServerInfo.name) \(SyncServerInfo.version)",
    examples: [
        Example("Issue a token, then serve", "sync-server token issue --user anna --role sales --dealership north && sync-server serve"),
    ],
    subcommands: [serve, token, compact])

await CommandLineTool.main(root)
