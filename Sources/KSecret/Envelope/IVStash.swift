/// The IVs of the values a decryption saw, by (AAD, typed plaintext) (Format.md §1.5, §9).
///
/// Pass the stash from `Envelope.decrypt` to the next `Envelope.encrypt` with the same data key
/// and every value whose key path and typed value did not change gets its old IV back, hence
/// byte-identical ciphertext; `edit`, `set` and `unset` rely on this. Equality is on the typed
/// value: int 1 and float 1 differ, and NaN never matches (as in sops).
public struct IVStash: Sendable, Equatable {
    struct Key: Hashable, Sendable {
        var aad: [UInt8]
        var kind: UInt8
        var bytes: [UInt8]
    }

    private var ivs: [Key: [UInt8]] = [:]
    /// A stash that records nothing: for a decryption whose plaintext is only printed.
    private var recording = true

    public init() {}

    public init(recording: Bool) { self.recording = recording }

    public var count: Int { ivs.count }
    public var isEmpty: Bool { ivs.isEmpty }

    private static let commentKind: UInt8 = 6

    static func key(aad: [UInt8], value: ScalarValue) -> Key? {
        let kind: UInt8
        switch value {
        case .string: kind = 0
        case .bytes: kind = 1
        case .int: kind = 2
        case .float(let d):
            if d.isNaN { return nil }
            kind = 3
        case .bool: kind = 4
        case .time: kind = 5
        case .null: return nil
        }
        return Key(aad: aad, kind: kind, bytes: ValueCodec.macBytes(value))
    }

    mutating func record(aad: [UInt8], value: ScalarValue, iv: [UInt8]) {
        guard recording else { return }
        if let k = Self.key(aad: aad, value: value) { ivs[k] = iv }
    }

    mutating func record(aad: [UInt8], comment: String, iv: [UInt8]) {
        guard recording else { return }
        ivs[Key(aad: aad, kind: Self.commentKind, bytes: Array(comment.utf8))] = iv
    }

    func iv(aad: [UInt8], value: ScalarValue) -> [UInt8]? {
        // A new file's stash is empty: no key to build per value.
        if ivs.isEmpty { return nil }
        return Self.key(aad: aad, value: value).flatMap { ivs[$0] }
    }

    func iv(aad: [UInt8], comment: String) -> [UInt8]? {
        if ivs.isEmpty { return nil }
        return ivs[Key(aad: aad, kind: Self.commentKind, bytes: Array(comment.utf8))]
    }

    /// Adds what `other` recorded (the second half of a split walk: its paths are not this one's).
    mutating func merge(_ other: IVStash) {
        guard recording else { return }
        ivs.merge(other.ivs) { mine, _ in mine }
    }

    /// Records the IV of a value at `aad` (the AAD string, e.g. `app:port:`).
    public mutating func record(aad: String, value: ScalarValue, iv: [UInt8]) { record(aad: Array(aad.utf8), value: value, iv: iv) }
    public mutating func record(aad: String, comment: String, iv: [UInt8]) { record(aad: Array(aad.utf8), comment: comment, iv: iv) }
    /// The stashed IV for a value at `aad`, if any.
    public func iv(aad: String, value: ScalarValue) -> [UInt8]? { iv(aad: Array(aad.utf8), value: value) }
    public func iv(aad: String, comment: String) -> [UInt8]? { iv(aad: Array(aad.utf8), comment: comment) }
}
