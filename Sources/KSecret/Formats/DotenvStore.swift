/// Placeholder until the Dotenv store lands.
public struct DotenvStore: Store {
    public init() {}
    public var format: FileFormat { .dotenv }
    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        throw KSecretError(.couldNotReadInputFile, "the dotenv store is not implemented yet")
    }
    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the dotenv store is not implemented yet")
    }
    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "the dotenv store is not implemented yet")
    }
}
