//! RSA keys in every encoding a SNAP partner meets: import, export, generate, fingerprint.
//!
//! Pure: callers pass bytes (the contents of a file or a pasted text box), nothing here
//! touches the file system.
//!
//! # What is read
//!
//! * PEM blocks, chosen by label: `RSA PRIVATE KEY` (PKCS#1), `PRIVATE KEY` (PKCS#8),
//!   `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2), `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY`
//!   (PKCS#1 public), `CERTIFICATE` (X.509; its public key). Text before or after the block,
//!   CRLF line ends, a missing final newline, surrounding whitespace or quotes, and JSON-style
//!   literal `\n` escapes are all tolerated. If the label and the content disagree, the
//!   content wins and a warning says so.
//! * Bare Base64 of any of the DER structures, on one line (as provider portals hand it out)
//!   or wrapped with newlines/spaces; standard or URL-safe alphabet, padding optional.
//! * Raw DER bytes; hex-encoded DER is also read (with a warning).
//!
//! Without a PEM label the DER is tried as encrypted PKCS#8, PKCS#8, PKCS#1 private,
//! SPKI, PKCS#1 public and finally an X.509 certificate.
//!
//! # What is refused, and how
//!
//! Every refusal is a [`KeyError`] whose message names the problem in plain words and,
//! where there is one, the command that fixes it. Messages never quote key material,
//! passphrases or the input itself (PEM labels and algorithm names are shown only after
//! checking they are short plain words).
//!
//! # Formats without a variant of their own
//!
//! [`KeyFormat`] is a fixed list that other modules match on, so a few rarer forms are
//! reported under the nearest variant: encrypted PKCS#8 as DER or bare Base64 is
//! [`KeyFormat::EncryptedPkcs8Pem`]; a bare Base64 certificate is
//! [`KeyFormat::CertificatePem`] (it is a PEM body without the armour); hex DER is reported
//! as the matching `…Der` variant.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD_NO_PAD};
use rsa::BigUint;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::der::asn1::{AnyRef, OctetStringRef};
use rsa::pkcs8::der::{Decode, Header, Reader, SliceReader, Tag};
use rsa::pkcs8::{
    AlgorithmIdentifierRef, EncodePrivateKey, EncodePublicKey, EncryptedPrivateKeyInfo, LineEnding,
    ObjectIdentifier, PrivateKeyInfo, SubjectPublicKeyInfoRef, pkcs5,
};
use rsa::rand_core::{OsRng, RngCore};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use rsa::{RsaPrivateKey, RsaPublicKey};

/// The encoding a key was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// PEM labelled `RSA PRIVATE KEY`.
    Pkcs1Pem,
    /// PEM labelled `PRIVATE KEY`.
    Pkcs8Pem,
    /// PEM labelled `ENCRYPTED PRIVATE KEY` (also used for encrypted PKCS#8 as DER/Base64).
    EncryptedPkcs8Pem,
    /// PKCS#1 `RSAPrivateKey`, binary.
    Pkcs1Der,
    /// PKCS#8 `PrivateKeyInfo`, binary.
    Pkcs8Der,
    /// `-----BEGIN PUBLIC KEY-----`
    SpkiPem,
    /// X.509 `SubjectPublicKeyInfo`, binary.
    SpkiDer,
    /// `-----BEGIN RSA PUBLIC KEY-----`
    Pkcs1PublicPem,
    /// PKCS#1 `RSAPublicKey`, binary.
    Pkcs1PublicDer,
    /// `-----BEGIN CERTIFICATE-----` (also used for a bare Base64 certificate).
    CertificatePem,
    /// X.509 certificate, binary.
    CertificateDer,
    /// PKCS#8 private key as bare Base64 (no PEM armour).
    Base64Pkcs8,
    /// PKCS#1 private key as bare Base64.
    Base64Pkcs1,
    /// SPKI public key as bare Base64 (what provider portals usually ask for).
    Base64Spki,
    /// PKCS#1 public key as bare Base64.
    Base64Pkcs1Public,
}

impl KeyFormat {
    /// A short human description, e.g. `"PKCS#8 PEM (encrypted)"`.
    pub fn describe(self) -> &'static str {
        match self {
            KeyFormat::Pkcs1Pem => "PKCS#1 PEM (RSA PRIVATE KEY)",
            KeyFormat::Pkcs8Pem => "PKCS#8 PEM (PRIVATE KEY)",
            KeyFormat::EncryptedPkcs8Pem => "PKCS#8 PEM (encrypted)",
            KeyFormat::Pkcs1Der => "PKCS#1 DER (binary private key)",
            KeyFormat::Pkcs8Der => "PKCS#8 DER (binary private key)",
            KeyFormat::SpkiPem => "SPKI PEM (PUBLIC KEY)",
            KeyFormat::SpkiDer => "SPKI DER (binary public key)",
            KeyFormat::Pkcs1PublicPem => "PKCS#1 public key PEM (RSA PUBLIC KEY)",
            KeyFormat::Pkcs1PublicDer => "PKCS#1 public key DER (binary)",
            KeyFormat::CertificatePem => "X.509 certificate PEM",
            KeyFormat::CertificateDer => "X.509 certificate DER (binary)",
            KeyFormat::Base64Pkcs8 => "PKCS#8 private key, bare Base64",
            KeyFormat::Base64Pkcs1 => "PKCS#1 private key, bare Base64",
            KeyFormat::Base64Spki => "SPKI public key, bare Base64",
            KeyFormat::Base64Pkcs1Public => "PKCS#1 public key, bare Base64",
        }
    }

    /// True for the formats that hold a private key.
    pub fn is_private(self) -> bool {
        matches!(
            self,
            KeyFormat::Pkcs1Pem
                | KeyFormat::Pkcs8Pem
                | KeyFormat::EncryptedPkcs8Pem
                | KeyFormat::Pkcs1Der
                | KeyFormat::Pkcs8Der
                | KeyFormat::Base64Pkcs8
                | KeyFormat::Base64Pkcs1
        )
    }
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A private key as read, with where it came from and anything worth telling the user.
#[derive(Clone)]
pub struct LoadedPrivateKey {
    pub key: RsaPrivateKey,
    pub format: KeyFormat,
    pub bits: usize,
    pub warnings: Vec<String>,
}

