/// An ordered JSON object with unique keys.
///
/// A duplicate key (in input or in `init`) keeps the first position and the last value.
/// Setting a key to nil removes it. Equality ignores member order.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// A member: its key and value.
    public typealias Element = (key: String, value: JSONValue)

    @usableFromInline var entries: [Element]
    /// Key → position, only maintained for objects larger than `indexThreshold` (32: below it a scan of the keys is
    /// cheaper than hashing them all into a dictionary, for objects parsed once and read a few times, as log bodies
    /// are; 12 before, which cost the 200 MB mix 3% and cold `observe` 6%).
    @usableFromInline var index: [String: Int]?

    @usableFromInline static var indexThreshold: Int { 32 }

    /// Creates an object from key/value pairs; a repeated key keeps its first position and last value.
    public init(_ pairs: [(String, JSONValue)] = []) {
        entries = []
        entries.reserveCapacity(pairs.count)
        index = nil
        for (k, v) in pairs { self[k] = v }
    }

    /// Creates an empty object with room for `capacity` members.
    init(capacity: Int) {
        entries = []
        entries.reserveCapacity(capacity)
        index = nil
    }

    @inline(__always)
    func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in entries.indices where entries[i].key == key { return i }
        return nil
    }

    /// Appends or replaces (keeping position) without the removal logic of the subscript.
    @inline(__always)
    mutating func upsert(_ key: String, _ value: JSONValue) {
        if let i = position(of: key) {
            entries[i].value = value
            return
        }
        entries.append((key: key, value: value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    mutating func rebuildIndex() {
        guard entries.count > Self.indexThreshold else { index = nil; return }
        var d = [String: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { d[e.key] = i }
        index = d
    }

    /// The value for `key`, or nil; assigning nil removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = position(of: key) else { return nil }
            return entries[i].value
        }
        set {
            if let newValue {
                upsert(key, newValue)
            } else if let i = position(of: key) {
                entries.remove(at: i)
                rebuildIndex()
            }
        }
    }

    /// The keys in member order.
    public var keys: [String] { entries.map(\.key) }
    /// The values in member order.
    public var values: [JSONValue] { entries.map(\.value) }
    /// The number of members.
    public var count: Int { entries.count }
    /// True if the object has no members.
    public var isEmpty: Bool { entries.isEmpty }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    /// Equal when both have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (k, v) in lhs.entries {
            guard let w = rhs[k], w == v else { return false }
        }
        return true
    }

    /// Hashes order-independently, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for (k, v) in entries {
            var h = Hasher()
            h.combine(k)
            h.combine(v)
            sum &+= h.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(sum)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object from a literal; a repeated key keeps its first position and last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}
