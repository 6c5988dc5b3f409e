//! SQLite's memory from the process's allocator (mimalloc in the server), not
//! glibc's malloc. SQLite's page caches, statements and FTS5 buffers are
//! allocated on one blocking thread and freed on another; glibc gave each of
//! those threads its own arena and kept the freed pages in them: in
//! `bench/mixed.sh` glibc held 345 MB for 167 MB in use (docs/PERFORMANCE.md,
//! "What the serving process's RSS was made of").
//!
//! Each block carries its size in a header, since SQLite asks for it
//! (`xSize`) and Rust's allocator needs it to free.
#![allow(unsafe_code)]

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ffi::{c_int, c_void};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Header before each block: its usable size. 16 bytes keep the block
/// 16-aligned (SQLite needs 8).
const HEADER: usize = 16;
const ALIGN: usize = 16;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, ALIGN).ok()
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(l) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `l` has a non-zero size (at least HEADER); the header is written
    // inside the block just allocated.
    unsafe {
        let base = alloc(l);
        if base.is_null() {
            return std::ptr::null_mut();
        }
        (base as *mut usize).write(l.size() - HEADER);
        base.add(HEADER) as *mut c_void
    }
}

/// The block's usable size, from its header (0 for null).
unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: SQLite passes only pointers `x_malloc`/`x_realloc` returned,
    // which have the header just before them.
    let size = unsafe { ((p as *mut u8).sub(HEADER) as *const usize).read() };
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: as in `x_size`; the layout is the one the block was allocated with.
    unsafe {
        let base = (p as *mut u8).sub(HEADER);
        let size = (base as *const usize).read();
        if let Some(l) = layout(size) {
            dealloc(base, l);
        }
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: a plain allocation.
        return unsafe { x_malloc(n) };
    }
    let Some(new) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `p` came from `x_malloc`/`x_realloc` (header before it, allocated
    // with `layout(size)`); on failure the old block stays valid, as SQLite expects.
    unsafe {
        let base = (p as *mut u8).sub(HEADER);
        let size = (base as *const usize).read();
        let Some(old) = layout(size) else {
            return std::ptr::null_mut();
        };
        let moved = realloc(base, old, new.size());
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        (moved as *mut usize).write(new.size() - HEADER);
        moved.add(HEADER) as *mut c_void
    }
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    n.saturating_add(7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Makes SQLite allocate through Rust's global allocator. Effective only
/// before SQLite's first use in the process (`sqlite3_config` refuses it
/// later, and SQLite then keeps malloc): call it before the first connection
/// opens, from one thread (`Manager::connect` does, once).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = Box::leak(Box::new(ffi::sqlite3_mem_methods {
            xMalloc: Some(x_malloc),
            xFree: Some(x_free),
            xRealloc: Some(x_realloc),
            xSize: Some(x_size),
            xRoundup: Some(x_roundup),
            xInit: Some(x_init),
            xShutdown: Some(x_shutdown),
            pAppData: std::ptr::null_mut(),
        }));
        // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to a methods struct that
        // stays valid (leaked) for the process; SQLite copies it. Refused with
        // SQLITE_MISUSE, changing nothing, once SQLite is initialized.
        let rc = unsafe {
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                methods as *const ffi::sqlite3_mem_methods,
            )
        };
        if rc != ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite was already in use: it keeps malloc");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_through_realloc_and_free() {
        // SAFETY: the functions SQLite would call, on blocks they returned.
        unsafe {
            let p = x_malloc(100);
            assert!(!p.is_null());
            assert_eq!(x_size(p), 100);
            std::ptr::write_bytes(p as *mut u8, 7, 100);
            let q = x_realloc(p, 5000);
            assert!(!q.is_null());
            assert_eq!(x_size(q), 5000);
            assert_eq!(*(q as *const u8).add(99), 7);
            x_free(q);
            assert!(x_malloc(-1).is_null());
            assert_eq!(x_size(std::ptr::null_mut()), 0);
            assert_eq!(x_roundup(13), 16);
        }
    }
}