/// Redacted: shows the format, size, warnings and the public fingerprint, never the key.
impl fmt::Debug for LoadedPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPrivateKey")
            .field(
                "key",
                &format_args!(
                    "<private key {}>",
                    fingerprint_sha256(&self.key.to_public_key())
                ),
            )
            .field("format", &self.format)
            .field("bits", &self.bits)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// A public key as read (possibly derived from a private key; see `warnings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPublicKey {
    pub key: RsaPublicKey,
    pub format: KeyFormat,
    pub bits: usize,
    pub warnings: Vec<String>,
}

/// Why a key could not be read, generated or written. Messages never contain key
/// material, passphrases or input bytes.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The key is valid but not RSA, e.g. `"EC (id-ecPublicKey, P-256)"`, `"Ed25519"`, `"DSA"`.
    #[error(
        "this is {} key, not RSA: SNAP signatures need an RSA key",
        with_article(algorithm)
    )]
    NotRsa { algorithm: String },
    /// A public key or a certificate where the private key is needed (to sign).
    #[error(
        "this is a public key or certificate, but a private key is needed here: signing needs \
         the private key (the public key is the half you give the provider)"
    )]
    PublicWherePrivateExpected,
    /// Encrypted key, no passphrase given.
    #[error("this private key is encrypted: a passphrase is needed to open it")]
    NeedsPassphrase,
    /// Encrypted key, and the passphrase given does not decrypt it.
    #[error("wrong passphrase: the encrypted private key could not be decrypted with it")]
    WrongPassphrase,
    /// Not a key this tool can read; `detail` says what was seen.
    #[error("unrecognised key: {detail}")]
    Unrecognised { detail: String },
    /// Key generation failed or the size is not offered.
    #[error("could not generate an RSA key: {detail}")]
    Generate { detail: String },
    /// A key could not be written out.
    #[error("could not export the key: {detail}")]
    Export { detail: String },
}

fn with_article(word: &str) -> String {
    let mut chars = word.chars();
    let first = chars.next().unwrap_or('x');
    let second = chars.next().unwrap_or('a');
    // Letters whose spoken name starts with a vowel sound when read as an acronym (an EC, an SM2).
    let acronym_vowel =
        "FHLMNRSX".contains(first) && (second.is_ascii_uppercase() || second.is_ascii_digit());
    if "AEIOUaeiou".contains(first) || acronym_vowel {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

fn unrecognised(detail: impl Into<String>) -> KeyError {
    KeyError::Unrecognised {
        detail: detail.into(),
    }
}

/// Largest modulus accepted when reading (rsa's own default cap is 4096 bits).
const MAX_KEY_BITS: usize = 16384;
/// Largest input looked at: a certificate chain is a few kilobytes.
const MAX_INPUT_BYTES: usize = 1 << 20;
/// PBKDF2-HMAC-SHA256 rounds for exported encrypted PKCS#8 (OpenSSL 3 itself uses 2048).
const PBKDF2_ROUNDS: u32 = 100_000;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";

/// Warning added for keys under 2048 bits.
fn small_key_warning(bits: usize) -> String {
    format!(
        "{bits}-bit key: accepted for sandboxes (NICEPAY's is 1024-bit) but SNAP providers ask \
         for 2048 or more"
    )
}

const PRIVATE_AS_PUBLIC_WARNING: &str = "this is a private key: only its public half was used; \
     keep the private key to yourself and give providers the public key (SPKI PEM or Base64)";

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Read an RSA private key from PEM, DER or bare Base64 (see the module docs for the list).
///
/// `passphrase` is used only for encrypted PKCS#8; given for an unencrypted key it is ignored
/// with a warning.
pub fn parse_private_key(
    input: &[u8],
    passphrase: Option<&str>,
) -> Result<LoadedPrivateKey, KeyError> {
    let decoded = decode_input(input, Want::Private)?;
    let content = classify_der(&decoded.der, passphrase, decoded.container)?;
    let mut warnings = decoded.warnings;
    match content {
        Content::Public { .. } => Err(KeyError::PublicWherePrivateExpected),
        Content::Private {
            key,
            kind,
            warnings: more,
        } => {
            warnings.extend(more);
            if kind != PrivKind::Encrypted && passphrase.is_some() {
                warnings.push(
                    "a passphrase was given but the key is not encrypted; the passphrase was \
                     ignored"
                        .to_string(),
                );
            }
            let bits = key.n().bits();
            if bits < 2048 {
                warnings.push(small_key_warning(bits));
            }
            if let Some(w) = label_mismatch(decoded.label.as_deref(), ContentKind::Private(kind)) {
                warnings.push(w);
            }
            Ok(LoadedPrivateKey {
                format: private_format(kind, decoded.container),
                key: *key,
                bits,
                warnings,
            })
        }
    }
}

/// Read an RSA public key: SPKI, PKCS#1 public or a certificate, as PEM, DER or bare Base64.
///
/// A private key is accepted too: its public half is returned with a warning. An encrypted
/// private key gives [`KeyError::NeedsPassphrase`].
pub fn parse_public_key(input: &[u8]) -> Result<LoadedPublicKey, KeyError> {
    let decoded = decode_input(input, Want::Public)?;
    let content = classify_der(&decoded.der, None, decoded.container)?;
    let mut warnings = decoded.warnings;
    let (key, format, kind) = match content {
        Content::Public {
            key,
            kind,
            warnings: more,
        } => {
            warnings.extend(more);
            (
                key,
                public_format(kind, decoded.container),
                ContentKind::Public(kind),
            )
        }
        Content::Private {
            key,
            kind,
            warnings: more,
        } => {
            warnings.extend(more);
            warnings.push(PRIVATE_AS_PUBLIC_WARNING.to_string());
            (
                key.to_public_key(),
                private_format(kind, decoded.container),
                ContentKind::Private(kind),
            )
        }
    };
    let bits = key_bits(&key);
    if bits < 2048 {
        warnings.push(small_key_warning(bits));
    }
    if let Some(w) = label_mismatch(decoded.label.as_deref(), kind) {
        warnings.push(w);
    }
    Ok(LoadedPublicKey {
        key,
        format,
        bits,
        warnings,
    })
}

/// Generate a fresh RSA key (public exponent 65537) of 2048, 3072 or 4096 bits.
pub fn generate_private_key(bits: usize) -> Result<RsaPrivateKey, KeyError> {
    if !matches!(bits, 2048 | 3072 | 4096) {
        return Err(KeyError::Generate {
            detail: format!("{bits} bits is not offered: choose 2048, 3072 or 4096"),
        });
    }
    RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| KeyError::Generate {
        detail: e.to_string(),
    })
}

/// The private key as PKCS#8 PEM (`PRIVATE KEY`), or, with a passphrase, as encrypted
/// PKCS#8 (`ENCRYPTED PRIVATE KEY`: PBES2, PBKDF2-HMAC-SHA256 with 100 000 rounds and a
/// random 16-byte salt, AES-256-CBC) which OpenSSL, Java and .NET all read.
/// LF line ends, final newline included. An empty passphrase is refused.
pub fn private_key_to_pkcs8_pem(
    key: &RsaPrivateKey,
    passphrase: Option<&str>,
) -> Result<Zeroizing<String>, KeyError> {
    let export_err = |what: &str| KeyError::Export {
        detail: what.to_string(),
    };
    let Some(passphrase) = passphrase else {
        return key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| export_err("the private key could not be encoded as PKCS#8"));
    };
    if passphrase.is_empty() {
        return Err(export_err(
            "the passphrase is empty: give a real passphrase, or none for an unencrypted key",
        ));
    }
    let der = key
        .to_pkcs8_der()
        .map_err(|_| export_err("the private key could not be encoded as PKCS#8"))?;
    let info = PrivateKeyInfo::try_from(der.as_bytes())
        .map_err(|_| export_err("the private key could not be encoded as PKCS#8"))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut salt)
        .and_then(|()| OsRng.try_fill_bytes(&mut iv))
        .map_err(|_| export_err("the system random number generator failed"))?;
    let params = pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ROUNDS, &salt, &iv)
        .map_err(|_| export_err("could not set up the PBES2 encryption parameters"))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|_| export_err("encrypting the private key failed"))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|_| export_err("the encrypted key could not be written as PEM"))
}

/// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), LF line ends.
pub fn public_key_to_spki_pem(key: &RsaPublicKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyError::Export {
            detail: "the public key could not be encoded as SPKI PEM".to_string(),
        })
}

/// The public key as SPKI DER in standard Base64 (with padding) on one line, no PEM armour:
/// what provider portals ask to be pasted.
pub fn public_key_to_spki_base64(key: &RsaPublicKey) -> Result<String, KeyError> {
    let der = key.to_public_key_der().map_err(|_| KeyError::Export {
        detail: "the public key could not be encoded as SPKI DER".to_string(),
    })?;
    Ok(STANDARD.encode(der.as_bytes()))
}

/// `"SHA256:"` followed by the SHA-256 of the key's SPKI DER in standard Base64 without
/// padding (43 characters).
///
/// The layout follows OpenSSH's `SHA256:…` fingerprints, but the hash is over the X.509
/// SPKI DER, not the SSH wire blob, so the value differs from `ssh-keygen -l`. It equals
/// `openssl pkey -pubin -in pub.pem -outform DER | openssl dgst -sha256 -binary | base64 | tr -d =`.
pub fn fingerprint_sha256(key: &RsaPublicKey) -> String {
    // Encoding a valid RSA public key as DER does not fail in practice; if it ever did,
    // say so in the fingerprint rather than take the window down.
    match key.to_public_key_der() {
        Ok(der) => format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(der.as_bytes()))
        ),
        Err(e) => format!("SHA256:(unavailable: {e})"),
    }
}

/// The modulus size in bits (2048 for a 2048-bit key even if the top bit pattern is short).
pub fn key_bits(key: &RsaPublicKey) -> usize {
    key.n().bits()
}

// ---------------------------------------------------------------------------------------------
// Input: PEM / DER / Base64 / hex → DER bytes
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Private,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Pem,
    Der,
    Base64,
}

struct Decoded {
    der: Zeroizing<Vec<u8>>,
    container: Container,
    /// The PEM label, only when it is a plain label (safe to show).
    label: Option<String>,
    warnings: Vec<String>,
}

