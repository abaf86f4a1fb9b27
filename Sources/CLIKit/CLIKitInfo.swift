public enum CLIKitInfo { public static let name = "CLIKit" }
