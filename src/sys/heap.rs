//! vigil's heap: power-of-two size classes with a free list each, carved from
//! 64 KiB chunks of mmap'd memory; blocks over 32 KiB are mmap'd on their own.
//!
//! musl's malloc is 8.5 KiB of code for threads and for giving memory back,
//! neither of which vigil needs: it holds a few small buffers at a time, so
//! its heap stays at its peak (a few chunks) and is reused. This one is about
//! 0.6 KiB. A spin lock keeps it sound if a thread ever appears.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, Ordering};

/// The smallest class holds 16 bytes (a free-list link, and malloc's alignment).
const MIN_SHIFT: u32 = 4;
/// The largest class holds 32 KiB; larger blocks are mmap'd on their own.
const MAX_SHIFT: u32 = 15;
const CLASSES: usize = (MAX_SHIFT - MIN_SHIFT + 1) as usize;
const CHUNK: usize = 64 << 10;
/// Every block's alignment at least (malloc's, and the free-list link's).
const MIN_ALIGN: usize = 1 << MIN_SHIFT;
const PAGE: usize = 4096;
// A fresh chunk must hold a block of the largest class at its alignment.
const _: () = assert!(1 << MAX_SHIFT <= CHUNK / 2);

pub struct Heap {
    locked: AtomicBool,
    state: UnsafeCell<State>,
}

struct State {
    /// Freed blocks of each class, linked through their first word.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk (null before the first).
    next: *mut u8,
    end: *mut u8,
}

// SAFETY: `state` is only touched while `locked` is held (see `with_state`).
unsafe impl Sync for Heap {}

