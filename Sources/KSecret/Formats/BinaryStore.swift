/// Placeholder until the Binary store lands.
public struct BinaryStore: Store {
    public init() {}
    public var format: FileFormat { .binary }
    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        throw KSecretError(.couldNotReadInputFile, "the binary store is not implemented yet")
    }
    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the binary store is not implemented yet")
    }
    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the binary store is not implemented yet")
    }
}
