/// Placeholder until the JSON store lands.
public struct JSONStore: Store {
    public init() {}
    public var format: FileFormat { .json }
    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        throw KSecretError(.couldNotReadInputFile, "the json store is not implemented yet")
    }
    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the json store is not implemented yet")
    }
    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the json store is not implemented yet")
    }
}
