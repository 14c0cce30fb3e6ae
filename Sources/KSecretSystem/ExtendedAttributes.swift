#if os(Linux)
import CXattr
#endif

/// A file's extended attributes (xattr(7)): POSIX ACLs (`system.posix_acl_access`), SELinux and
/// other security labels (`security.*`), `user.*`.
public enum ExtendedAttributes {
    /// Copies every extended attribute of the file at `path` onto the open file `fd`, so that a
    /// file replaced by rename keeps its ACL and labels, as one rewritten in place does. Best
    /// effort, one attribute at a time: one the caller may not set (a `security.*` label without
    /// the privilege, `trusted.*` for a non-root user) is skipped. Call before fchmod: setting an
    /// ACL sets the group bits of the mode.
    public static func copy(from path: String, to fd: Int32) {
        #if os(Linux)
        for name in names(path) {
            let size = getxattr(path, name, nil, 0)
            guard size >= 0 else { continue }   // gone meanwhile
            var value = [UInt8](repeating: 0, count: max(size, 1))
            let read = getxattr(path, name, &value, value.count)
            if read >= 0 { _ = fsetxattr(fd, name, value, read, 0) }
        }
        #endif
    }

    /// The names of the attributes of the file at `path` (following a link), or none when the
    /// file system keeps none.
    public static func names(_ path: String) -> [String] {
        #if os(Linux)
        let size = listxattr(path, nil, 0)
        guard size > 0 else { return [] }
        var buffer = [CChar](repeating: 0, count: size)
        let count = listxattr(path, &buffer, buffer.count)
        guard count > 0 else { return [] }
        return buffer[..<count].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #else
        return []
        #endif
    }
}