impl Heap {
    pub const fn new() -> Heap {
        Heap {
            locked: AtomicBool::new(false),
            state: UnsafeCell::new(State {
                free: [null_mut(); CLASSES],
                next: null_mut(),
                end: null_mut(),
            }),
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        while self.locked.swap(true, Ordering::Acquire) {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to the state.
        let result = f(unsafe { &mut *self.state.get() });
        self.locked.store(false, Ordering::Release);
        result
    }
}

impl Default for Heap {
    fn default() -> Heap {
        Heap::new()
    }
}

/// The class index for a layout, or `None` for a block mmap'd on its own.
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let shift = size.next_power_of_two().trailing_zeros();
    (shift <= MAX_SHIFT).then(|| (shift - MIN_SHIFT) as usize)
}

/// Pages for a large block.
fn large_len(layout: Layout) -> usize {
    layout.size().next_multiple_of(PAGE)
}

fn map(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address of the kernel's choice
    // touches no existing memory.
    let p = unsafe {
        libc::mmap(
            null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        null_mut()
    } else {
        p.cast()
    }
}

impl State {
    /// A block of `class` aligned to `align`. Fresh blocks are carved at
    /// `align` (at least 16), not at their size, so small and large blocks
    /// pack without padding: every heap page vigil touches counts in its
    /// peak RSS. A free-list block is only known to be 16-aligned, so a
    /// rarer, larger alignment always gets a fresh block.
    fn take(&mut self, class: usize, align: usize) -> *mut u8 {
        // `class` gives only classes in range; another is a failed allocation.
        let Some(list) = self.free.get_mut(class) else {
            return null_mut();
        };
        let head = *list;
        if !head.is_null() && align <= MIN_ALIGN {
            // SAFETY: a block on a free list is ours, at least 16 bytes and
            // 16-aligned, and holds the next link in its first word.
            *list = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = 1usize << (class as u32 + MIN_SHIFT);
        let align = align.max(MIN_ALIGN);
        let aligned = |p: *mut u8| p.wrapping_add(p.addr().wrapping_neg() & (align - 1));
        let mut start = aligned(self.next);
        if self.next.is_null() || start.addr() + size > self.end.addr() {
            let chunk = map(CHUNK);
            if chunk.is_null() {
                return chunk;
            }
            self.end = chunk.wrapping_add(CHUNK);
            start = aligned(chunk);
        }
        self.next = start.wrapping_add(size);
        start
    }

    /// # Safety
    /// `block` came from `take(class)` and is given back once.
    unsafe fn give(&mut self, class: usize, block: *mut u8) {
        // `take` lent it, so its class is in range (another would leak).
        if let Some(list) = self.free.get_mut(class) {
            // SAFETY: per the contract, the block is ours, 16-aligned and at
            // least 16 bytes, and nobody else uses it any more.
            unsafe { block.cast::<*mut u8>().write(*list) };
            *list = block;
        }
    }
}

// SAFETY: blocks come from mappings only this allocator hands out and are at
// least `layout.size()` bytes; every block is 16-aligned, and a layout asking
// for more gets a fresh block carved at its alignment (`take`); a block is
// never on a free list while it is lent out.
// Alignments over a page on large blocks are refused (null), never violated.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            Some(c) => self.with_state(|s| s.take(c, layout.align())),
            None if layout.align() <= PAGE => map(large_len(layout)),
            None => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            // SAFETY: GlobalAlloc's contract: `ptr` was lent by `alloc` with
            // this layout, hence this class, and is freed once.
            Some(c) => self.with_state(|s| unsafe { s.give(c, ptr) }),
            // SAFETY: a large block is a mapping of exactly this length.
            None => unsafe {
                libc::munmap(ptr.cast(), large_len(layout));
            },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees new_size, rounded to the alignment,
        // does not overflow isize (GlobalAlloc::realloc's contract).
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class(new).is_some() && class(new) == class(layout) {
            return ptr;
        }
        // SAFETY: as GlobalAlloc's own default: a new block, the overlap
        // copied, the old block freed.
        unsafe {
            let fresh = self.alloc(new);
            if !fresh.is_null() {
                core::ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("layout")
    }

    #[test]
    fn classes() {
        assert_eq!(class(layout(1, 1)), Some(0));
        assert_eq!(class(layout(16, 8)), Some(0));
        assert_eq!(class(layout(17, 1)), Some(1));
        assert_eq!(class(layout(8, 64)), Some(2));
        assert_eq!(class(layout(32 << 10, 8)), Some(CLASSES - 1));
        assert_eq!(class(layout((32 << 10) + 1, 8)), None);
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_reused() {
        let heap = Heap::new();
        let mut lent = Vec::new();
        for (i, size) in [1, 7, 16, 24, 100, 4096, 5000, 40_000, 200_000]
            .iter()
            .cycle()
            .take(300)
            .enumerate()
        {
            let l = layout(*size, [1, 8, 16, 64][i % 4]);
            // SAFETY: a non-zero size; each block is written within its size.
            let p = unsafe { heap.alloc(l) };
            assert!(!p.is_null());
            assert_eq!(p as usize % l.align(), 0, "{l:?}");
            // SAFETY: `p` holds `l.size()` bytes.
            unsafe { p.write_bytes(i as u8, l.size()) };
            lent.push((p, l, i as u8));
        }
        for &(p, l, fill) in &lent {
            // SAFETY: reading back the bytes written above.
            let bytes = unsafe { std::slice::from_raw_parts(p, l.size()) };
            assert!(bytes.iter().all(|&b| b == fill), "{l:?} overwritten");
        }
        let (p, l, _) = lent[10];
        // SAFETY: `p` was lent with `l` and is freed once.
        unsafe { heap.dealloc(p, l) };
        // SAFETY: same layout as the block just freed.
        assert_eq!(unsafe { heap.alloc(l) }, p, "a freed block is reused");
    }

    #[test]
    fn small_and_large_blocks_pack_without_padding() {
        let heap = Heap::new();
        // SAFETY: non-zero sizes; nothing is written.
        let (a, b) = unsafe { (heap.alloc(layout(16, 8)), heap.alloc(layout(200, 8))) };
        assert_eq!(
            b as usize - a as usize,
            16,
            "the 256-byte block follows at once"
        );
    }

    #[test]
    fn a_freed_block_is_not_lent_for_a_larger_alignment() {
        let heap = Heap::new();
        let small = layout(40, 8);
        // SAFETY: non-zero sizes; each block is freed once with its layout.
        unsafe {
            let _pad = heap.alloc(layout(16, 8));
            let p = heap.alloc(small);
            heap.dealloc(p, small);
            let q = heap.alloc(layout(40, 64));
            assert_eq!(q as usize % 64, 0);
            assert_eq!(heap.alloc(small), p, "the freed block still serves its own");
        }
    }

    #[test]
    fn realloc_keeps_contents() {
        let heap = Heap::new();
        let l = layout(10, 1);
        // SAFETY: allocations and copies within the sizes asked for.
        unsafe {
            let p = heap.alloc(l);
            p.copy_from(b"0123456789".as_ptr(), 10);
            let same = heap.realloc(p, l, 16);
            assert_eq!(same, p, "10 and 16 bytes share a class");
            let big = heap.realloc(same, layout(16, 1), 100_000);
            assert_eq!(std::slice::from_raw_parts(big, 10), b"0123456789");
            let small = heap.realloc(big, layout(100_000, 1), 20);
            assert_eq!(std::slice::from_raw_parts(small, 10), b"0123456789");
            heap.dealloc(small, layout(20, 1));
        }
    }
}
