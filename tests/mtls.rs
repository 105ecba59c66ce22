//! Connections real providers need (issue 13, item 3): a client certificate for mTLS (PEM,
//! encrypted PEM, PKCS#12), an extra CA bundle for a server signed by a private CA, and an
//! explicit proxy — with the environment's HTTP(S)_PROXY still ignored.
//!
//! The certificates are made here by the `openssl` command (an independent second
//! implementation); the server is tokio-rustls with a WebPki client verifier that DEMANDS a
//! client certificate issued by the test CA. The proxy is a tiny loopback CONNECT/HTTP proxy.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use snap_console::model::{Profile, ProfileSecrets};
use snap_console::net::client::{self, BuiltRequest, SendError, identity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "common/cli_sandbox.rs"]
mod cli_sandbox;

const P12_PASS: &str = "p12-test-passphrase";
const KEY_PASS: &str = "key-test-passphrase";

// ---------------------------------------------------------------- certificates (openssl)

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read pki file")
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read pki file")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command runs (install it: apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for localhost/127.0.0.1, a client certificate (PEM,
/// encrypted PEM, PKCS#12), and a client certificate from another CA.
fn make_pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for (ca, cn) in [("ca", "Test Private CA"), ("other-ca", "Some Other CA")] {
        let subj = format!("/CN={cn}");
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        let mut args = vec!["req", "-x509"];
        args.extend_from_slice(&ec);
        args.extend_from_slice(&[
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &args);
    }
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    std::fs::write(
        d.join("client.ext"),
        "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    for (name, cn, ca, ext) in [
        ("server", "localhost", "ca", "server.ext"),
        ("client", "merchant-client", "ca", "client.ext"),
        ("stranger", "stranger-client", "other-ca", "client.ext"),
    ] {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let subj = format!("/CN={cn}");
        let mut args = vec!["req"];
        args.extend_from_slice(&ec);
        args.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(d, &args);
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                ext,
            ],
        );
    }
    let p12_pass = format!("pass:{P12_PASS}");
    openssl(
        d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "client.key",
            "-in",
            "client.pem",
            "-certfile",
            "ca.pem",
            "-out",
            "client.p12",
            "-passout",
            &p12_pass,
        ],
    );
    let key_pass = format!("pass:{KEY_PASS}");
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "client.key",
            "-out",
            "client-enc.key",
            "-passout",
            &key_pass,
        ],
    );
    Pki { dir }
}

// ---------------------------------------------------------------- the mTLS server

/// What the server saw of each TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Handshake done; the client's certificate, if it sent one (DER of the leaf).
    Served { client_cert: Option<Vec<u8>> },
    /// The handshake failed (the verifier said no).
    Refused(String),
}

struct TlsServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A TLS server on loopback; `demand_client_cert` makes it require a client certificate
/// issued by the test CA.
async fn tls_server(pki: &Pki, demand_client_cert: bool) -> TlsServer {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki.path("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(pki.path("server.key")).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let config = if demand_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(pki.path("ca.pem")).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .unwrap();
        builder
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap()
    } else {
        builder
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap()
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let log = log.clone();
            tokio::spawn(async move { serve_tls(acceptor, tcp, log).await });
        }
    });
    TlsServer { port, seen, task }
}

async fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
) {
    let mut tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            log.lock().unwrap().push(Seen::Refused(e.to_string()));
            return;
        }
        Err(_) => return,
    };
    let client_cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec());
    let cn = if client_cert.is_some() {
        "with"
    } else {
        "without"
    };
    log.lock().unwrap().push(Seen::Served { client_cert });
    let _ = read_head(&mut tls).await;
    let body = format!(
        r#"{{"responseCode":"2007300","responseMessage":"Successful","clientCertificate":"{cn}"}}"#
    );
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(answer.as_bytes()).await;
    let _ = tls.shutdown().await;
}

