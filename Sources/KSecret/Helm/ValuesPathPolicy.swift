import KSecretSystem

/// helm-secrets' hardening for hosts that render other people's charts (Argo CD's repo server, a
/// shared CI runner): a values file may be refused when it is a symlink, an absolute path, or a
/// path that climbs with `..`, so that a chart's `-f secrets://…` cannot make the render read
/// (and decrypt) a file outside the repository. Each kind is allowed unless its variable is
/// `false`: `HELM_SECRETS_VALUES_ALLOW_SYMLINKS`, `HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH`,
/// `HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL` (helm-pipeline.md §2.4). The tests are helm-secrets'
/// own, on the path as written: a symlink is the last component being one; absolute is a leading
/// `/` or `\` or any `:` (a Windows drive); traversal is `../` or `/..` anywhere.
public struct ValuesPathPolicy: Sendable, Equatable {
    public var allowsSymlinks: Bool
    public var allowsAbsolutePaths: Bool
    public var allowsPathTraversal: Bool

    static let symlinksVariable = "HELM_SECRETS_VALUES_ALLOW_SYMLINKS"
    static let absolutePathsVariable = "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH"
    static let pathTraversalVariable = "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL"

    public init(environment: KSecretEnvironment) {
        // `false` in any case refuses: for a switch that hardens, reading `False` as on would be
        // the wrong way to err.
        func allowed(_ name: String) -> Bool { environment[name]?.lowercased() != "false" }
        allowsSymlinks = allowed(Self.symlinksVariable)
        allowsAbsolutePaths = allowed(Self.absolutePathsVariable)
        allowsPathTraversal = allowed(Self.pathTraversalVariable)
    }

    /// Whether any kind of path is refused.
    public var restricts: Bool { !(allowsSymlinks && allowsAbsolutePaths && allowsPathTraversal) }

    /// Throws when the policy refuses `path`, naming the variable that refuses it.
    public func check(_ path: String, isSymlink: (String) -> Bool = ValuesPathPolicy.isSymlink) throws {
        guard restricts else { return }   // the default, at every secrets:// render: nothing to look at
        let bytes = Array(path.utf8)
        if !allowsAbsolutePaths, bytes.first == UInt8(ascii: "/") || bytes.first == UInt8(ascii: "\\") || bytes.contains(UInt8(ascii: ":")) {
            throw refusal(path, "is an absolute path", Self.absolutePathsVariable,
                          hint: "name it relative to the directory helm runs in")
        }
        if !allowsPathTraversal, bytes.firstRange(of: Array("../".utf8)) != nil || bytes.firstRange(of: Array("/..".utf8)) != nil {
            throw refusal(path, "contains ..", Self.pathTraversalVariable, hint: "name it without going up a directory")
        }
        if !allowsSymlinks, isSymlink(path) {
            throw refusal(path, "is a symlink", Self.symlinksVariable, hint: "name the file the link points to, inside the repository")
        }
    }

    private func refusal(_ path: String, _ what: String, _ variable: String, hint: String) -> KSecretError {
        KSecretError(.generic, "values file \(path) \(what), which \(variable)=false refuses", hints: [hint])
    }

    /// Whether the last component of `path` is a symbolic link (`test -L`).
    public static func isSymlink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }
}
