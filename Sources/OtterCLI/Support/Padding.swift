extension String {
    /// `padding(toLength: n, withPad: " ", startingAt: 0)` without Foundation (whose first call costs the start of every
    /// command that builds the command tree): spaces up to `n` UTF-16 units, or the first `n` units when longer.
    func padded(to n: Int) -> String {
        let units = utf16.count
        if units >= n { return String(utf16.prefix(n)) ?? String(prefix(n)) }
        return self + String(repeating: " ", count: n - units)
    }
}
