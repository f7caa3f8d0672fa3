//! Every heap block the library frees is wiped first.
//!
//! The session keeps its own secrets in `Zeroizing` buffers, but the HTTP
//! and TLS stacks under it make transient copies that they free unwiped: the
//! header values of each request (password, PIN or code, interim token), the
//! parsed answer (the token), TLS plaintext buffers. A freed block keeps its
//! bytes until it is reused, where a core dump, a swap file or a heap bug
//! elsewhere in the process can read them. With the `wipe-heap` feature (on
//! by default) the library's global allocator zeroes every block before it
//! goes back to the system allocator, so no copy outlives its use, whoever
//! made it.
//!
//! The cost is one `memset` of what is freed: a few KiB per login, and the
//! connection's buffers when a connection closes (BENCHMARKS.md).
//! It is the global allocator of the C library and of the `etna-auth` tool,
//! never of the Rust crate: a Rust application chooses its own allocator.

use std::alloc::{GlobalAlloc, Layout, System};
#[cfg(feature = "test-hooks")]
use std::sync::atomic::Ordering;

/// The system allocator, wiping each block it frees (and each block a
/// `realloc` leaves behind).
pub struct WipingAllocator;

// SAFETY: delegates every allocation to `System`; only adds writes to blocks
// the caller gives up.
unsafe impl GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(feature = "test-hooks")]
        {
            if !hooks::TEST_KEEP_FREED.load(Ordering::Relaxed) {
                wipe(ptr, layout.size());
            }
            hooks::observe(ptr, layout.size());
        }
        #[cfg(not(feature = "test-hooks"))]
        wipe(ptr, layout.size());
        System.dealloc(ptr, layout)
    }

    /// Never `System.realloc`: it may move the block and free the old one
    /// unwiped. Allocate, copy, wipe and free instead.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.alloc(new_layout);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

#[cfg(feature = "wipe-heap")]
#[global_allocator]
static GLOBAL: WipingAllocator = WipingAllocator;

/// Zeroes `len` bytes at `ptr` in a way the compiler may not drop as a dead
/// store before `free`: volatile stores, 8 bytes at a time where aligned,
/// then a compiler fence that keeps them before the `free` (what `zeroize`
/// does, a word instead of a byte per store). Not `explicit_bzero`: that
/// is glibc 2.25, and the Linux builds run on glibc 2.17
/// (packaging/glibc_check.sh).
///
/// # Safety
/// `ptr` is valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    use std::ptr::write_volatile;
    const WORD: usize = std::mem::size_of::<u64>();
    // Bytes up to the first 8-aligned address (all of them if `align_offset`
    // gives up, as it may under miri).
    let head = ptr.align_offset(WORD).min(len);
    let words = (len - head) / WORD;
    for i in 0..head {
        write_volatile(ptr.add(i), 0);
    }
    let aligned = ptr.add(head).cast::<u64>();
    for i in 0..words {
        write_volatile(aligned.add(i), 0);
    }
    for i in head + words * WORD..len {
        write_volatile(ptr.add(i), 0);
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

// Test hooks (capi/tests/zeroize_on_free.rs), compiled only into the
// test-only rlib (feature `test-hooks`), never into the shipped library: a
// function shown each block as it goes back to the system allocator, and a
// switch that turns wiping off so that the test can show what wiping removes.
#[cfg(feature = "test-hooks")]
pub mod hooks {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// The observer as a `fn(&[u8])`, 0 when none.
    static OBSERVER: AtomicUsize = AtomicUsize::new(0);
    pub(super) static TEST_KEEP_FREED: AtomicBool = AtomicBool::new(false);

    /// Sets (or with `None` removes) the free observer. It runs inside the
    /// allocator: it must not allocate or free.
    pub fn set_free_observer(observer: Option<fn(&[u8])>) {
        OBSERVER.store(observer.map_or(0, |f| f as usize), Ordering::SeqCst);
    }

    /// `true` frees blocks without wiping them.
    pub fn test_keep_freed_blocks(keep: bool) {
        TEST_KEEP_FREED.store(keep, Ordering::SeqCst);
    }

    pub(super) unsafe fn observe(ptr: *mut u8, len: usize) {
        let observer = OBSERVER.load(Ordering::Relaxed);
        if observer != 0 {
            // SAFETY: only `set_free_observer` stores here, from a `fn(&[u8])`.
            let observer: fn(&[u8]) = std::mem::transmute::<usize, fn(&[u8])>(observer);
            observer(std::slice::from_raw_parts(ptr, len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realloc_keeps_the_contents() {
        let mut v: Vec<u8> = Vec::with_capacity(4);
        v.extend_from_slice(b"abcd");
        v.extend_from_slice(&[7u8; 1000]);
        assert_eq!(&v[..4], b"abcd");
        assert_eq!(v.len(), 1004);
        assert!(v[4..].iter().all(|&b| b == 7));
    }

    #[test]
    fn wipe_zeroes() {
        let mut block = *b"secret";
        unsafe { wipe(block.as_mut_ptr(), block.len()) };
        assert_eq!(block, [0; 6]);
    }

    /// Every start and length around the 8-byte words: each byte of the
    /// range is zeroed, and not one byte outside it.
    #[test]
    fn wipe_zeroes_exactly_the_range_at_any_alignment() {
        for start in 0..9 {
            for len in 0..40 {
                let mut block = [0xA5u8; 64];
                unsafe { wipe(block.as_mut_ptr().add(start), len) };
                for (i, &b) in block.iter().enumerate() {
                    let inside = i >= start && i < start + len;
                    assert_eq!(
                        b,
                        if inside { 0 } else { 0xA5 },
                        "start {start} len {len} byte {i}"
                    );
                }
            }
        }
    }
}
