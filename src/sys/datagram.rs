//! AF_UNIX datagram sockets for sd_notify (sd_notify(3)): the one vigil sends
//! on to the `NOTIFY_SOCKET` it was given, one non-blocking sendto a message,
//! and the one it binds for its children at an unguessable abstract name,
//! which hands over each datagram with its sender's pid (SCM_CREDENTIALS).

use core::mem::size_of;

use super::errno::{Errno, Result, check};
use super::fd::Fd;

/// The largest datagram the receiver takes (systemd's NOTIFY_BUFFER_MAX);
/// a longer one is dropped whole.
pub const MAX_DATAGRAM: usize = 4096;

/// A socket address for `NOTIFY_SOCKET`'s `/path`, or `@name` in the
/// abstract namespace (unix(7)): EINVAL for anything else (systemd refuses a
/// relative path too).
struct Address {
    addr: libc::sockaddr_un,
    len: libc::socklen_t,
}

impl Address {
    fn new(name: &[u8]) -> Result<Address> {
        if !matches!(name, [b'/', ..] | [b'@', _, ..]) {
            return Err(Errno(libc::EINVAL));
        }
        let (addr, len) = super::unix_socket::address(name)?;
        Ok(Address { addr, len })
    }
}

fn socket() -> Result<Fd> {
    // SAFETY: socket takes integers; the new fd is owned by the Fd returned.
    let raw = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    check(raw).map(Fd::own)
}

/// An unbound socket that sends to one address.
pub struct Sender {
    fd: Fd,
    to: Address,
}

impl Sender {
    /// For `NOTIFY_SOCKET`'s value; EINVAL when it is neither `/path` nor `@name`.
    pub fn new(name: &[u8]) -> Result<Sender> {
        let to = Address::new(name)?;
        Ok(Sender { fd: socket()?, to })
    }

    pub fn fd(&self) -> i32 {
        self.fd.raw()
    }

    /// One datagram, never waiting: a receiver that is gone (ENOENT,
    /// ECONNREFUSED) or whose queue is full (EAGAIN) is an error at once. No
    /// SIGPIPE (MSG_NOSIGNAL).
    pub fn send(&self, bytes: &[u8]) -> Result<()> {
        // SAFETY: the kernel reads `bytes.len()` bytes from `bytes` and
        // `to.len` (at most its size) from the sockaddr_un we own.
        let n = unsafe {
            libc::sendto(
                self.fd.raw(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                (&self.to.addr as *const libc::sockaddr_un).cast(),
                self.to.len,
            )
        };
        check(n as i64).map(drop)
    }
}

/// One datagram taken from a `Receiver`.
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    /// Its length in the buffer; 0 when it did not fit and was dropped.
    pub len: usize,
    /// Longer than the buffer: the kernel kept only what fit (MSG_TRUNC).
    pub truncated: bool,
    /// The sender's pid in vigil's PID namespace: 0 for a process outside
    /// it (the kernel's translation of SCM_CREDENTIALS, unix(7)).
    pub pid: i32,
}

/// A bound datagram socket that reads its senders' credentials.
pub struct Receiver {
    fd: Fd,
}

impl Receiver {
    /// Binds at `@PREFIX` and 32 letters `a`-`p` (128 bits from getrandom(2)):
    /// a name no other process can guess (it still shows in /proc/net/unix).
    /// Returns the receiver and its name as `NOTIFY_SOCKET` spells it.
    pub fn bind_unguessable(prefix: &[u8]) -> Result<(Receiver, alloc::vec::Vec<u8>)> {
        let mut random = [0u8; 16];
        // SAFETY: getrandom writes at most `random.len()` bytes into it.
        let n = unsafe { libc::getrandom(random.as_mut_ptr().cast(), random.len(), 0) };
        if check(n as i64)? != random.len() as i64 {
            return Err(Errno(libc::EIO));
        }
        let mut name = alloc::vec![b'@'];
        name.extend_from_slice(prefix);
        for b in random {
            name.extend_from_slice(&[b'a' + (b >> 4), b'a' + (b & 15)]);
        }
        let at = Address::new(&name)?;
        let fd = socket()?;
        let on: i32 = 1;
        // SAFETY: passes a pointer to a local int and its exact size; bind
        // reads `at.len` bytes of the sockaddr_un we own.
        unsafe {
            check(libc::setsockopt(
                fd.raw(),
                libc::SOL_SOCKET,
                libc::SO_PASSCRED,
                (&on as *const i32).cast(),
                size_of::<i32>() as libc::socklen_t,
            ))?;
            check(libc::bind(
                fd.raw(),
                (&at.addr as *const libc::sockaddr_un).cast(),
                at.len,
            ))?;
        }
        Ok((Receiver { fd }, name))
    }

    pub fn fd(&self) -> i32 {
        self.fd.raw()
    }