/// Lenient Base64: padding optional, trailing bits tolerated.
const B64_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);
const B64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn decode_input(input: &[u8], want: Want) -> Result<Decoded, KeyError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(unrecognised(format!(
            "the input is {} bytes, far too large to be a key",
            input.len()
        )));
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(unrecognised("the input is empty"));
    }

    // Binary DER: an ASN.1 SEQUENCE whose length matches the data.
    let der_mismatch = if input[0] == 0x30 {
        match der_extent(input) {
            Some(len) if len == input.len() => {
                return Ok(Decoded {
                    der: Zeroizing::new(input.to_vec()),
                    container: Container::Der,
                    label: None,
                    warnings: Vec::new(),
                });
            }
            Some(len)
                if len < input.len()
                    && input[len..]
                        .iter()
                        .all(|b| b.is_ascii_whitespace() || *b == 0) =>
            {
                return Ok(Decoded {
                    der: Zeroizing::new(input[..len].to_vec()),
                    container: Container::Der,
                    label: None,
                    warnings: vec![
                        "trailing blank bytes after the DER data were ignored".to_string(),
                    ],
                });
            }
            Some(len) => Some(len),
            None => None,
        }
    } else {
        None
    };

    let text = match to_text(input) {
        Some(text) => text,
        None => {
            return Err(unrecognised(match der_mismatch {
                Some(len) if len > input.len() => format!(
                    "binary DER data, but it is cut short ({} of the {} bytes its header \
                     announces)",
                    input.len(),
                    len
                ),
                Some(_) => {
                    "binary DER data followed by extra bytes that are not part of it".to_string()
                }
                None => "binary data that is not DER (no ASN.1 SEQUENCE at the start) and not \
                         text"
                    .to_string(),
            }));
        }
    };
    decode_text(&text, want, 0)
}

/// The total length of the outer SEQUENCE TLV at the start of `bytes`.
fn der_extent(bytes: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(bytes).ok()?;
    let header = Header::decode(&mut reader).ok()?;
    if header.tag != Tag::Sequence {
        return None;
    }
    let head_len = usize::try_from(reader.position()).ok()?;
    let body_len = usize::try_from(header.length).ok()?;
    head_len.checked_add(body_len)
}

/// UTF-8 (with or without BOM) or UTF-16 with BOM (Windows "Unicode" text files).
fn to_text(input: &[u8]) -> Option<Zeroizing<String>> {
    let utf16 = |be: bool| -> Option<Zeroizing<String>> {
        let body = &input[2..];
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units: Zeroizing<Vec<u16>> = Zeroizing::new(
            body.chunks_exact(2)
                .map(|c| {
                    if be {
                        u16::from_be_bytes([c[0], c[1]])
                    } else {
                        u16::from_le_bytes([c[0], c[1]])
                    }
                })
                .collect(),
        );
        String::from_utf16(&units).ok().map(Zeroizing::new)
    };
    if input.starts_with(&[0xFF, 0xFE]) {
        return utf16(false);
    }
    if input.starts_with(&[0xFE, 0xFF]) {
        return utf16(true);
    }
    let text = std::str::from_utf8(input).ok()?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text
        .chars()
        .any(|c| c.is_control() && !c.is_ascii_whitespace())
    {
        return None;
    }
    Some(Zeroizing::new(text.to_string()))
}

fn decode_text(text: &str, want: Want, depth: u8) -> Result<Decoded, KeyError> {
    let mut text = text.trim();
    // A value copied out of JSON or a .env file: surrounding quotes.
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            text = text[1..text.len() - 1].trim();
        }
    }
    // ... and JSON-style escaped line ends.
    let unescaped;
    if text.contains("\\n") || text.contains("\\r") {
        unescaped = Zeroizing::new(
            text.replace("\\r\\n", "\n")
                .replace("\\n", "\n")
                .replace("\\r", "\n"),
        );
        text = unescaped.trim();
    }
    if text.is_empty() {
        return Err(unrecognised("the input is empty"));
    }

    if text.contains("-----BEGIN") {
        return decode_pem(text, want);
    }
    if text.contains("-----END") {
        return Err(unrecognised(
            "there is a PEM END line but no BEGIN line: the copy lost its first line",
        ));
    }
    if let Some(err) = openssh_public_line(text) {
        return Err(err);
    }
    if text.starts_with('{') || text.starts_with('[') {
        return Err(unrecognised(
            "this looks like JSON (a JWK?); JSON keys are not read here: export the key as \
             PEM",
        ));
    }

    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());

    // Hex DER (as in test vectors): "3082…".
    if compact.len() >= 64
        && compact.len().is_multiple_of(2)
        && compact.starts_with("30")
        && compact.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(der) = hex::decode(compact.as_bytes())
    {
        let der = Zeroizing::new(der);
        if der_extent(&der) == Some(der.len()) {
            return Ok(Decoded {
                der,
                container: Container::Der,
                label: None,
                warnings: vec!["read as hex-encoded DER".to_string()],
            });
        }
    }

    if !compact
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
    {
        return Err(unrecognised(
            "no PEM header and not Base64 (there are characters outside the Base64 alphabet)",
        ));
    }
    let bytes = B64_STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| B64_URL_SAFE.decode(compact.as_bytes()))
        .map(Zeroizing::new)
        .map_err(|_| {
            unrecognised("no PEM header and not valid Base64 (wrong length or misplaced '=')")
        })?;
    if bytes.starts_with(b"-----BEGIN") && depth == 0 {
        // Base64 of a whole PEM file (as Kubernetes secrets and some portals do).
        if let Some(inner) = to_text(&bytes) {
            let mut decoded = decode_text(&inner, want, depth + 1)?;
            decoded.warnings.insert(
                0,
                "the input was Base64 of a PEM file; decoded it first".to_string(),
            );
            return Ok(decoded);
        }
    }
    match der_extent(&bytes) {
        Some(len) if len == bytes.len() => Ok(Decoded {
            der: bytes,
            container: Container::Base64,
            label: None,
            warnings: Vec::new(),
        }),
        Some(len) if len > bytes.len() => Err(unrecognised(format!(
            "Base64 text decoded to {} bytes of DER, but its header announces {}: the copy is \
             cut short",
            bytes.len(),
            len
        ))),
        _ => Err(unrecognised(
            "no PEM header, and the Base64 text does not decode to a DER key structure",
        )),
    }
}

