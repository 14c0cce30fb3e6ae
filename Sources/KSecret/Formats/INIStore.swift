/// Placeholder until the INI store lands.
public struct INIStore: Store {
    public init() {}
    public var format: FileFormat { .ini }
    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        throw KSecretError(.couldNotReadInputFile, "the ini store is not implemented yet")
    }
    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the ini store is not implemented yet")
    }
    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the ini store is not implemented yet")
    }
}
