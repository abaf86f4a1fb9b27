import Glibc

extension ChildProcess {
    private typealias FileActionsPointer = UnsafeMutablePointer<posix_spawn_file_actions_t>?

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) and
    /// `posix_spawn_file_actions_addchdir_np` (2.29+): GNU extensions the Glibc module does
    /// not import, found with `dlsym`.
    private static let addCloseFrom: (@convention(c) (FileActionsPointer, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (FileActionsPointer, Int32) -> Int32).self)
    }()

    private static let addChangeDirectory: (@convention(c) (FileActionsPointer, UnsafePointer<CChar>?) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (FileActionsPointer, UnsafePointer<CChar>?) -> Int32).self)
    }()

    /// Signals the child handles the default way whatever this process does with them.
    private static let defaultedSignals = [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD]

    /// Spawns the child with `/dev/null` as standard input, `output` and `errors` as standard
    /// output and error, and nothing else open.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]?, workingDirectory: String?,
                      output: Int32, errors: Int32) -> Swift.Result<pid_t, Failure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        if let workingDirectory {
            guard let addChangeDirectory, addChangeDirectory(&actions, workingDirectory) == 0 else {
                return .failure(Failure("cannot start \(executable) in \(workingDirectory): no posix_spawn_file_actions_addchdir_np"))
            }
        }
        _ = addCloseFrom?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaulted = sigset_t()
        sigemptyset(&defaulted)
        for signal in defaultedSignals { sigaddset(&defaulted, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaulted)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let result = envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            return .failure(Failure("posix_spawn \(executable) failed: \(String(cString: strerror(result)))"))
        }
        return .success(pid)
    }
}