/// `ssh-rsa AAAA…` and friends: a one-line OpenSSH public key.
fn openssh_public_line(text: &str) -> Option<KeyError> {
    let first = text.split_whitespace().next()?;
    match first {
        "ssh-rsa" | "rsa-sha2-256" | "rsa-sha2-512" => Some(unrecognised(
            "this is an OpenSSH public key line (ssh-rsa): convert it to SPKI PEM with \
             `ssh-keygen -e -m pkcs8 -f key.pub`",
        )),
        "ssh-ed25519" => Some(KeyError::NotRsa {
            algorithm: "Ed25519 (OpenSSH public key)".to_string(),
        }),
        "ssh-dss" => Some(KeyError::NotRsa {
            algorithm: "DSA (OpenSSH public key)".to_string(),
        }),
        t if t.starts_with("ecdsa-sha2-") => Some(KeyError::NotRsa {
            algorithm: "EC (OpenSSH ecdsa public key)".to_string(),
        }),
        _ => None,
    }
}

struct PemBlock<'a> {
    label: &'a str,
    body: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelKind {
    Private,
    Public,
    Certificate,
    /// A key that is certainly not RSA; the string names it.
    NonRsa(&'static str),
    OpenSsh,
    Other,
}

fn label_kind(label: &str) -> LabelKind {
    match label {
        "RSA PRIVATE KEY" | "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => LabelKind::Private,
        "PUBLIC KEY" | "RSA PUBLIC KEY" => LabelKind::Public,
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => LabelKind::Certificate,
        "EC PRIVATE KEY" => LabelKind::NonRsa("EC (SEC1 'EC PRIVATE KEY')"),
        "DSA PRIVATE KEY" => LabelKind::NonRsa("DSA"),
        "OPENSSH PRIVATE KEY" => LabelKind::OpenSsh,
        _ => LabelKind::Other,
    }
}

/// A label as it may be shown in a message: short plain words only.
fn safe_label(label: &str) -> Option<&str> {
    (!label.is_empty()
        && label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b" -_.".contains(&b)))
    .then_some(label)
}

fn shown_label(label: &str) -> String {
    match safe_label(label) {
        Some(l) => format!("'{l}'"),
        None => "(unreadable label)".to_string(),
    }
}

fn find_pem_blocks(text: &str) -> Result<Vec<PemBlock<'_>>, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let mut blocks = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find(BEGIN) {
        let label_start = pos + found + BEGIN.len();
        let Some(label_len) = text[label_start..].find(DASHES) else {
            return Err(unrecognised("a PEM BEGIN line is not closed with '-----'"));
        };
        let label = text[label_start..label_start + label_len].trim();
        if label.contains('\n') {
            return Err(unrecognised("a PEM BEGIN line is not closed with '-----'"));
        }
        let body_start = label_start + label_len + DASHES.len();
        let Some(end_found) = text[body_start..].find(END) else {
            return Err(unrecognised(format!(
                "the PEM block {} has no END line: the copy looks cut short",
                shown_label(label)
            )));
        };
        let body = &text[body_start..body_start + end_found];
        let end_label_start = body_start + end_found + END.len();
        let Some(end_label_len) = text[end_label_start..].find(DASHES) else {
            return Err(unrecognised(format!(
                "the END line of the PEM block {} is not closed with '-----'",
                shown_label(label)
            )));
        };
        let end_label = text[end_label_start..end_label_start + end_label_len].trim();
        if end_label != label {
            return Err(unrecognised(format!(
                "the PEM block {} ends with a different label, {}: two files pasted together?",
                shown_label(label),
                shown_label(end_label)
            )));
        }
        blocks.push(PemBlock { label, body });
        pos = end_label_start + end_label_len + DASHES.len();
    }
    Ok(blocks)
}

fn decode_pem(text: &str, want: Want) -> Result<Decoded, KeyError> {
    let blocks = find_pem_blocks(text)?;
    let rank = |kind: LabelKind| -> u8 {
        match (want, kind) {
            (Want::Private, LabelKind::Private) => 0,
            (Want::Private, LabelKind::NonRsa(_) | LabelKind::OpenSsh) => 1,
            (Want::Private, LabelKind::Public | LabelKind::Certificate) => 2,
            (Want::Public, LabelKind::Public | LabelKind::Certificate) => 0,
            (Want::Public, LabelKind::Private) => 1,
            (Want::Public, LabelKind::NonRsa(_) | LabelKind::OpenSsh) => 2,
            (_, LabelKind::Other) => 3,
        }
    };
    let Some(block) = blocks.iter().min_by_key(|b| rank(label_kind(b.label))) else {
        return Err(unrecognised("a PEM BEGIN marker without a complete block"));
    };
    let mut warnings = Vec::new();
    if blocks.len() > 1 {
        warnings.push(format!(
            "the input holds {} PEM blocks; used the first {} block",
            blocks.len(),
            shown_label(block.label)
        ));
    }

    match label_kind(block.label) {
        LabelKind::NonRsa(algorithm) => {
            return Err(KeyError::NotRsa {
                algorithm: algorithm.to_string(),
            });
        }
        LabelKind::OpenSsh => return Err(openssh_private_error(block.body)),
        LabelKind::Other => {
            let hint = match block.label {
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                    " (it is a certificate signing request: use the private key it was made \
                     from, or the certificate issued for it)"
                }
                "PKCS7" | "CMS" => {
                    " (it is a PKCS#7 bundle: extract the certificate with `openssl pkcs7 \
                     -print_certs`)"
                }
                "X509 CRL" => " (it is a certificate revocation list)",
                "EC PARAMETERS" | "DH PARAMETERS" | "DSA PARAMETERS" => {
                    " (it holds parameters, not a key)"
                }
                l if l.starts_with("PGP ") => " (OpenPGP keys are not used by SNAP)",
                _ => "",
            };
            return Err(unrecognised(format!(
                "PEM label {} is not a key{hint}",
                shown_label(block.label)
            )));
        }
        LabelKind::Private | LabelKind::Public | LabelKind::Certificate => {}
    }

    if block.body.contains("Proc-Type:") || block.body.contains("DEK-Info:") {
        return Err(unrecognised(
            "legacy OpenSSL-encrypted PEM (Proc-Type: 4,ENCRYPTED) is not supported: convert it \
             to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out \
             new.pem` (asks for the old passphrase, then a new one)",
        ));
    }
    let der = pem_body_bytes(block)?;
    Ok(Decoded {
        der,
        container: Container::Pem,
        label: safe_label(block.label).map(str::to_string),
        warnings,
    })
}

