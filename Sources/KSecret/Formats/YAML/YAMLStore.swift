/// Placeholder until the YAML store lands.
public struct YAMLStore: Store {
    public init() {}
    public var format: FileFormat { .yaml }
    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        throw KSecretError(.couldNotReadInputFile, "the yaml store is not implemented yet")
    }
    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the yaml store is not implemented yet")
    }
    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the yaml store is not implemented yet")
    }
}
