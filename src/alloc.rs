//! The `orche` binary's memory allocator: small blocks in size classes, carved from large
//! chunks and kept on per-thread free lists; everything else from the system allocator. And
//! a prefault thread that faults pages in on another core before they are first written.
//!
//! Why: evaluation makes millions of small, long-lived objects (vertex parts, environments,
//! values) and frees few. glibc's `malloc` spends about 15% of all instructions on them and
//! adds a header to each; mimalloc and jemalloc were faster per call but touched more memory
//! (page faults are a quarter of the wall time on the target machines). Here a small block
//! costs a free-list pop or a pointer bump, and has no header.
//!
//! Page faults: the first write to each new page traps into the kernel, which zeroes it (and,
//! in a virtual machine, may first have the host back it). At 1000x50 that is about 160 000
//! faults and a quarter to a third of the wall time, on the one thread that computes. With
//! [`start_prefaulting`], a second thread takes them instead: the allocator maps the next
//! chunk while the current one fills and asks that thread to fault it in
//! (`madvise(MADV_POPULATE_WRITE)`, which never changes a page's contents); the vertex arena
//! and the JSON writer ask the same for the part of their buffers they are about to fill
//! ([`prefault`]). Transparent huge pages were tried instead: faster only when the same
//! process had just run, slower after anything else.
//!
//! Invariants: a small block (size at most [`MAX_SMALL`], alignment at most [`ALIGN`]) always
//! has its class's full size, whoever allocated it, so that any thread may reuse it once it is
//! freed; chunks are never returned to the system (the process is short-lived, and freed
//! blocks are reused by size); asking for a prefault never allocates (it happens inside the
//! allocator) and never blocks on the prefault thread's work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::{self, null_mut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// Size-class granularity and the alignment of every small block.
const ALIGN: usize = 16;
/// The largest block served from the size classes.
const MAX_SMALL: usize = 512;
const CLASSES: usize = MAX_SMALL / ALIGN;
/// Bytes taken from the system at a time for small blocks.
const CHUNK: usize = 4 << 20;
/// The smallest page size of the supported targets; prefaulting works in whole pages.
#[cfg(target_os = "linux")]
const PAGE: usize = 4096;

struct Local {
    /// Per class, the most recently freed block; its first word points to the next one.
    free: [Cell<*mut u8>; CLASSES],
    /// The unused part of the current chunk.
    bump: Cell<*mut u8>,
    end: Cell<*mut u8>,
    /// A chunk taken ahead of need, whose pages the prefault thread is faulting in.
    next: Cell<*mut u8>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            free: [const { Cell::new(null_mut()) }; CLASSES],
            bump: Cell::new(null_mut()),
            end: Cell::new(null_mut()),
            next: Cell::new(null_mut()),
        }
    };
}

/// The allocator; see the module documentation.
pub struct SizeClasses;

/// The class of a small layout (`None`: served by the system allocator).
fn class(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(1);
    (size <= MAX_SMALL && layout.align() <= ALIGN).then(|| (size - 1) / ALIGN)
}

fn class_size(c: usize) -> usize {
    (c + 1) * ALIGN
}

impl Local {
    /// A block of class `c`, or null when the system has no memory left.
    fn alloc(&self, c: usize) -> *mut u8 {
        let head = self.free[c].get();
        if !head.is_null() {
            // SAFETY: blocks on a free list are at least 16 bytes, 16-aligned, and start with
            // the next pointer written by `free`.
            let next = unsafe { ptr::read(head.cast::<*mut u8>()) };
            self.free[c].set(next);
            // A free list is a chain through cold memory (a long-lived process, such as the
            // language server, allocates its next evaluation from what the last one freed):
            // the next block is fetched while this one is used, instead of each allocation
            // waiting for the memory the one before it left.
            if !next.is_null() {
                prefetch(next);
            }
            return head;
        }
        let size = class_size(c);
        let bump = self.bump.get();
        if (self.end.get() as usize).saturating_sub(bump as usize) >= size {
            // SAFETY: `bump + size` stays within the current chunk.
            self.bump.set(unsafe { bump.add(size) });
            return bump;
        }
        let chunk = match self.next.replace(null_mut()) {
            c if !c.is_null() => c,
            _ => new_chunk(),
        };
        if prefaulting() && !self.end.get().is_null() {
            // The chunk after this one (from the second on: small runs need one): its pages
            // are faulted in by the prefault thread while this one fills.
            let next = new_chunk();
            self.next.set(next);
            if !next.is_null() {
                prefault(next, CHUNK);
            }
        }
        if chunk.is_null() {
            return chunk;
        }
        // SAFETY: the chunk is CHUNK bytes long and CHUNK >= MAX_SMALL.
        unsafe {
            self.bump.set(chunk.add(size));
            self.end.set(chunk.add(CHUNK));
        }
        chunk
    }