/// Read up to the end of a request head (and any body announced by Content-Length).
async fn read_head<S: AsyncReadExt + Unpin>(stream: &mut S) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return buf;
            }
        }
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return buf,
        }
        if buf.len() > 1 << 20 {
            return buf;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------- the client side

fn profile_for(port: u16, pki: &Pki) -> Profile {
    Profile {
        name: "mTLS bank".into(),
        base_url: format!("https://localhost:{port}"),
        ca_bundle_pem: pki.text("ca.pem"),
        ..Profile::default()
    }
}

fn with_identity(
    profile: &mut Profile,
    secrets: &mut ProfileSecrets,
    id: identity::ClientIdentity,
) {
    profile.client_cert_pem = id.cert_chain_pem;
    secrets.client_cert_key_pem = id.key_pem;
}

fn get(url: &str) -> BuiltRequest {
    BuiltRequest {
        service_id: "test".into(),
        method: "GET".into(),
        url: url.into(),
        headers: vec![],
        body: vec![],
        string_to_sign: None,
        signature_parts: None,
        warnings: vec![],
        field_problems: vec![],
        verify_tls: true,
    }
}

async fn call(
    profile: &Profile,
    secrets: &ProfileSecrets,
) -> Result<client::ResponseRecord, SendError> {
    let http = client::http_client_for(profile, secrets)?;
    client::send(
        &http,
        &get(&format!("{}/ping", profile.base_url)),
        Duration::from_secs(10),
    )
    .await
}

fn leaf_der(pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn the_right_client_certificate_is_accepted_as_pem_encrypted_pem_and_pkcs12() {
    let pki = make_pki();
    let server = tls_server(&pki, true).await;
    let client_der = leaf_der(&pki.text("client.pem"));

    let identities = [
        (
            "PEM",
            identity::identity_from_pem(&pki.bytes("client.pem"), &pki.bytes("client.key"), None),
        ),
        (
            "encrypted PKCS#8",
            identity::identity_from_pem(
                &pki.bytes("client.pem"),
                &pki.bytes("client-enc.key"),
                Some(KEY_PASS),
            ),
        ),
        (
            "PKCS#12",
            identity::identity_from_pkcs12(&pki.bytes("client.p12"), P12_PASS),
        ),
    ];
    for (form, id) in identities {
        let id = id.unwrap_or_else(|e| panic!("{form}: {e}"));
        assert!(
            id.summary.subject.contains("merchant-client"),
            "{form}: {:?}",
            id.summary
        );
        let mut profile = profile_for(server.port, &pki);
        let mut secrets = ProfileSecrets::default();
        with_identity(&mut profile, &mut secrets, id);
        let record = call(&profile, &secrets)
            .await
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(record.status, 200, "{form}");
        assert!(String::from_utf8_lossy(&record.body).contains(r#""clientCertificate":"with""#));
        let seen = server.seen.lock().unwrap().last().cloned();
        assert_eq!(
            seen,
            Some(Seen::Served {
                client_cert: Some(client_der.clone())
            }),
            "{form}: the server saw our certificate"
        );
    }
    // PKCS#12 brings the CA along: the chain holds the client's certificate first.
    let p12 = identity::identity_from_pkcs12(&pki.bytes("client.p12"), P12_PASS).unwrap();
    assert_eq!(p12.summary.count, 2, "{:?}", p12.summary);
    assert_eq!(leaf_der(&p12.cert_chain_pem), client_der);
}

#[tokio::test]
async fn no_certificate_or_a_strangers_is_refused_with_a_clear_message() {
    let pki = make_pki();
    let server = tls_server(&pki, true).await;

    // Without a certificate.
    let profile = profile_for(server.port, &pki);
    let error = call(&profile, &ProfileSecrets::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "tls", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("refused this client's certificate"),
        "{message}"
    );
    assert!(message.contains("client certificate and key"), "{message}");
    assert!(
        message.contains(&format!("localhost:{}", server.port)),
        "{message}"
    );

    // With one from another CA.
    let mut profile = profile_for(server.port, &pki);
    let mut secrets = ProfileSecrets::default();
    let stranger =
        identity::identity_from_pem(&pki.bytes("stranger.pem"), &pki.bytes("stranger.key"), None)
            .unwrap();
    with_identity(&mut profile, &mut secrets, stranger);
    let error = call(&profile, &secrets).await.unwrap_err();
    assert_eq!(error.kind(), "tls", "{error}");
    assert!(
        error
            .to_string()
            .contains("refused this client's certificate"),
        "{error}"
    );

    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|s| matches!(s, Seen::Refused(_))),
        "{seen:?}"
    );
}

#[tokio::test]
async fn bad_identity_material_is_refused_before_any_connection() {
    let pki = make_pki();
    // Wrong PKCS#12 passphrase.
    let error = identity::identity_from_pkcs12(&pki.bytes("client.p12"), "wrong").unwrap_err();
    assert!(error.to_string().contains("passphrase is wrong"), "{error}");
    // Encrypted key without / with a wrong passphrase.
    let error =
        identity::identity_from_pem(&pki.bytes("client.pem"), &pki.bytes("client-enc.key"), None)
            .unwrap_err();
    assert_eq!(error, identity::IdentityError::PassphraseNeeded);
    let error = identity::identity_from_pem(
        &pki.bytes("client.pem"),
        &pki.bytes("client-enc.key"),
        Some("wrong"),
    )
    .unwrap_err();
    assert_eq!(error, identity::IdentityError::KeyDecrypt);
    // A key that is not the certificate's: the client cannot be made, and says why.
    let mismatched =
        identity::identity_from_pem(&pki.bytes("client.pem"), &pki.bytes("stranger.key"), None)
            .unwrap();
    let mut profile = profile_for(1, &pki);
    let mut secrets = ProfileSecrets::default();
    with_identity(&mut profile, &mut secrets, mismatched);
    let error = client::http_client_for(&profile, &secrets).unwrap_err();
    assert!(
        error.to_string().contains("client certificate and key"),
        "{error}"
    );
    // A certificate without its key.
    secrets.client_cert_key_pem = Default::default();
    let error = client::http_client_for(&profile, &secrets).unwrap_err();
    assert!(error.to_string().contains("no key"), "{error}");
}

#[tokio::test]
async fn the_extra_ca_bundle_makes_a_private_ca_trusted() {
    let pki = make_pki();
    let server = tls_server(&pki, false).await;

    let mut profile = profile_for(server.port, &pki);
    let record = call(&profile, &ProfileSecrets::default()).await.unwrap();
    assert_eq!(record.status, 200);

    profile.ca_bundle_pem.clear();
    let error = call(&profile, &ProfileSecrets::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "tls", "{error}");
    assert!(
        error
            .to_string()
            .contains("the server's certificate was not accepted"),
        "{error}"
    );

    let (bundle, summary) = identity::ca_bundle_from_pem(pki.text("ca.pem").as_bytes()).unwrap();
    assert!(summary.subject.contains("Test Private CA"), "{summary:?}");
    profile.ca_bundle_pem = bundle;
    assert_eq!(
        call(&profile, &ProfileSecrets::default())
            .await
            .unwrap()
            .status,
        200
    );
}

// ---------------------------------------------------------------- the proxy

/// A loopback proxy: CONNECT tunnels, and absolute-form HTTP requests forwarded as they
/// are. It records each request line.
struct Proxy {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

async fn proxy() -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let log = lines.clone();
    let task = tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move { relay(client, log).await });
        }
    });
    Proxy { port, lines, task }
}

