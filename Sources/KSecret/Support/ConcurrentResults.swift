import KSecretSystem

/// Fixed-size storage that worker threads write by index, behind a lock.
final class ConcurrentResults<Value>: @unchecked Sendable {
    private var storage: [Value]
    private let lock = Lock()

    init(count: Int, initial: Value) { storage = Array(repeating: initial, count: count) }

    subscript(index: Int) -> Value {
        get { lock.withLock { storage[index] } }
        set { lock.withLock { storage[index] = newValue } }
    }

    var values: [Value] { lock.withLock { storage } }
}

extension ConcurrentResults where Value: ExpressibleByNilLiteral {
    convenience init(count: Int) { self.init(count: count, initial: nil) }
}

extension ConcurrentResults where Value == Int {
    /// The counter in slot 0, incremented; nil once it reaches `limit`.
    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard storage[0] < limit else { return nil }
            defer { storage[0] += 1 }
            return storage[0]
        }
    }
}