    fn free(&self, p: *mut u8, c: usize) {
        // SAFETY: `p` is a block of class `c` (at least 16 bytes, 16-aligned) that the caller
        // no longer uses.
        unsafe { ptr::write(p.cast::<*mut u8>(), self.free[c].get()) };
        self.free[c].set(p);
    }
}

fn new_chunk() -> *mut u8 {
    // SAFETY: a non-zero size and a valid power-of-two alignment.
    let p = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
    if !p.is_null() {
        IN_USE.fetch_add(CHUNK as u64, Ordering::Relaxed);
    }
    p
}

/// Bytes taken from the system and not given back: every chunk, and the large blocks in use.
static IN_USE: AtomicU64 = AtomicU64::new(0);

/// The memory this allocator holds now, in bytes (the evaluation's memory budget compares it
/// with `limit::Budget::memory`); 0 when it is not the global allocator.
pub fn in_use() -> u64 {
    IN_USE.load(Ordering::Relaxed)
}

/// Asks the CPU to bring the cache line at `p` in ahead of use. A hint only: it never faults
/// and never reads the memory, so any address is allowed.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it does not fault or read the memory.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Counts a large block's bytes in or out of [`in_use`].
fn count_large(p: *mut u8, size: usize, taken: bool) {
    if p.is_null() {
        return;
    }
    if taken {
        IN_USE.fetch_add(size as u64, Ordering::Relaxed);
    } else {
        IN_USE.fetch_sub(size as u64, Ordering::Relaxed);
    }
}

/// Ranges whose pages the prefault thread should fault in, oldest first; a fixed ring, so that
/// asking never allocates (it is asked from inside the allocator).
struct Requests {
    ring: [(usize, usize); 64],
    head: usize,
    len: usize,
}

static PREFAULT_ON: AtomicBool = AtomicBool::new(false);
static REQUESTS: Mutex<Requests> = Mutex::new(Requests {
    ring: [(0, 0); 64],
    head: 0,
    len: 0,
});
static WAKE: Condvar = Condvar::new();

fn prefaulting() -> bool {
    PREFAULT_ON.load(Ordering::Relaxed)
}

/// Starts the prefault thread (Linux only; once, however often it is called): from then on,
/// pages of new chunks, and ranges passed to [`prefault`], are faulted in on another core
/// before they are first written.
pub fn start_prefaulting() {
    #[cfg(target_os = "linux")]
    {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(spawn_prefault_thread);
    }
}

#[cfg(target_os = "linux")]
fn spawn_prefault_thread() {
    let spawned = std::thread::Builder::new()
        .name("orche-prefault".into())
        .stack_size(64 << 10)
        .spawn(prefault_loop);
    if spawned.is_ok() {
        PREFAULT_ON.store(true, Ordering::Relaxed);
    }
}

/// Asks the prefault thread to fault in the pages of `p..p+len` (rounded inward to whole
/// pages) without changing their contents. A hint: dropped when the thread is not running or
/// is far behind. Safe for any range: the kernel populates only what is mapped writable and
/// never alters a page that is already present.
pub fn prefault(p: *const u8, len: usize) {
    if !prefaulting() || len == 0 {
        return;
    }
    let Ok(mut q) = REQUESTS.lock() else { return };
    if q.len < q.ring.len() {
        let i = (q.head + q.len) % q.ring.len();
        q.ring[i] = (p as usize, len);
        q.len += 1;
        WAKE.notify_one();
    }
}

