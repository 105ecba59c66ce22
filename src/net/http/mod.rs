//! What every server and client of the console shares, so that the sandbox, the inbox and
//! the HTTP client cannot drift apart on the rules that protect the user:
//!
//! ```text
//! serve.rs         the one serve loop: hyper HTTP/1.1 per connection, head timeout (also
//!                  the keep-alive idle timeout), head size cap, connection limit with a
//!                  503 past it, graceful stop
//! body.rs          the one body reader: size cap, deadline, drain so the client reads the answer
//! loopback.rs      the one rule for "this machine" (a key or secret may go there unasked)
//! client_error.rs  the one wording of reqwest failures (client, cross-check, notifications)
//! bearer.rs        the one parser of `Authorization: Bearer <token>`
//! framing.rs       sees Content-Length with Transfer-Encoding, which hyper resolves silently
//! strict.rs        the one rule on ambiguous requests (a SNAP header twice, Content-Length
//!                  with Transfer-Encoding, a Content-Encoding): 400xx00 in both servers
//! ```
//!
//! Before this module each server had its own accept loop with its own limits (one waited
//! for a free slot, one dropped extra connections), and three loopback rules disagreed on
//! `*.localhost` and IPv4-mapped addresses. One copy means one behaviour to test.

mod bearer;
mod body;
mod client_error;
mod framing;
mod loopback;
mod serve;
mod strict;

pub use bearer::bearer_token;
pub use body::{BodyEnd, BodyLimits, BodyRead, DRAIN_FACTOR, declared_length, read_body};
pub use client_error::{
    ClientFailure, FailureKind, broken_body, classify, describe, describe_body, error_chain,
};
pub use framing::FramingConflict;
pub use loopback::{is_loopback, is_loopback_host, is_loopback_ip, is_loopback_text};
pub use serve::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEAD_BYTES, ServeLimits,
    serve,
};
pub use strict::{SINGLE_HEADERS, ambiguity};
