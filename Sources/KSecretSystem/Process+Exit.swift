/// Ends the process with `status` (the C library's `exit`: atexit handlers run, stdio is flushed).
/// A free function of its own, as commands have a static `exit(withError:)` of their own.
public func exitProcess(_ status: Int32) -> Never {
    exit(status)
}
