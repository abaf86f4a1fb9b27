import CLIKit

// The field-test CLI: a deal-card device from the shell. The command tree lives in
// CommandTree.swift; this file only picks the tree and runs it.
await CommandLineTool.main(rootCommand(forArguments: Array(CommandLine.arguments.dropFirst())))