    /// Takes one waiting datagram into `buf` with its sender's pid; `None`
    /// when none waits. A datagram longer than `buf` is gone whole (its
    /// `len` is 0). Never waits.
    ///
    /// The control buffer holds one SCM_CREDENTIALS and nothing more: fds a
    /// sender passes (SCM_RIGHTS) do not fit, so the kernel installs none of
    /// them and drops them (MSG_CTRUNC; scm_detach_fds).
    pub fn receive(&self, buf: &mut [u8]) -> Result<Option<Received>> {
        #[repr(C)]
        struct Control {
            // cmsghdr's alignment; CMSG_SPACE(sizeof(struct ucred)) is 32.
            header: libc::cmsghdr,
            cred: libc::ucred,
            _pad: u32,
        }
        // SAFETY: both are plain old data; all-zero is a valid value.
        let mut control: Control = unsafe { core::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = (&mut control as *mut Control).cast();
        msg.msg_controllen = size_of::<Control>() as _;
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`
        // and at most `msg_controllen` into `control`, both ours and alive.
        let n = unsafe {
            libc::recvmsg(
                self.fd.raw(),
                &mut msg,
                libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
            )
        };
        let len = match check(n as i64) {
            Ok(n) => n as usize,
            Err(e) if e.timed_out() || e.interrupted() => return Ok(None),
            Err(e) => return Err(e),
        };
        let truncated = msg.msg_flags & libc::MSG_TRUNC != 0;
        let has_cred = msg.msg_controllen as usize >= size_of::<libc::cmsghdr>()
            && control.header.cmsg_level == libc::SOL_SOCKET
            && control.header.cmsg_type == libc::SCM_CREDENTIALS;
        Ok(Some(Received {
            len: if truncated { 0 } else { len },
            truncated,
            pid: if has_cred { control.cred.pid } else { 0 },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn an_address_is_an_absolute_path_or_an_abstract_name() {
        let path = Address::new(b"/run/notify.sock").expect("path");
        let abs = Address::new(b"@vigil").expect("abstract");
        assert_eq!(abs.len as usize, 2 + 6);
        assert_eq!(path.len as usize, size_of::<libc::sockaddr_un>());
        assert_eq!(abs.addr.sun_path[0], 0);
        for bad in [&b""[..], b"@", b"run/x", b"/a\0b", b"vsock:2:1"] {
            assert_eq!(Address::new(bad).err(), Some(Errno(libc::EINVAL)));
        }
        let long = [b'/'; 108];
        assert_eq!(Address::new(&long).err(), Some(Errno(libc::ENAMETOOLONG)));
    }

    #[test]
    fn a_datagram_arrives_with_its_senders_pid_and_a_long_one_is_dropped() {
        let (receiver, name) = Receiver::bind_unguessable(b"vigil-test-").expect("bind");
        assert_eq!(name.len(), 1 + 11 + 32);
        let (other, _) = Receiver::bind_unguessable(b"vigil-test-").expect("bind");
        drop(other);
        let sender = Sender::new(&name).expect("sender");
        let mut buf = [0u8; MAX_DATAGRAM];
        assert_eq!(receiver.receive(&mut buf), Ok(None));
        sender.send(b"READY=1\nSTATUS=up").expect("send");
        let got = receiver.receive(&mut buf).expect("receive").expect("one");
        assert_eq!(&buf[..got.len], b"READY=1\nSTATUS=up");
        assert_eq!(got.pid, std::process::id() as i32);
        sender.send(&[b'x'; MAX_DATAGRAM + 1]).expect("send long");
        let long = receiver.receive(&mut buf).expect("receive").expect("one");
        assert!(long.truncated && long.len == 0, "{long:?}");
        assert_eq!(receiver.receive(&mut buf), Ok(None));
    }

    /// Sends `text` with `fd` attached (SCM_RIGHTS) from a socket of its own.
    fn send_with_fd(name: &[u8], text: &[u8], fd: i32) {
        let to = Address::new(name).expect("address");
        let from = socket().expect("socket");
        #[repr(C)]
        struct Rights {
            header: libc::cmsghdr,
            fd: i32,
            _pad: u32,
        }
        // SAFETY: plain old data; all-zero is valid.
        let mut rights: Rights = unsafe { core::mem::zeroed() };
        rights.header.cmsg_len = (size_of::<libc::cmsghdr>() + 4) as _;
        rights.header.cmsg_level = libc::SOL_SOCKET;
        rights.header.cmsg_type = libc::SCM_RIGHTS;
        rights.fd = fd;
        let mut iov = libc::iovec {
            iov_base: text.as_ptr() as *mut _,
            iov_len: text.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_name = (&to.addr as *const libc::sockaddr_un as *mut libc::sockaddr_un).cast();
        msg.msg_namelen = to.len;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = (&mut rights as *mut Rights).cast();
        msg.msg_controllen = size_of::<Rights>() as _;
        // SAFETY: every pointer in `msg` is to a live local of the right size;
        // the kernel only reads them.
        let n = unsafe { libc::sendmsg(from.raw(), &msg, 0) };
        assert_eq!(n, text.len() as isize, "sendmsg: {}", Errno::last());
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd")
            .expect("/proc/self/fd")
            .count()
    }

    #[test]
    fn fds_a_sender_passes_are_never_installed() {
        let (receiver, name) = Receiver::bind_unguessable(b"vigil-test-").expect("bind");
        let file = std::fs::File::open("/proc/self/stat").expect("open");
        use std::os::fd::AsRawFd;
        let mut buf = [0u8; MAX_DATAGRAM];
        let before = open_fds();
        for _ in 0..50 {
            send_with_fd(&name, b"READY=1", file.as_raw_fd());
            let got = receiver.receive(&mut buf).expect("receive").expect("one");
            assert_eq!(&buf[..got.len], b"READY=1");
            assert_eq!(got.pid, std::process::id() as i32);
        }
        // Other tests' threads open fds too: 50 installed would show.
        assert!(open_fds() < before + 10, "{before} -> {}", open_fds());
    }

    #[test]
    fn a_path_receiver_gets_what_is_sent_and_a_missing_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("vigil-dgram-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("notify.sock");
        let listener = UnixDatagram::bind(&path).expect("bind");
        let sender = Sender::new(path.to_str().expect("utf-8").as_bytes()).expect("sender");
        sender.send(b"WATCHDOG=1").expect("send");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        drop(listener);
        std::fs::remove_file(&path).expect("rm");
        assert_eq!(sender.send(b"READY=1"), Err(Errno(libc::ENOENT)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
