import KSecretSystem

/// Removes a key from the creation rules of a `.sops.yaml`, keeping the file as its author wrote it.
///
/// Policy: only the bytes of the removed key go, with the comma or list line that carried it; every
/// comment, blank line, quote and indent stays. A rule's `age:`/`pgp:` (flat or in `key_groups`) may
/// be a comma-separated string (plain, quoted or a folded block) or a list (block or flow). The
/// edited text is parsed again and must give exactly the old rules less that key; when it does not
/// (an anchor shared with other parts of the file, an unusual spelling), nothing is written and the
/// error says to edit the file by hand.
public enum SopsConfigEditor {
    public struct Edit: Sendable {
        /// The new file.
        public var bytes: [UInt8]
        /// 1-based lines of the rules the key was removed from.
        public var ruleLines: [Int]
        public var changed: Bool { !ruleLines.isEmpty }
    }

    public static func removing(_ recipient: Recipient, from source: [UInt8], path: String) throws -> Edit {
        let before = try SopsConfig.parse(source, path: path)
        let parsed = try YAMLStore().parse(source, path: path)
        guard let layout = parsed.layout as? YAMLLayout, case .sequence(let rules)? = parsed.document.branches.first?["creation_rules"] else {
            return Edit(bytes: source, ruleLines: [])
        }
        let field: String
        switch recipient {
        case .age: field = "age"
        case .pgp: field = "pgp"
        }
        var cuts: [Range<Int>] = []
        for case .mapping(let entries) in rules {
            for case .pair(let key, let value) in entries {
                if key == field { cuts += cutsFor(value, recipient, layout) }
                if key == "key_groups", case .sequence(let groups) = value {
                    for case .mapping(let groupEntries) in groups {
                        for case .pair(field, let v) in groupEntries { cuts += cutsFor(v, recipient, layout) }
                    }
                }
            }
        }
        var bytes = source
        var seen = Set<Int>()
        for cut in cuts.sorted(by: { $0.lowerBound > $1.lowerBound }) where seen.insert(cut.lowerBound).inserted {
            bytes.removeSubrange(cut)
        }
        let expected = before.rules.map { rule in
            var r = rule
            r.age.removeAll { recipient.matches(age: $0) }
            r.pgp.removeAll { recipient.matches(pgp: $0) }
            r.keyGroups = r.keyGroups.map { KeyGroupRule(age: $0.age.filter { !recipient.matches(age: $0) },
                                                         pgp: $0.pgp.filter { !recipient.matches(pgp: $0) }, hcVault: $0.hcVault) }
            return r
        }
        let after = try? SopsConfig.parse(bytes, path: path)
        guard let after, after.rules == expected else {
            throw KSecretError(.generic, "cannot remove the \(recipient) from \(path) without rewriting it",
                               hints: ["remove it from the creation rules by hand, then run the same command again"],
                               location: SourceLocation(file: path))
        }
        var lines: [Int] = []
        for (old, new) in zip(before.rules, after.rules) where old != new {
            if old.keyPlan.groups.count > new.keyPlan.groups.count || new.keyPlan.isEmpty {
                throw KSecretError(.noEncryptionKeyFound, "the creation rule at line \(old.line ?? 0) of \(path) would be left without keys\(new.keyPlan.isEmpty ? "" : " in one of its key groups")",
                                   hints: ["add the replacement key to that rule first"], location: SourceLocation(file: path, line: old.line))
            }
            lines.append(old.line ?? 0)
        }
        return Edit(bytes: bytes, ruleLines: lines)
    }

    /// The byte ranges to delete from one `age:`/`pgp:` value.
    private static func cutsFor(_ value: Node, _ recipient: Recipient, _ layout: YAMLLayout) -> [Range<Int>] {
        let source = layout.source
        func span(_ scalar: Scalar) -> YAMLLayout.ScalarSpan? {
            scalar.origin.flatMap { $0 >= 0 && $0 < layout.scalars.count ? layout.scalars[$0] : nil }
        }
        func matches(_ text: String) -> Bool { recipient.matches(age: text) || recipient.matches(pgp: text) }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        switch value {
        case .scalar(let scalar):
            // A comma-separated string: the key, and the comma after it (else the one before it).
            guard case .string(let text) = scalar.value, let origin = span(scalar) else { return [] }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            guard let token = parts.first(where: matches) else { return [] }
            let needle = Array(token.utf8)
            var cuts: [Range<Int>] = []
            var i = origin.span.lowerBound
            while i + needle.count <= origin.span.upperBound {
                guard source[i..<i + needle.count].elementsEqual(needle),
                      i == origin.span.lowerBound || !isToken(source[i - 1]),
                      i + needle.count == source.count || !isToken(source[i + needle.count]) else { i += 1; continue }
                var end = i + needle.count
                var after = end
                while after < origin.span.upperBound, isSpace(source[after]) { after += 1 }
                if after < origin.span.upperBound, source[after] == UInt8(ascii: ",") {
                    end = after + 1
                    while end < origin.span.upperBound, isSpace(source[end]) { end += 1 }
                    cuts.append(i..<end)
                } else {
                    var start = i
                    var before = i
                    while before > origin.span.lowerBound, isSpace(source[before - 1]) { before -= 1 }
                    if before > origin.span.lowerBound, source[before - 1] == UInt8(ascii: ",") { start = before - 1 }
                    cuts.append(start..<end)
                }
                i += needle.count
            }
            return cuts
        case .sequence(let items):
            var cuts: [Range<Int>] = []
            for case .scalar(let scalar) in items {
                guard case .string(let text) = scalar.value, matches(text), let origin = span(scalar) else { continue }
                let item = origin.alias ?? origin.span
                if let dash = origin.dash {
                    // A block item: its whole line.
                    var start = dash
                    while start > 0, source[start - 1] != 0x0A { start -= 1 }
                    var end = item.upperBound
                    while end < source.count, source[end] != 0x0A { end += 1 }
                    cuts.append(start..<min(end + 1, source.count))
                } else {
                    // A flow item: with the comma after it, else the one before it.
                    var after = item.upperBound
                    while after < source.count, isSpace(source[after]) { after += 1 }
                    if after < source.count, source[after] == UInt8(ascii: ",") {
                        var end = after + 1
                        while end < source.count, isSpace(source[end]) { end += 1 }
                        cuts.append(item.lowerBound..<end)
                    } else {
                        var before = item.lowerBound
                        while before > 0, isSpace(source[before - 1]) { before -= 1 }
                        cuts.append((before > 0 && source[before - 1] == UInt8(ascii: ",") ? before - 1 : item.lowerBound)..<item.upperBound)
                    }
                }
            }
            return cuts
        default:
            return []
        }
    }

    /// Characters that can be part of an age recipient or a fingerprint.
    private static func isToken(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
