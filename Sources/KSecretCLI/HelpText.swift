/// Help texts are written in the source as lines of about 100 columns, and the argument parser wraps
/// every line again at the terminal's width: each paragraph came out ragged, a full line followed by
/// a few words. `reflow` joins the lines of each prose paragraph, so the parser wraps it once.
///
/// Kept as written: blank lines, indented lines (the examples), and a heading such as `Example:`
/// (a single word ending in a colon) on its own line.
public enum HelpText {
    public static func reflow(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let previous = lines.last, isProse(previous), isProse(line) {
                lines[lines.count - 1] = previous + " " + line
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func isProse(_ line: Substring) -> Bool {
        guard let first = line.first else { return false }
        return !first.isWhitespace && !isHeading(line)
    }

    private static func isHeading(_ line: Substring) -> Bool {
        line.hasSuffix(":") && !line.contains(" ")
    }
}