async fn relay(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let head = read_head(&mut client).await;
    let Some(line_end) = find(&head, b"\r\n") else {
        return;
    };
    let line = String::from_utf8_lossy(&head[..line_end]).into_owned();
    log.lock().unwrap().push(line.clone());
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authority = if method == "CONNECT" {
        target.to_string()
    } else {
        let Ok(url) = url::Url::parse(target) else {
            return;
        };
        format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(80)
        )
    };
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        return;
    };
    if method == "CONNECT" {
        let _ = client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await;
    } else if upstream.write_all(&head).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::copy_bidirectional(&mut client, &mut upstream),
    )
    .await;
}

#[tokio::test]
async fn an_explicit_proxy_carries_https_through_connect() {
    let pki = make_pki();
    let server = tls_server(&pki, true).await;
    let proxy = proxy().await;
    let mut profile = profile_for(server.port, &pki);
    let mut secrets = ProfileSecrets::default();
    let id = identity::identity_from_pkcs12(&pki.bytes("client.p12"), P12_PASS).unwrap();
    with_identity(&mut profile, &mut secrets, id);
    profile.proxy_url = proxy.url();
    let record = call(&profile, &secrets).await.unwrap();
    assert_eq!(record.status, 200);
    assert_eq!(
        proxy.lines(),
        vec![format!("CONNECT localhost:{} HTTP/1.1", server.port)]
    );
}

