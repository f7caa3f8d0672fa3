//! libetna_auth: the C ABI of `etna_auth_capi` (every `extern "C"`
//! function is exported from here as it is) with the wiping global
//! allocator. Nothing else: the functions, their header and their tests
//! live in capi/.

pub use etna_auth_capi::*;

#[cfg(feature = "wipe-heap")]
#[global_allocator]
static HEAP: etna_auth_heap::WipingAllocator = etna_auth_heap::WipingAllocator::new();
