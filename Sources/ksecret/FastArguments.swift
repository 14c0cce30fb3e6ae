import KSecretCLI

/// The plain command lines that skip swift-argument-parser's reflection (`DecryptFastPath`,
/// `EncryptFastPath`): the command, known flags, known options with their values, and one FILE.
/// Anything else (another flag, `--help`, a missing value, a second file) is not handled here,
/// so the argument parser deals with it, errors and usage included.
struct FastArguments {
    private(set) var flags: [String] = []
    private(set) var values: [String: String] = [:]
    let file: String

    init?(_ arguments: [String], command: String, flags known: [String], options: [String]) {
        guard arguments.first == command else { return nil }
        var file: String?
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            if known.contains(a) {
                flags.append(a)
            } else if options.contains(a) {
                guard i + 1 < arguments.count else { return nil }
                values[a] = arguments[i + 1]
                i += 1
            } else {
                guard file == nil, a == "-" || !a.hasPrefix("-") else { return nil }
                file = a
            }
            i += 1
        }
        guard let file else { return nil }
        self.file = file
    }

    func has(_ flag: String...) -> Bool { flag.contains(where: flags.contains) }
    func value(_ option: String...) -> String? { option.lazy.compactMap { values[$0] }.first }

    /// The exit status of a fast path's work: 0, or the error reported as the commands report it.
    static func status(_ work: () throws -> Void) -> Int32 {
        do {
            try work()
            return 0
        } catch {
            return Diagnostics.status(of: error)
        }
    }
}