// ---------------------------------------------------------------- the CLI, end to end

fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snap-console"));
    command
        .args(args)
        .env("SNAP_CONSOLE_HOME", home)
        .env(cli_sandbox::SECRET_ENV, cli_sandbox::CLIENT_SECRET)
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("binary runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        cli_sandbox::code(out),
        0,
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn add_args<'a>(name: &'a str, base_url: &'a str, key: &'a str) -> Vec<&'a str> {
    vec![
        "profile",
        "add",
        "--name",
        name,
        "--base-url",
        base_url,
        "--client-id",
        cli_sandbox::CLIENT_ID,
        "--client-secret-env",
        cli_sandbox::SECRET_ENV,
        "--private-key",
        key,
    ]
}

/// `profile add --client-pkcs12 … --ca-bundle …`, then `send` to a server demanding mTLS:
/// accepted; `profile set --clear-client-cert`: refused with the clear message. The key
/// lands in the secrets file only.
#[test]
fn cli_profile_with_pkcs12_and_ca_bundle_talks_mtls() {
    let pki = make_pki();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(tls_server(&pki, true));
    let home = tempfile::tempdir().unwrap();
    let base_url = format!("https://localhost:{}", server.port);
    let key = cli_sandbox::fixture("test_rsa2048_pkcs8.pem");
    let p12 = pki.path("client.p12");
    let ca = pki.path("ca.pem");
    let mut args = add_args("bank", &base_url, key.to_str().unwrap());
    args.extend_from_slice(&[
        "--client-pkcs12",
        p12.to_str().unwrap(),
        "--pkcs12-passphrase-env",
        "MTLS_P12_PASS",
        "--ca-bundle",
        ca.to_str().unwrap(),
    ]);
    let out = ok(&run(home.path(), &args, &[("MTLS_P12_PASS", P12_PASS)]));
    assert!(
        out.contains("client certificate CN=merchant-client"),
        "{out}"
    );
    assert!(out.contains("extra CA bundle CN=Test Private CA"), "{out}");

    let profiles = std::fs::read_to_string(home.path().join("config/profiles.json"))
        .or_else(|_| {
            walk_find(home.path(), "profiles.json")
                .map(std::fs::read_to_string)
                .unwrap()
        })
        .unwrap();
    assert!(profiles.contains("BEGIN CERTIFICATE"));
    assert!(
        !profiles.contains("PRIVATE KEY"),
        "the key stays out of profiles.json"
    );
    let secrets_file = walk_find(home.path(), "secrets.json").unwrap();
    assert!(
        std::fs::read_to_string(secrets_file)
            .unwrap()
            .contains("clientCertKeyPem")
    );

    let listing = cli_sandbox::json_of(&run(home.path(), &["profile", "list", "--json"], &[]));
    let listed = &listing["profiles"][0];
    assert!(
        listed["clientCertificate"]
            .as_str()
            .unwrap()
            .contains("merchant-client"),
        "{listed}"
    );
    assert!(!listing.to_string().contains("PRIVATE KEY"));

    let send = ["send", "--profile", "bank", "--service", "73", "--json"];
    let answer: Value = cli_sandbox::json_of(&run(home.path(), &send, &[]));
    assert_eq!(answer["status"], 200, "{answer}");

    ok(&run(
        home.path(),
        &["profile", "set", "--name", "bank", "--clear-client-cert"],
        &[],
    ));
    let refused = run(home.path(), &send, &[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(text.contains("refused this client's certificate"), "{text}");

    // Wrong passphrase: refused at import, with the flag and the file named.
    let mut args = add_args("bank2", &base_url, key.to_str().unwrap());
    args.extend_from_slice(&[
        "--client-pkcs12",
        p12.to_str().unwrap(),
        "--pkcs12-passphrase-env",
        "MTLS_P12_PASS",
    ]);
    let out = run(home.path(), &args, &[("MTLS_P12_PASS", "wrong")]);
    assert_eq!(cli_sandbox::code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--client-pkcs12") && stderr.contains("client.p12"),
        "{stderr}"
    );
    assert!(stderr.contains("passphrase is wrong"), "{stderr}");
}

fn walk_find(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
        if path.is_dir()
            && let Some(found) = walk_find(&path, name)
        {
            return Some(found);
        }
    }
    None
}

/// The profile's proxy carries `send`; the environment's proxy variables are ignored with
/// or without one.
#[test]
fn cli_send_uses_the_profile_proxy_and_never_the_environments() {
    let env = cli_sandbox::Env::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (named, environment) = runtime.block_on(async { (proxy().await, proxy().await) });
    let home = env.home.path();
    let key = cli_sandbox::fixture("test_rsa2048_pkcs8.pem");
    let proxy_env = [
        ("HTTP_PROXY", environment.url()),
        ("HTTPS_PROXY", environment.url()),
        ("ALL_PROXY", environment.url()),
        ("http_proxy", environment.url()),
    ];
    let proxy_env: Vec<(&str, &str)> = proxy_env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let named_url = named.url();
    let mut args = add_args("direct", &env.base_url, key.to_str().unwrap());
    ok(&run(home, &args, &[]));
    args = add_args("proxied", &env.base_url, key.to_str().unwrap());
    args.extend_from_slice(&["--proxy", &named_url]);
    assert!(ok(&run(home, &args, &[])).contains(&format!("proxy {named_url}")));

    for profile in ["direct", "proxied"] {
        let send = ["send", "--profile", profile, "--service", "73", "--json"];
        let answer = cli_sandbox::json_of(&run(home, &send, &proxy_env));
        assert_eq!(answer["status"], 200, "{profile}: {answer}");
        assert_eq!(answer["responseCode"], "2007300", "{profile}: {answer}");
    }
    let sandbox_host = env.base_url.trim_start_matches("http://");
    assert_eq!(
        named.lines(),
        vec![format!(
            "POST http://{sandbox_host}/api/v1.0/access-token/b2b HTTP/1.1"
        )],
        "only the proxied profile's request went through its proxy"
    );
    assert!(environment.lines().is_empty(), "{:?}", environment.lines());

    // A password in the proxy URL is refused (it would sit in clear in profiles.json).
    let out = run(
        home,
        &[
            "profile",
            "set",
            "--name",
            "direct",
            "--proxy",
            "http://u:pw@127.0.0.1:1",
        ],
        &[],
    );
    assert_eq!(cli_sandbox::code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
}

// ---------------------------------------------------------------- the window

#[path = "common/window.rs"]
mod window;

/// The credentials panel loads a PKCS#12 client certificate and a CA bundle from typed
/// paths, takes a proxy URL (and warns about one with a password), and saves the key among
/// the secrets only.
#[test]
fn the_window_loads_a_client_certificate_a_ca_bundle_and_a_proxy() {
    let pki = make_pki();
    let home = tempfile::tempdir().unwrap();
    let mut window = window::open(home.path());
    window.wait_for_label("Local sandbox (active)");
    window.wait_for_label("Client certificate: none");
    // The first run settles (profile saved, sandbox started) before anything is typed: a
    // late event of it can refill the panel and lose what was typed.
    window.wait_for_label("Sandbox: running at");

    window.type_into(
        "Client certificate file path",
        pki.path("client.p12").to_str().unwrap(),
    );
    window.type_into("Certificate passphrase", "wrong");
    window.click("Load client certificate from path");
    window.wait_for_label("passphrase is wrong");

    window.replace_text("Certificate passphrase", P12_PASS);
    window.click("Load client certificate from path");
    window.wait_for_label("Client certificate: CN=merchant-client");

    window.type_into("CA bundle file path", pki.path("ca.pem").to_str().unwrap());
    window.click("Load CA bundle from path");
    window.wait_for_label("Extra CA certificates: CN=Test Private CA");

    window.type_into("Proxy URL", "http://user:pw@proxy.corp:3128");
    window.wait_for_label("holds a password");
    window.replace_text("Proxy URL", "http://proxy.corp:3128");

    let paths = snap_console::store::paths::AppPaths::under(home.path());
    window.wait_for("the profile saved with its connection", |_| {
        let loaded = snap_console::store::profiles::load(&paths);
        loaded.book.active_profile().is_some_and(|p| {
            p.proxy_url == "http://proxy.corp:3128"
                && p.client_cert_pem.contains("BEGIN CERTIFICATE")
                && p.ca_bundle_pem.contains("BEGIN CERTIFICATE")
        })
    });
    let loaded = snap_console::store::profiles::load(&paths);
    let id = loaded.book.active.clone().unwrap();
    assert!(
        loaded
            .book
            .secrets_of(&id)
            .client_cert_key_pem
            .expose()
            .contains("PRIVATE KEY")
    );
    let public = std::fs::read_to_string(paths.profiles_file()).unwrap();
    assert!(!public.contains("PRIVATE KEY"));

    window.click("Remove client certificate");
    window.wait_for_label("Client certificate: none");
}

/// The workbench's cross-check with a provider's signature utility uses the profile's
/// connection too: through its proxy, never the environment's (it may carry a private key).
#[test]
fn the_cross_check_goes_through_the_profiles_proxy() {
    use snap_console::net::client::ConnectionSettings;
    use snap_console::net::utilities::{CrossCheckKind, CrossCheckRequest, cross_check};
    let env = cli_sandbox::Env::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let proxy = runtime.block_on(proxy());
    let key = std::fs::read_to_string(cli_sandbox::fixture("test_rsa2048_pkcs8.pem")).unwrap();
    let request = CrossCheckRequest {
        base_url: env.base_url.clone(),
        api_prefix: "/api".into(),
        timestamp: "2024-11-29T14:15:00+07:00".into(),
        kind: CrossCheckKind::Auth {
            client_id: cli_sandbox::CLIENT_ID.into(),
            private_key_pem: key,
        },
        connection: ConnectionSettings {
            proxy_url: proxy.url(),
            ..ConnectionSettings::default()
        },
        timeout: Duration::from_secs(10),
    };
    assert!(request.connection.proxied());
    let signature = runtime.block_on(cross_check(&request));
    assert!(signature.is_ok(), "{signature:?}");
    let host = env.base_url.trim_start_matches("http://");
    assert_eq!(
        proxy.lines(),
        vec![format!(
            "POST http://{host}/api/v1.0/utilities/signature-auth HTTP/1.1"
        )]
    );
}
