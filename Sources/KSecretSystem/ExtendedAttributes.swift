#if os(Linux)
import CXattr
#endif

/// A file's extended attributes (xattr(7)): POSIX ACLs (`system.posix_acl_access`), SELinux and
/// other security labels (`security.*`), `user.*`.
public enum ExtendedAttributes {
    /// Copies every extended attribute of the file at `path` onto the open file `fd`, so that a
    /// file replaced by rename keeps its ACL and labels, as one rewritten in place does. Best
    /// effort, one attribute at a time: one the caller may not set (a `security.*` label without
    /// the privilege, `trusted.*` for a non-root user) is skipped; the names of those skipped are
    /// returned. Call before fchmod: setting an ACL sets the group bits of the mode.
    @discardableResult
    public static func copy(from path: String, to fd: Int32) -> [String] {
        #if os(Linux)
        var skipped: [String] = []
        for name in names(path) {
            let size = getxattr(path, name, nil, 0)
            guard size >= 0 else { continue }   // gone meanwhile
            var value = [UInt8](repeating: 0, count: max(size, 1))
            let read = getxattr(path, name, &value, value.count)
            guard read >= 0, fsetxattr(fd, name, value, read, 0) == 0 else {
                skipped.append(name)
                continue
            }
        }
        return skipped
        #else
        return []
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

    /// The value of one attribute, or nil.
    public static func value(_ name: String, of path: String) -> [UInt8]? {
        #if os(Linux)
        let size = getxattr(path, name, nil, 0)
        guard size >= 0 else { return nil }
        var value = [UInt8](repeating: 0, count: max(size, 1))
        let read = getxattr(path, name, &value, value.count)
        guard read >= 0 else { return nil }
        return Array(value[..<read])
        #else
        return nil
        #endif
    }
}
