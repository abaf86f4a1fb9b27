#if canImport(Glibc)
import Dispatch
import Glibc

/// Dispatch signal sources that run an action once on the first of some signals.
///
/// The signals' default dispositions are set to ignore (so the process survives long
/// enough to shut down); ``cancel()`` removes the sources but leaves them ignored.
public final class HTTPShutdownSignalHandlers: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let queue = DispatchQueue(label: "http.shutdown-signals")

    init(signals: [Int32], action: @escaping @Sendable () -> Void) {
        let fired = HTTPLocked(false)
        var sources: [DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let first = fired.withLock { (value: inout Bool) -> Bool in
                    defer { value = true }
                    return !value
                }
                if first { action() }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Uninstalls the handlers.
    public func cancel() {
        for source in sources { source.cancel() }
    }

    deinit {
        cancel()
    }
}
#endif
