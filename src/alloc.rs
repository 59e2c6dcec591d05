//! The `orche` binary's memory allocator: small blocks in size classes, carved from large
//! chunks and kept on per-thread free lists; everything else from the system allocator.
//!
//! Why: evaluation makes millions of small, long-lived objects (vertex parts, environments,
//! values) and frees few. glibc's `malloc` spends about 15% of all instructions on them and
//! adds a header to each; mimalloc and jemalloc were faster per call but touched more memory
//! (page faults are a quarter of the wall time on the target machines). Here a small block
//! costs a free-list pop or a pointer bump, and has no header.
//!
//! Invariants: a small block (size at most [`MAX_SMALL`], alignment at most [`ALIGN`]) always
//! has its class's full size, whoever allocated it, so that any thread may reuse it once it is
//! freed; chunks are never returned to the system (the process is short-lived, and freed
//! blocks are reused by size).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::{self, null_mut};

/// Size-class granularity and the alignment of every small block.
const ALIGN: usize = 16;
/// The largest block served from the size classes.
const MAX_SMALL: usize = 512;
const CLASSES: usize = MAX_SMALL / ALIGN;
/// Bytes taken from the system at a time for small blocks.
const CHUNK: usize = 4 << 20;

struct Local {
    /// Per class, the most recently freed block; its first word points to the next one.
    free: [Cell<*mut u8>; CLASSES],
    /// The unused part of the current chunk.
    bump: Cell<*mut u8>,
    end: Cell<*mut u8>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            free: [const { Cell::new(null_mut()) }; CLASSES],
            bump: Cell::new(null_mut()),
            end: Cell::new(null_mut()),
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
            self.free[c].set(unsafe { ptr::read(head.cast::<*mut u8>()) });
            return head;
        }
        let size = class_size(c);
        let bump = self.bump.get();
        if (self.end.get() as usize).saturating_sub(bump as usize) >= size {
            // SAFETY: `bump + size` stays within the current chunk.
            self.bump.set(unsafe { bump.add(size) });
            return bump;
        }
        // SAFETY: a non-zero size and a valid power-of-two alignment.
        let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
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

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(&layout) {
            Some(c) => LOCAL.try_with(|l| l.alloc(c)).unwrap_or_else(|_| {
                // The thread's free lists are gone (thread exit): a block of the class's full
                // size from the system, which a free list may safely take later.
                // SAFETY: non-zero size, valid alignment.
                unsafe { System.alloc(Layout::from_size_align_unchecked(class_size(c), ALIGN)) }
            }),
            // SAFETY: forwarded as is.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class(&layout) {
            // At thread exit the block is left alone: it stays valid, only unused.
            Some(c) => {
                let _ = LOCAL.try_with(|l| l.free(p, c));
            }
            // SAFETY: `p` came from `System.alloc` with this layout.
            None => unsafe { System.dealloc(p, layout) },
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid layout for `new_size`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(&layout), class(&new_layout)) {
            (Some(a), Some(b)) if a == b => p,
            // SAFETY: both large: the system allocator's own block, resized in place if it can.
            (None, None) => unsafe { System.realloc(p, layout, new_size) },
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
}