fn pem_body_bytes(block: &PemBlock<'_>) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let compact: Zeroizing<String> = Zeroizing::new(
        block
            .body
            .lines()
            .filter(|line| !line.contains(':'))
            .flat_map(|line| line.chars())
            .filter(|c| !c.is_whitespace())
            .collect(),
    );
    if compact.is_empty() {
        return Err(unrecognised(format!(
            "the PEM block {} is empty",
            shown_label(block.label)
        )));
    }
    B64_STANDARD
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| {
            unrecognised(format!(
                "the body of the PEM block {} is not valid Base64: the copy is damaged",
                shown_label(block.label)
            ))
        })
}

/// `OPENSSH PRIVATE KEY`: name the algorithm when the (unencrypted) header says it.
fn openssh_private_error(body: &str) -> KeyError {
    let convert = || {
        unrecognised(
            "this is an OpenSSH private key ('OPENSSH PRIVATE KEY'), which is not read here: \
             convert a copy to PEM with `ssh-keygen -p -m pem -f copy_of_key` (rewrites that \
             file in place)",
        )
    };
    let compact: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect());
    let Ok(bytes) = B64_STANDARD.decode(compact.as_bytes()).map(Zeroizing::new) else {
        return convert();
    };
    match openssh_key_type(&bytes) {
        Some("ssh-ed25519") => KeyError::NotRsa {
            algorithm: "Ed25519 (OpenSSH key)".to_string(),
        },
        Some("ssh-dss") => KeyError::NotRsa {
            algorithm: "DSA (OpenSSH key)".to_string(),
        },
        Some(t) if t.starts_with("ecdsa-sha2-") => KeyError::NotRsa {
            algorithm: "EC (OpenSSH ecdsa key)".to_string(),
        },
        _ => convert(),
    }
}

/// The key type string of the first key in an `openssh-key-v1` blob (public part, never
/// encrypted).
fn openssh_key_type(bytes: &[u8]) -> Option<&str> {
    fn read_string<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
        let value = data.get(4..4 + len)?;
        *data = &data[4 + len..];
        Some(value)
    }
    let mut data = bytes.strip_prefix(b"openssh-key-v1\0")?;
    for _ in 0..3 {
        read_string(&mut data)?; // cipher name, KDF name, KDF options
    }
    data = data.get(4..)?; // number of keys
    let mut public = read_string(&mut data)?;
    let key_type = std::str::from_utf8(read_string(&mut public)?).ok()?;
    Some(key_type)
}

