extension StringProtocol {
    /// The text without leading and trailing white space and line breaks (Unicode's, as
    /// Foundation's `.whitespacesAndNewlines`).
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
