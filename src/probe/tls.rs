//! HTTPS for `vigil check` (cargo feature `tls`): rustls with the ring provider,
//! over the deadline-bounded stream, with a verifier that accepts any certificate.
//!
//! rustls's stream API is std's `io::Read`/`io::Write`, so this feature links
//! std; this file is the only one that uses it.

extern crate std;

use alloc::string::ToString;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::io;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

use super::net::{Bounded, Conn};
use super::report::Failure;
use super::target::Target;

/// Trusts every server certificate, as Kubernetes' HTTPS probes do: a health
/// probe asks "does the app answer", and containers mostly serve self-signed
/// certificates. Handshake signatures are still checked against the
/// certificate's key, so the peer at least holds the key it presents.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The bounded socket as rustls sees it, through std's I/O traits. A failure
/// of the socket (a timeout, a reset) is kept here, so the probe reports it
/// as it is rather than as whatever rustls makes of an io::Error.
pub struct Sock {
    inner: Bounded,
    failed: Option<Failure>,
}

impl Sock {
    fn fail(&mut self, failure: Failure) -> io::Error {
        self.failed = Some(failure);
        io::Error::from(io::ErrorKind::Other)
    }

    /// What an error from rustls's stream means for the probe. rustls may
    /// have tried to send an alert after a protocol error, and failed: the
    /// protocol error is the one to report.
    fn failure(&mut self, e: io::Error) -> Failure {
        let ours = self.failed.take();
        match e.kind() {
            // rustls reports protocol and alert errors as InvalidData.
            io::ErrorKind::InvalidData => Failure::Tls(e.to_string()),
            io::ErrorKind::UnexpectedEof => Failure::Closed,
            _ => ours.unwrap_or_else(|| Failure::Tls(e.to_string())),
        }
    }
}

impl io::Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|f| self.fail(f))
    }
}

impl io::Write for Sock {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.inner.write(bytes).map_err(|f| self.fail(f))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A TLS connection over the bounded socket.
pub struct TlsStream(StreamOwned<ClientConnection, Sock>);

impl Conn for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        match io::Read::read(&mut self.0, buf) {
            Ok(n) => Ok(n),
            // A close without close_notify: for a body read until close it
            // is just the end.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            Err(e) => Err(self.0.sock.failure(e)),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let done =
            io::Write::write_all(&mut self.0, bytes).and_then(|()| io::Write::flush(&mut self.0));
        done.map_err(|e| self.0.sock.failure(e))
    }
}

/// Runs the TLS handshake over `sock`; every socket read and write in it is
/// bounded by the deadline. SNI is the target's host name; rustls sends none
/// for an IP literal (RFC 6066 section 3).
pub fn connect(sock: Bounded, target: &Target) -> Result<TlsStream, Failure> {
    let mut sock = Sock {
        inner: sock,
        failed: None,
    };
    let provider = Arc::new(ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(target.host.clone())
        .map_err(|_| Failure::Tls("host is not a valid DNS name for SNI".into()))?;
    let mut conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| Failure::Tls(e.to_string()))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(sock.failure(e));
        }
    }
    Ok(TlsStream(StreamOwned::new(conn, sock)))
}
