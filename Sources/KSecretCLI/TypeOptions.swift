import ArgumentParser
import KSecretSystem
import KSecret

/// `--input-type` / `--output-type`.
public struct TypeOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("input-type"), help: "Input format: yaml, json, dotenv, ini or binary (default: from the file name).")
    public var inputType: String?

    @Option(name: .customLong("output-type"), help: "Output format (default: the input format).")
    public var outputType: String?

    public var choice: FormatChoice { FormatChoice(inputType: inputType, outputType: outputType) }

    public func input(for path: String) throws -> FileFormat { try choice.input(for: path) }

    public func output(for path: String, input: FileFormat) throws -> FileFormat { try choice.output(for: path, input: input) }

    public static func parse(_ name: String) throws -> FileFormat {
        guard let format = FileFormat(typeName: name) else {
            throw KSecretError(.generic, "unknown file type \(name)", hints: ["use one of: yaml, json, dotenv, ini, binary"])
        }
        return format
    }
}

/// The formats a command reads and writes: the type flags, else the file name.
public struct FormatChoice: Sendable {
    public var inputType: String?
    public var outputType: String?

    public init(inputType: String? = nil, outputType: String? = nil) {
        self.inputType = inputType
        self.outputType = outputType
    }

    public func input(for path: String) throws -> FileFormat {
        try inputType.map(TypeOptions.parse) ?? FileFormat.forPath(path)
    }

    public func output(for path: String, input: FileFormat) throws -> FileFormat {
        try outputType.map(TypeOptions.parse) ?? input
    }
}
