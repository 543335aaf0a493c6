//! A value for the whole process (vigil's stdout and stderr queues), lent to
//! one borrower at a time: a nested or concurrent borrow is refused, so no
//! second `&mut` can ever exist.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

pub struct Global<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through `with`, which holds `busy` for
// the borrow: one borrower at a time, whatever the thread.
unsafe impl<T: Send> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(value: T) -> Global<T> {
        Global {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` on the value; `None` while it is lent already (to a caller
    /// up the stack, or another thread).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: `busy` was false and is ours until the store below: no
        // other reference to the value exists meanwhile.
        let result = f(unsafe { &mut *self.value.get() });
        self.busy.store(false, Ordering::Release);
        Some(result)
    }
}
