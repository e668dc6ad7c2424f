//! How the server's memory is handed back. Figures and exports build large lists for one request
//! and drop them; glibc's allocator by default raises its threshold for serving big blocks from
//! `mmap` each time such a block is freed, after which the next big lists come from a thread's
//! heap and stay there. With one heap per database thread, the server's resident memory grew by
//! the size of one request's lists for each thread that served one (the outcome figures: from 63
//! to 157 MiB in eight requests). A fixed threshold keeps big blocks in `mmap`, returned on free;
//! and two heaps in all (glibc's default is eight per core) keep the smaller blocks a request
//! leaves behind from being spread over a heap per thread. Per-thread caches still serve most
//! small blocks without taking a heap's lock.

/// Blocks from this size on are mapped apart and returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Heaps shared by all threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Fixes the allocator's thresholds; called once at start, before any thread is spawned. An
/// operator's own setting of either (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`, or
/// `GLIBC_TUNABLES`) is left as glibc read it.
pub fn hand_back_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        let set = |variable: &str, tunable: &str| {
            std::env::var_os(variable).is_some() || tunables.contains(tunable)
        };
        // SAFETY: mallopt only sets allocator parameters; it is called before other threads exist.
        unsafe {
            if !set("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold") {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            }
            if !set("MALLOC_ARENA_MAX", "glibc.malloc.arena_max") {
                libc::mallopt(libc::M_ARENA_MAX, ARENAS);
            }
        }
    }
}
