//! Seeing what hyper hides: a request with both `Content-Length` and `Transfer-Encoding`.
//! hyper resolves it the RFC 9112 way (the chunked coding wins, Content-Length is dropped
//! from the headers, the connection closes after the answer), so a handler cannot tell it
//! from a plain chunked request. Strict gateways refuse it (`400`), and so do we: this
//! wrapper reads along the bytes hyper reads, finds each request head (following bodies by
//! their length or chunks, as hyper does), and queues one flag per request, in order; the
//! serve loop marks the request hyper hands over with [`FramingConflict`] when its flag is
//! set. A head the scanner cannot follow (hyper then refuses it too) stops the scanning.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Set on a request whose head had both `Content-Length` and `Transfer-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramingConflict;

/// One flag per request head seen on a connection, oldest first.
pub(crate) type Flags = Arc<Mutex<VecDeque<bool>>>;

/// The flag of the next request hyper hands over (false when the scanner lost track).
pub(crate) fn next_flag(flags: &Flags) -> bool {
    flags
        .lock()
        .map(|mut queue| queue.pop_front().unwrap_or(false))
        .unwrap_or(false)
}

/// A stream that scans what is read from it.
pub(crate) struct FramingWatch<S> {
    inner: S,
    scanner: Scanner,
    flags: Flags,
}

impl<S> FramingWatch<S> {
    pub(crate) fn new(inner: S, max_head: usize) -> (Self, Flags) {
        let flags = Flags::default();
        let watch = FramingWatch {
            inner,
            scanner: Scanner::new(max_head),
            flags: Arc::clone(&flags),
        };
        (watch, flags)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FramingWatch<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let fresh = &buf.filled()[before..];
            let mut found = Vec::new();
            self.scanner.feed(fresh, &mut found);
            if !found.is_empty()
                && let Ok(mut queue) = self.flags.lock()
            {
                queue.extend(found);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FramingWatch<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailer,
    /// Lost track (a head hyper refuses, or too long): scan no more.
    Off,
}

/// Follows request framing over a byte stream.
struct Scanner {
    state: State,
    /// The head, or the current chunk-size or trailer line, so far.
    pending: Vec<u8>,
    max_head: usize,
}

impl Scanner {
    fn new(max_head: usize) -> Self {
        Scanner {
            state: State::Head,
            pending: Vec::new(),
            max_head,
        }
    }

    /// Consume `bytes`; push one flag per request head completed in them.
    fn feed(&mut self, mut bytes: &[u8], found: &mut Vec<bool>) {
        while !bytes.is_empty() {
            bytes = match self.state {
                State::Off => return,
                State::Head => self.head(bytes, found),
                State::Body(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                    &bytes[take..]
                }
                State::ChunkData(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::ChunkEnd
                    } else {
                        State::ChunkData(left)
                    };
                    &bytes[take..]
                }
                State::ChunkSize | State::ChunkEnd | State::Trailer => self.line(bytes),
            };
        }
    }

    /// Gather a head; at its end, flag it and follow its body.
    fn head<'a>(&mut self, bytes: &'a [u8], found: &mut Vec<bool>) -> &'a [u8] {
        let start = self.pending.len().saturating_sub(3);
        self.pending.extend_from_slice(bytes);
        let Some(end) = find(&self.pending[start..], b"\r\n\r\n").map(|i| start + i + 4) else {
            if self.pending.len() > self.max_head {
                self.state = State::Off;
            }
            return &[];
        };
        let rest_from = bytes.len() - (self.pending.len() - end);
        let mut headers = [httparse::EMPTY_HEADER; 256];
        let mut request = httparse::Request::new(&mut headers);
        let parsed = request.parse(&self.pending[..end]);
        self.state = match parsed {
            Ok(httparse::Status::Complete(_)) => {
                let (length, chunked) = framing_of(request.headers);
                found.push(length.is_some() && chunked.is_some());
                match (chunked, length) {
                    (Some(true), _) => State::ChunkSize,
                    (Some(false), _) => State::Off,
                    (None, Some(Some(n))) if n > 0 => State::Body(n),
                    (None, Some(None)) => State::Off,
                    (None, _) => State::Head,
                }
            }
            _ => State::Off,
        };
        self.pending.clear();
        &bytes[rest_from..]
    }

    /// A chunk-size line, the CRLF after a chunk, or a trailer line.
    fn line<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let Some(newline) = bytes.iter().position(|b| *b == b'\n') else {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > self.max_head {
                self.state = State::Off;
            }
            return &[];
        };
        self.pending.extend_from_slice(&bytes[..newline]);
        let line = String::from_utf8_lossy(&self.pending).trim().to_string();
        self.pending.clear();
        self.state = match self.state {
            State::ChunkSize => {
                let size = line.split(';').next().unwrap_or_default().trim();
                match u64::from_str_radix(size, 16) {
                    Ok(0) => State::Trailer,
                    Ok(n) => State::ChunkData(n),
                    Err(_) => State::Off,
                }
            }
            State::ChunkEnd => State::ChunkSize,
            State::Trailer if line.is_empty() => State::Head,
            other => other,
        };
        &bytes[newline + 1..]
    }
}

/// (Content-Length: None absent, Some(None) unreadable, Some(Some(n))); (Transfer-Encoding:
/// None absent, Some(chunked last)).
fn framing_of(headers: &[httparse::Header<'_>]) -> (Option<Option<u64>>, Option<bool>) {
    let mut length = None;
    let mut chunked = None;
    for header in headers {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<u64>().ok());
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or_default().trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        }
    }
    (length, chunked)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(stream: &[u8], piece: usize) -> Vec<bool> {
        let mut scanner = Scanner::new(64 * 1024);
        let mut found = Vec::new();
        for part in stream.chunks(piece) {
            scanner.feed(part, &mut found);
        }
        found
    }

    #[test]
    fn each_head_is_flagged_in_order_whatever_the_reads() {
        let stream = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n\
POST /c HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n\
GET /d HTTP/1.1\r\nHost: x\r\n\r\n";
        for piece in [1, 2, 7, 1000] {
            assert_eq!(
                flags_of(stream, piece),
                [false, false, true, false],
                "reads of {piece}"
            );
        }
    }

    #[test]
    fn a_head_it_cannot_follow_stops_the_scan() {
        assert_eq!(
            flags_of(b"\x00\x01garbage\r\n\r\nGET / HTTP/1.1\r\n\r\n", 4),
            Vec::<bool>::new()
        );
    }
}
