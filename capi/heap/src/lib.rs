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
//! It is the global allocator of the C library (capi/lib) and of the
//! `etna-auth` tool, never of the Rust crate: a Rust application chooses its
//! own allocator. A crate of its own, so that both use the same code.
//!
//! The tests of the C ABI (capi/tests/zeroize_on_free.rs) install it with an
//! [`Observer`] that sees each block as it is freed; the shipped allocator's
//! observer is `()`, which compiles to nothing.

use std::alloc::{GlobalAlloc, Layout, System};

/// Sees every block the allocator frees, for tests. `()` sees nothing.
pub trait Observer: Sync {
    /// Whether freed blocks are wiped (a test turns it off to show what
    /// wiping removes).
    fn wipe(&self) -> bool {
        true
    }

    /// Shown each block after its wipe, before it goes back to the system.
    /// Runs inside the allocator: it must not allocate or free.
    fn freed(&self, _block: &[u8]) {}
}

impl Observer for () {}

/// The system allocator, wiping each block it frees (and each block a
/// `realloc` leaves behind).
pub struct WipingAllocator<O: Observer = ()> {
    observer: O,
}

impl WipingAllocator {
    /// The allocator as shipped.
    pub const fn new() -> WipingAllocator {
        WipingAllocator { observer: () }
    }
}

impl Default for WipingAllocator {
    fn default() -> WipingAllocator {
        WipingAllocator::new()
    }
}

impl<O: Observer> WipingAllocator<O> {
    /// The allocator with a test's observer.
    pub const fn with_observer(observer: O) -> WipingAllocator<O> {
        WipingAllocator { observer }
    }
}

// SAFETY: delegates every allocation to `System`; only adds writes to blocks
// the caller gives up.
unsafe impl<O: Observer> GlobalAlloc for WipingAllocator<O> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.observer.wipe() {
            wipe(ptr, layout.size());
        }
        self.observer
            .freed(std::slice::from_raw_parts(ptr, layout.size()));
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

/// Zeroes `len` bytes at `ptr` in a way the compiler may not drop as a dead
/// store before `free`: volatile stores, 8 bytes at a time where aligned,
/// then a compiler fence that keeps them before the `free` (what `zeroize`
/// does, a word instead of a byte per store). Not `explicit_bzero`: that
/// is glibc 2.25, and the Linux builds run on glibc 2.17
/// (packaging/glibc_check.sh).
///
/// # Safety
/// `ptr` is valid for writes of `len` bytes.
pub unsafe fn wipe(ptr: *mut u8, len: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;

    // The tests' own allocations go through it, realloc included.
    #[global_allocator]
    static HEAP: WipingAllocator = WipingAllocator::new();

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