#[cfg(target_os = "linux")]
fn prefault_loop() {
    loop {
        let (p, len) = {
            let Ok(mut q) = REQUESTS.lock() else { return };
            while q.len == 0 {
                q = match WAKE.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
            let r = q.ring[q.head];
            q.head = (q.head + 1) % q.ring.len();
            q.len -= 1;
            r
        };
        let start = (p + PAGE - 1) & !(PAGE - 1);
        let end = (p + len) & !(PAGE - 1);
        if end > start {
            // SAFETY: advice on an address range; MADV_POPULATE_WRITE faults pages in as a
            // write would, without writing, and fails harmlessly on anything not mapped
            // writable.
            unsafe {
                libc::madvise(
                    start as *mut libc::c_void,
                    end - start,
                    libc::MADV_POPULATE_WRITE,
                )
            };
        }
    }
}

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(&layout) {
            Some(c) => LOCAL.try_with(|l| l.alloc(c)).unwrap_or_else(|_| {
                // The thread's free lists are gone (thread exit): a block of the class's full
                // size from the system, which a free list may safely take later.
                // SAFETY: non-zero size, valid alignment.
                unsafe { System.alloc(Layout::from_size_align_unchecked(class_size(c), ALIGN)) }
            }),
            None => {
                // SAFETY: forwarded as is.
                let p = unsafe { System.alloc(layout) };
                count_large(p, layout.size(), true);
                p
            }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class(&layout) {
            // At thread exit the block is left alone: it stays valid, only unused.
            Some(c) => {
                let _ = LOCAL.try_with(|l| l.free(p, c));
            }
            None => {
                count_large(p, layout.size(), false);
                // SAFETY: `p` came from `System.alloc` with this layout.
                unsafe { System.dealloc(p, layout) }
            }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid layout for `new_size`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(&layout), class(&new_layout)) {
            (Some(a), Some(b)) if a == b => p,
            (None, None) => {
                // SAFETY: both large: the system allocator's own block, resized in place if
                // it can.
                let q = unsafe { System.realloc(p, layout, new_size) };
                if !q.is_null() {
                    count_large(p, layout.size(), false);
                    count_large(q, new_size, true);
                }
                q
            }
            _ => {
                // SAFETY: `alloc` and `dealloc` as above; the copy covers the smaller size.
                unsafe {
                    let q = self.alloc(new_layout);
                    if !q.is_null() {
                        ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                    q
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_distinct_and_reused_by_class() {
        let a = SizeClasses;
        let l24 = Layout::from_size_align(24, 8).unwrap();
        let l40 = Layout::from_size_align(40, 16).unwrap();
        unsafe {
            let p = a.alloc(l24);
            let q = a.alloc(l24);
            let r = a.alloc(l40);
            for x in [p, q, r] {
                assert!(!x.is_null());
                assert_eq!(x as usize % ALIGN, 0);
            }
            assert!(q as usize >= p as usize + 32 || p as usize >= q as usize + 32);
            ptr::write_bytes(p, 0xAB, 24);
            ptr::write_bytes(q, 0xCD, 24);
            assert_eq!(*p.add(23), 0xAB);
            a.dealloc(p, l24);
            // The freed block of the same class comes back first; another class does not.
            assert_eq!(a.alloc(l24), p);
            assert_ne!(a.alloc(l40), p);
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_across_classes_and_to_the_system() {
        let a = SizeClasses;
        unsafe {
            let l = Layout::from_size_align(10, 1).unwrap();
            let mut p = a.alloc(l);
            for i in 0..10 {
                *p.add(i) = i as u8;
            }
            let mut size = 10;
            // Within a class, across classes, past MAX_SMALL, and back down.
            for new_size in [16, 100, 500, 4000, 100_000, 300, 12] {
                p = a.realloc(p, Layout::from_size_align(size, 1).unwrap(), new_size);
                assert!(!p.is_null());
                for i in 0..10 {
                    assert_eq!(*p.add(i), i as u8, "byte {i} after growing to {new_size}");
                }
                size = new_size;
            }
            a.dealloc(p, Layout::from_size_align(size, 1).unwrap());
        }
    }

    #[test]
    fn large_or_overaligned_layouts_go_to_the_system() {
        let a = SizeClasses;
        unsafe {
            for l in [
                Layout::from_size_align(MAX_SMALL + 1, 8).unwrap(),
                Layout::from_size_align(64, 64).unwrap(),
            ] {
                assert_eq!(class(&l), None);
                let p = a.alloc(l);
                assert_eq!(p as usize % l.align(), 0);
                ptr::write_bytes(p, 1, l.size());
                a.dealloc(p, l);
            }
        }
    }

    #[test]
    fn many_blocks_span_chunks() {
        let a = SizeClasses;
        let l = Layout::from_size_align(MAX_SMALL, 16).unwrap();
        let n = 3 * CHUNK / MAX_SMALL;
        unsafe {
            let blocks: Vec<*mut u8> = (0..n).map(|_| a.alloc(l)).collect();
            for (i, p) in blocks.iter().enumerate() {
                ptr::write_bytes(*p, i as u8, MAX_SMALL);
            }
            for (i, p) in blocks.iter().enumerate() {
                assert_eq!(*p.add(MAX_SMALL - 1), i as u8);
            }
            for p in blocks {
                a.dealloc(p, l);
            }
        }
    }

    #[test]
    fn prefaulting_keeps_contents_and_ignores_bad_ranges() {
        start_prefaulting();
        let mut buf = vec![0u8; 1 << 20];
        for (i, b) in buf.iter_mut().enumerate().take(300_000) {
            *b = (i % 251) as u8;
        }
        prefault(buf.as_ptr(), buf.len());
        // Nothing mapped there, and a range that is not page-aligned at either end.
        prefault(0x1000 as *const u8, 4096);
        prefault(buf.as_ptr().wrapping_add(17), 5000);
        // The requests are served in order: once a later one is gone, these are done.
        let marker = vec![1u8; 8192];
        prefault(marker.as_ptr(), marker.len());
        for _ in 0..200 {
            if REQUESTS.lock().map(|q| q.len == 0).unwrap_or(true) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        for (i, b) in buf.iter().enumerate() {
            let want = if i < 300_000 { (i % 251) as u8 } else { 0 };
            assert_eq!(*b, want, "byte {i}");
        }
        assert!(marker.iter().all(|&b| b == 1));
    }
}
