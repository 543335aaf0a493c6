//! `vigil check`: placeholder until the probe lands (issue "vigil check").

use std::ffi::OsString;

pub fn main(_args: Vec<OsString>) -> i32 {
    crate::error!("check: not implemented in this build yet");
    1
}
