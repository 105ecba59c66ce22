//! The HTTP client side of the request composer: what the composer window, the worker and
//! `snap-console send` all call, so a request made from a terminal is the request the
//! window would make.
//!
//! ```text
//! headers  which headers a service gets; auto values, overrides, omissions, extras
//! request  RequestDraft → BuiltRequest: URL, headers, signature over the exact bytes sent
//! token    the B2B access token: fetched when missing or about to expire, cached per profile
//! connection  the profile's client: TLS setting, extra CAs, mTLS identity, explicit proxy
//! identity    client certificates (PEM, PKCS#12) and CA bundles brought to rustls' PEM form
//! send     reqwest with timings, a timeout, the TLS setting, cancellation and a body cap
//! decode   what a response says: responseCode decoded, sandbox explanations, pretty body
//! curl     Copy as cURL
//! ```
//!
//! Nothing here draws, prints or touches disk; secrets never reach an error message.
//!
//! # The body and its signature
//!
//! The body is sent **exactly as typed** (its UTF-8 bytes), and the signature hashes its
//! minified form in the profile's minify mode. That is what a counterparty does on receipt
//! (minify the received bytes, hash, compare), so the signature covers the bytes that are
//! sent, whatever whitespace the user typed. Sending the minified form instead would also be
//! consistent, but then the composer would send something other than what is on screen and
//! a user testing a provider's minifier could not send a pretty-printed body at all.

pub mod connection;
pub mod curl;
pub mod decode;
pub mod flow;
pub mod headers;
pub mod identity;
pub mod request;
pub mod send;
pub mod token;

pub use connection::{ConnectionSettings, http_client, http_client_for};
pub use curl::curl;
pub use decode::{ResponseSummary, describe_response};
pub use headers::HeaderOverride;
pub use request::{
    BuildError, BuiltRequest, RequestDraft, TimestampSource, build, default_path, needs_token,
};
pub use send::{MAX_RESPONSE_BYTES, ResponseRecord, SendError, send, send_cancellable};
pub use token::{TokenAttempt, TokenCache};
