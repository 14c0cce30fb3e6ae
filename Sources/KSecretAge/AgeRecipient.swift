/// Something a file can be encrypted to: wraps the 16-byte file key into stanzas.
///
/// Like Go age's `Recipient`, one method; the encryptor calls it once per recipient with the same
/// file key. Implementations must use fresh randomness for every call.
public protocol AgeRecipient: Sendable {
    func wrap(fileKey: [UInt8]) throws -> [AgeStanza]
}

/// Something that can decrypt a file: unwraps the file key from a header's stanzas.
///
/// Like Go age's `Identity`, one method. Return nil when no stanza is for this identity ("not
/// mine": an unknown type, a tag mismatch, an AEAD failure on an anonymous type); throw
/// `AgeError.header` for a structural error in a stanza this identity recognises, which stops
/// decryption.
public protocol AgeIdentity: Sendable {
    func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]?
}
