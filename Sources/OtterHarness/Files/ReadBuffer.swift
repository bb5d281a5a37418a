/// A buffer for `read(2)` and `pread(2)` of `count` bytes (1 MiB by default), not zeroed first: only the bytes a read
/// returns are ever looked at. Zeroing 1 MiB touched all its pages, so starting `observe` on a 39-line log faulted in
/// and cleared 3 MiB it never used (about a tenth of its start-up).
func readBuffer(_ count: Int = 1 << 20) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}