// ---------------------------------------------------------------------------------------------
// DER structure → key
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrivKind {
    Pkcs8,
    Pkcs1,
    Encrypted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PubKind {
    Spki,
    Pkcs1,
    Certificate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentKind {
    Private(PrivKind),
    Public(PubKind),
}

enum Content {
    Private {
        key: Box<RsaPrivateKey>,
        kind: PrivKind,
        warnings: Vec<String>,
    },
    Public {
        key: RsaPublicKey,
        kind: PubKind,
        warnings: Vec<String>,
    },
}

fn private_format(kind: PrivKind, container: Container) -> KeyFormat {
    match (kind, container) {
        (PrivKind::Encrypted, _) => KeyFormat::EncryptedPkcs8Pem,
        (PrivKind::Pkcs8, Container::Pem) => KeyFormat::Pkcs8Pem,
        (PrivKind::Pkcs8, Container::Der) => KeyFormat::Pkcs8Der,
        (PrivKind::Pkcs8, Container::Base64) => KeyFormat::Base64Pkcs8,
        (PrivKind::Pkcs1, Container::Pem) => KeyFormat::Pkcs1Pem,
        (PrivKind::Pkcs1, Container::Der) => KeyFormat::Pkcs1Der,
        (PrivKind::Pkcs1, Container::Base64) => KeyFormat::Base64Pkcs1,
    }
}

fn public_format(kind: PubKind, container: Container) -> KeyFormat {
    match (kind, container) {
        (PubKind::Spki, Container::Pem) => KeyFormat::SpkiPem,
        (PubKind::Spki, Container::Der) => KeyFormat::SpkiDer,
        (PubKind::Spki, Container::Base64) => KeyFormat::Base64Spki,
        (PubKind::Pkcs1, Container::Pem) => KeyFormat::Pkcs1PublicPem,
        (PubKind::Pkcs1, Container::Der) => KeyFormat::Pkcs1PublicDer,
        (PubKind::Pkcs1, Container::Base64) => KeyFormat::Base64Pkcs1Public,
        (PubKind::Certificate, Container::Der) => KeyFormat::CertificateDer,
        (PubKind::Certificate, _) => KeyFormat::CertificatePem,
    }
}

/// A warning when a PEM label names a different structure than the one inside.
fn label_mismatch(label: Option<&str>, content: ContentKind) -> Option<String> {
    let label = label?;
    let (expected, actual) = match content {
        ContentKind::Private(PrivKind::Pkcs8) => ("PRIVATE KEY", "PKCS#8"),
        ContentKind::Private(PrivKind::Pkcs1) => ("RSA PRIVATE KEY", "PKCS#1"),
        ContentKind::Private(PrivKind::Encrypted) => ("ENCRYPTED PRIVATE KEY", "encrypted PKCS#8"),
        ContentKind::Public(PubKind::Spki) => ("PUBLIC KEY", "SPKI"),
        ContentKind::Public(PubKind::Pkcs1) => ("RSA PUBLIC KEY", "PKCS#1 public key"),
        ContentKind::Public(PubKind::Certificate) => {
            if matches!(label, "X509 CERTIFICATE" | "TRUSTED CERTIFICATE") {
                return None;
            }
            ("CERTIFICATE", "an X.509 certificate")
        }
    };
    (label != expected).then(|| {
        format!(
            "the PEM label says '{label}' but the content is {actual} (label '{expected}'); \
             read it as {actual}"
        )
    })
}

fn classify_der(
    der: &[u8],
    passphrase: Option<&str>,
    container: Container,
) -> Result<Content, KeyError> {
    if let Ok(encrypted) = EncryptedPrivateKeyInfo::try_from(der) {
        return decrypt_pkcs8(&encrypted, passphrase);
    }
    if let Some(oid) = encrypted_pkcs8_shape(der) {
        return Err(unsupported_encryption(oid));
    }
    if let Ok(info) = PrivateKeyInfo::try_from(der) {
        let (key, warnings) = private_from_pkcs8(&info)?;
        return Ok(Content::Private {
            key: Box::new(key),
            kind: PrivKind::Pkcs8,
            warnings,
        });
    }
    if rsa::pkcs1::RsaPrivateKey::try_from(der).is_ok() {
        return Ok(Content::Private {
            key: Box::new(private_from_pkcs1(der)?),
            kind: PrivKind::Pkcs1,
            warnings: Vec::new(),
        });
    }
    if let Ok(spki) = SubjectPublicKeyInfoRef::try_from(der) {
        let (key, warnings) = public_from_spki(
            spki.algorithm.oid,
            spki.algorithm.parameters,
            spki.subject_public_key.as_bytes(),
        )?;
        return Ok(Content::Public {
            key,
            kind: PubKind::Spki,
            warnings,
        });
    }
    if rsa::pkcs1::RsaPublicKey::try_from(der).is_ok() {
        return Ok(Content::Public {
            key: public_from_pkcs1(der)?,
            kind: PubKind::Pkcs1,
            warnings: Vec::new(),
        });
    }
    if let Ok(cert) = x509_cert::Certificate::from_der(der) {
        let tbs = &cert.tbs_certificate;
        let spki = &tbs.subject_public_key_info;
        let (key, mut warnings) = public_from_spki(
            spki.algorithm.oid,
            spki.algorithm.parameters.as_ref().map(AnyRef::from),
            spki.subject_public_key.as_bytes(),
        )?;
        let not_after = tbs.validity.not_after;
        if not_after.to_system_time() < SystemTime::now() {
            warnings.push(format!(
                "the certificate expired on {not_after}; the key in it was still used"
            ));
        }
        return Ok(Content::Public {
            key,
            kind: PubKind::Certificate,
            warnings,
        });
    }
    if is_sec1_ec_private_key(der) {
        return Err(KeyError::NotRsa {
            algorithm: "EC (SEC1 private key)".to_string(),
        });
    }
    Err(unrecognised(match container {
        Container::Base64 => {
            "the Base64 text decodes to DER, but not to a PKCS#8, PKCS#1, SPKI or X.509 \
             certificate structure"
        }
        _ => "DER data that is not a PKCS#8, PKCS#1, SPKI or X.509 certificate structure",
    }))
}

fn decrypt_pkcs8(
    encrypted: &EncryptedPrivateKeyInfo<'_>,
    passphrase: Option<&str>,
) -> Result<Content, KeyError> {
    let Some(passphrase) = passphrase else {
        return Err(KeyError::NeedsPassphrase);
    };
    let decrypted = match encrypted.decrypt(passphrase.as_bytes()) {
        Ok(doc) => doc,
        Err(rsa::pkcs8::Error::EncryptedPrivateKey(
            pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed,
        )) => return Err(KeyError::WrongPassphrase),
        Err(rsa::pkcs8::Error::EncryptedPrivateKey(_)) => {
            return Err(unsupported_encryption(encrypted.encryption_algorithm.oid()));
        }
        // Decrypted, but the result is not DER: the padding matched by chance.
        Err(_) => return Err(KeyError::WrongPassphrase),
    };
    let info =
        PrivateKeyInfo::try_from(decrypted.as_bytes()).map_err(|_| KeyError::WrongPassphrase)?;
    let (key, warnings) = private_from_pkcs8(&info)?;
    Ok(Content::Private {
        key: Box::new(key),
        kind: PrivKind::Encrypted,
        warnings,
    })
}

fn unsupported_encryption(oid: ObjectIdentifier) -> KeyError {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.12.1.3" => " (pbeWithSHA1And3-KeyTripleDES-CBC)",
        "1.2.840.113549.1.12.1.6" => " (pbeWithSHA1And40BitRC2-CBC)",
        "1.2.840.113549.1.5.3" => " (pbeWithMD5AndDES-CBC)",
        "1.2.840.113549.1.5.10" => " (pbeWithSHA1AndDES-CBC)",
        "1.2.840.113549.1.5.13" => " (PBES2 with an unsupported cipher or KDF)",
        _ => "",
    };
    unrecognised(format!(
        "an encrypted PKCS#8 key using an encryption scheme this tool cannot open (OID \
         {oid}{name}): re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem \
         -out new.pem`"
    ))
}

/// `SEQUENCE { AlgorithmIdentifier, OCTET STRING }`: an EncryptedPrivateKeyInfo whose scheme
/// the pkcs5 crate does not know (PBES1, PKCS#12 PBE). Returns the scheme's OID.
fn encrypted_pkcs8_shape(der: &[u8]) -> Option<ObjectIdentifier> {
    let mut reader = SliceReader::new(der).ok()?;
    let oid = reader
        .sequence(|r| {
            let algorithm: AlgorithmIdentifierRef<'_> = r.decode()?;
            let _data: OctetStringRef<'_> = r.decode()?;
            Ok(algorithm.oid)
        })
        .ok()?;
    reader.is_finished().then_some(oid)
}

/// `SEQUENCE { INTEGER 1, OCTET STRING, [0] …, [1] … }` (RFC 5915).
fn is_sec1_ec_private_key(der: &[u8]) -> bool {
    let Ok(mut reader) = SliceReader::new(der) else {
        return false;
    };
    reader
        .sequence(|r| {
            let version: u8 = r.decode()?;
            let _key: OctetStringRef<'_> = r.decode()?;
            let rest = r.remaining_len();
            r.read_slice(rest)?;
            Ok(version == 1)
        })
        .unwrap_or(false)
}

fn private_from_pkcs8(info: &PrivateKeyInfo<'_>) -> Result<(RsaPrivateKey, Vec<String>), KeyError> {
    let oid = info.algorithm.oid.to_string();
    let mut warnings = Vec::new();
    if oid == OID_RSA_PSS {
        warnings.push(pss_warning());
    } else if oid != OID_RSA {
        return Err(KeyError::NotRsa {
            algorithm: algorithm_name(info.algorithm.oid, info.algorithm.parameters),
        });
    }
    if info.version() != rsa::pkcs8::Version::V1 {
        warnings.push("PKCS#8 v2 key: the embedded public key copy was ignored".to_string());
    }
    Ok((private_from_pkcs1(info.private_key)?, warnings))
}

fn pss_warning() -> String {
    "the key is marked RSASSA-PSS only; it was read as a plain RSA key, but SNAP signs with \
     PKCS#1 v1.5 and a strict verifier may refuse that with this key"
        .to_string()
}

fn private_from_pkcs1(der: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    if let Ok(pkcs1) = rsa::pkcs1::RsaPrivateKey::try_from(der)
        && pkcs1.version() != rsa::pkcs1::Version::TwoPrime
    {
        return Err(unrecognised(
            "a multi-prime RSA private key: only ordinary two-prime RSA keys are supported",
        ));
    }
    RsaPrivateKey::from_pkcs1_der(der).map_err(|_| {
        unrecognised(
            "an RSA private key whose numbers do not fit together (the key is damaged or \
             malformed)",
        )
    })
}

fn public_from_spki(
    oid: ObjectIdentifier,
    parameters: Option<AnyRef<'_>>,
    key_bytes: Option<&[u8]>,
) -> Result<(RsaPublicKey, Vec<String>), KeyError> {
    let oid_text = oid.to_string();
    let mut warnings = Vec::new();
    if oid_text == OID_RSA_PSS {
        warnings.push(pss_warning());
    } else if oid_text != OID_RSA {
        return Err(KeyError::NotRsa {
            algorithm: algorithm_name(oid, parameters),
        });
    }
    let key_bytes =
        key_bytes.ok_or_else(|| unrecognised("the public key's BIT STRING is malformed"))?;
    Ok((public_from_pkcs1(key_bytes)?, warnings))
}

fn public_from_pkcs1(der: &[u8]) -> Result<RsaPublicKey, KeyError> {
    let parsed = rsa::pkcs1::RsaPublicKey::try_from(der)
        .map_err(|_| unrecognised("the RSA public key structure is malformed"))?;
    let n = BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    RsaPublicKey::new_with_max_size(n, e, MAX_KEY_BITS).map_err(|err| {
        unrecognised(match err {
            rsa::Error::ModulusTooLarge => {
                format!("the RSA modulus is larger than {MAX_KEY_BITS} bits")
            }
            _ => "the RSA public key's modulus or exponent is invalid".to_string(),
        })
    })
}

/// A readable name for a key algorithm OID (with the curve for EC keys).
fn algorithm_name(oid: ObjectIdentifier, parameters: Option<AnyRef<'_>>) -> String {
    match oid.to_string().as_str() {
        "1.2.840.10045.2.1" => {
            let curve = parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .map(|curve| match curve.to_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    "1.3.132.0.10" => "secp256k1".to_string(),
                    "1.2.156.10197.1.301" => "SM2".to_string(),
                    other => format!("curve {other}"),
                });
            match curve {
                Some(curve) => format!("EC (id-ecPublicKey, {curve})"),
                None => "EC (id-ecPublicKey)".to_string(),
            }
        }
        "1.3.101.112" => "Ed25519".to_string(),
        "1.3.101.113" => "Ed448".to_string(),
        "1.3.101.110" => "X25519".to_string(),
        "1.3.101.111" => "X448".to_string(),
        "1.2.840.10040.4.1" => "DSA".to_string(),
        "1.2.840.113549.1.3.1" | "1.2.840.10046.2.1" => "Diffie-Hellman".to_string(),
        other => format!("unknown-algorithm (OID {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles() {
        assert_eq!(
            with_article("EC (id-ecPublicKey)"),
            "an EC (id-ecPublicKey)"
        );
        assert_eq!(with_article("Ed25519"), "an Ed25519");
        assert_eq!(with_article("DSA"), "a DSA");
        assert_eq!(with_article("SM2"), "an SM2");
        assert_eq!(with_article("Diffie-Hellman"), "a Diffie-Hellman");
    }

    #[test]
    fn safe_labels_only() {
        assert_eq!(safe_label("PRIVATE KEY"), Some("PRIVATE KEY"));
        assert_eq!(safe_label("MIIEvQ"), None);
        assert_eq!(safe_label(""), None);
    }

    #[test]
    fn generate_refuses_odd_sizes() {
        for bits in [0, 512, 1024, 2047, 8192] {
            assert!(matches!(
                generate_private_key(bits),
                Err(KeyError::Generate { .. })
            ));
        }
    }
}
