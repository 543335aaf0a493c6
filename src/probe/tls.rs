//! HTTPS for `vigil check` (cargo feature `tls`): rustls with the ring provider,
//! over the deadline-bounded stream, with a verifier that accepts any certificate.

use std::io;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

use super::deadline::Deadline;
use super::net::Bounded;
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

pub type TlsStream = StreamOwned<ClientConnection, Bounded>;

/// Runs the TLS handshake over `sock`; every socket read and write in it is
/// bounded by the deadline. SNI is the target's host name; rustls sends none
/// for an IP literal (RFC 6066 section 3). With `h2`, ALPN offers `h2` alone
/// and a server that does not select it fails the probe (gRPC needs HTTP/2).
pub fn connect(
    mut sock: Bounded,
    target: &Target,
    deadline: Deadline,
    h2: bool,
) -> Result<TlsStream, Failure> {
    let provider = Arc::new(ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    if h2 {
        config.alpn_protocols = vec![b"h2".to_vec()];
    }
    let name = ServerName::try_from(target.host.clone())
        .map_err(|_| Failure::Tls("host is not a valid DNS name for SNI".into()))?;
    let mut conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| Failure::Tls(e.to_string()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| match e.kind() {
            // rustls reports protocol and alert errors as InvalidData.
            io::ErrorKind::InvalidData => Failure::Tls(e.to_string()),
            _ => Failure::from_io(e, deadline),
        })?;
    }
    if h2 && conn.alpn_protocol() != Some(b"h2") {
        return Err(Failure::Tls("server did not select ALPN h2".into()));
    }
    Ok(StreamOwned::new(conn, sock))
}
