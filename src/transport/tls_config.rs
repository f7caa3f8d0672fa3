//! What a session trusts for `https` ([`Trust`]), and the rustls client
//! configurations behind it, built once and shared: the OS trust store's for
//! the life of the process, a CA file's while any session uses it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use once_cell::sync::OnceCell;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::error::{quote, Error, Status};

/// What a session trusts for `https`.
#[derive(Clone)]
pub enum Trust {
    /// The operating system's trust store (loaded once per process).
    System,
    /// Exactly the certificates of a CA file.
    CaFile(Arc<ClientConfig>),
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::System => f.write_str("Trust::System"),
            Trust::CaFile(_) => f.write_str("Trust::CaFile"),
        }
    }
}

impl Trust {
    /// Trust exactly the certificates in a PEM file. Files with the same
    /// certificates share one TLS configuration.
    pub fn from_ca_file(path: &Path) -> Result<Trust, Error> {
        let shown = quote(&path.display().to_string());
        let pem = std::fs::read(path)
            .map_err(|e| Error::new(Status::Io, format!("cannot read the CA file {shown}: {e}")))?;
        let mut ders = Vec::new();
        for item in CertificateDer::pem_slice_iter(&pem) {
            match item {
                Ok(der) => ders.push(der),
                Err(e) => {
                    return Err(Error::argument(format!(
                        "the CA file {shown} is not valid PEM: {e}"
                    )))
                }
            }
        }
        if ders.is_empty() {
            return Err(Error::argument(format!(
                "the CA file {shown} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)"
            )));
        }
        shared_ca_config(ders).map(Trust::CaFile)
    }

    /// Which certificates are trusted, for the log.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Trust::System => "the operating system's trust store",
            Trust::CaFile(_) => "the session's CA file",
        }
    }

    pub(super) fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        match self {
            Trust::System => system_config(),
            Trust::CaFile(config) => Ok(config.clone()),
        }
    }
}

fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceCell<Arc<rustls::crypto::CryptoProvider>> = OnceCell::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, Error> {
    let config = ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Tls, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS configuration over the OS trust store, built on first use and
/// kept for the life of the process (like curl and OpenSSL, it honours
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`).
fn system_config() -> Result<Arc<ClientConfig>, Error> {
    static SYSTEM: OnceCell<Result<Arc<ClientConfig>, Error>> = OnceCell::new();
    SYSTEM
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::new(
                    Status::Tls,
                    "no trusted root certificate was found in the operating system's trust store \
                     (install ca-certificates, or set SSL_CERT_FILE), or set the session's CA file \
                     to the CA that signed the server's certificate",
                ));
            }
            client_config(roots)
        })
        .clone()
}

/// One configuration per set of CA certificates, shared while any session
/// uses it.
fn shared_ca_config(ders: Vec<CertificateDer<'static>>) -> Result<Arc<ClientConfig>, Error> {
    static CACHE: OnceCell<Mutex<HashMap<Vec<u8>, Weak<ClientConfig>>>> = OnceCell::new();
    let key: Vec<u8> = ders
        .iter()
        .flat_map(|d| d.as_ref().iter().copied())
        .collect();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(config) = cache.get(&key).and_then(Weak::upgrade) {
        return Ok(config);
    }
    let mut roots = RootCertStore::empty();
    for der in ders {
        roots.add(der).map_err(|e| {
            Error::argument(format!(
                "the CA file holds a certificate that cannot be used: {e}"
            ))
        })?;
    }
    let config = client_config(roots)?;
    cache.retain(|_, weak| weak.strong_count() > 0);
    cache.insert(key, Arc::downgrade(&config));
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh self-signed certificate, as DER and as PEM.
    fn certificate() -> (CertificateDer<'static>, String) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("a test certificate");
        (made.cert.der().clone(), made.cert.pem())
    }

    /// A file of this test's own under the temporary directory, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> TempFile {
            let path = std::env::temp_dir().join(format!(
                "etna-auth-tls-config-{}-{name}.pem",
                std::process::id()
            ));
            std::fs::write(&path, contents).expect("write the test file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn config_of(trust: &Trust) -> Arc<ClientConfig> {
        match trust {
            Trust::CaFile(config) => config.clone(),
            Trust::System => panic!("a CA file's trust"),
        }
    }

    #[test]
    fn the_same_certificates_share_one_config_while_it_is_used() {
        let (a, _) = certificate();
        let (b, _) = certificate();
        let first = shared_ca_config(vec![a.clone()]).unwrap();
        let again = shared_ca_config(vec![a.clone()]).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // Other certificates, or more of them, are another key.
        let other = shared_ca_config(vec![b.clone()]).unwrap();
        let both = shared_ca_config(vec![a.clone(), b]).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(!Arc::ptr_eq(&first, &both));
        assert!(!Arc::ptr_eq(&other, &both));
        // The cache holds no session's config alive.
        let weak = Arc::downgrade(&first);
        drop((first, again));
        assert!(weak.upgrade().is_none());
        assert!(shared_ca_config(vec![a]).is_ok(), "built anew");
    }

    #[test]
    fn two_files_with_the_same_certificate_share_one_config() {
        let (_, pem) = certificate();
        let one = TempFile::new("one", &pem);
        let two = TempFile::new("two", &format!("# the same CA\n{pem}"));
        let first = Trust::from_ca_file(&one.0).unwrap();
        let second = Trust::from_ca_file(&two.0).unwrap();
        assert!(Arc::ptr_eq(&config_of(&first), &config_of(&second)));
        assert_eq!(format!("{first:?}"), "Trust::CaFile");
        assert_eq!(first.describe(), "the session's CA file");
        assert!(Arc::ptr_eq(
            &first.client_config().unwrap(),
            &config_of(&second)
        ));
    }

    #[test]
    fn unusable_ca_files_are_refused_with_the_reason() {
        let missing = std::env::temp_dir().join("etna-auth-no-such-dir/ca.pem");
        let error = Trust::from_ca_file(&missing).unwrap_err();
        assert_eq!(error.status(), Status::Io);
        assert!(
            error.message().starts_with("cannot read the CA file \"")
                && error.message().contains("ca.pem"),
            "{}",
            error.message()
        );
        let cases = [
            ("empty", "", "holds no certificate"),
            (
                "key-only",
                "-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n",
                "holds no certificate",
            ),
            (
                "bad-base64",
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                "is not valid PEM",
            ),
            (
                "not-der",
                "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
                "holds a certificate that cannot be used",
            ),
        ];
        for (name, contents, expected) in cases {
            let file = TempFile::new(name, contents);
            let error = Trust::from_ca_file(&file.0).unwrap_err();
            assert_eq!(error.status(), Status::Argument, "{name}");
            assert!(
                error.message().contains(expected),
                "{name}: {}",
                error.message()
            );
        }
    }

    #[test]
    fn the_system_trust_is_described_without_loading_it() {
        assert_eq!(format!("{:?}", Trust::System), "Trust::System");
        assert_eq!(
            Trust::System.describe(),
            "the operating system's trust store"
        );
    }
}
