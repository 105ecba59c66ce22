//! X-TIMESTAMP and X-EXTERNAL-ID.
//!
//! SNAP wants `yyyy-MM-ddTHH:mm:ss+07:00`: Jakarta time (WIB, no daylight saving, so a fixed
//! +07:00 offset is exact), seconds precision, 25 characters. Providers differ (millis, `Z`;
//! SNAP_NOTES §3), so a strict check is offered for what we send and a lenient parse for
//! what we receive or diagnose.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, Utc};
use rsa::rand_core::{OsRng, RngCore};

/// Jakarta (WIB) is UTC+7 all year round.
pub const JAKARTA_OFFSET_SECONDS: i32 = 7 * 3600;

/// The shape we send and check, shown to users in error messages.
pub const SNAP_TIMESTAMP_SHAPE: &str = "yyyy-MM-ddTHH:mm:ss+07:00, e.g. 2024-11-29T14:15:00+07:00";

/// The Jakarta (WIB) offset.
pub fn jakarta() -> FixedOffset {
    // The offset is a constant well inside chrono's ±24 h range.
    FixedOffset::east_opt(JAKARTA_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix())
}

/// Now, as an X-TIMESTAMP value in Jakarta time.
pub fn now_jakarta() -> String {
    format_jakarta(Utc::now())
}

/// A UTC instant as an X-TIMESTAMP value in Jakarta time, seconds precision.
pub fn format_jakarta(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&jakarta())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("X-TIMESTAMP is empty; expected {SNAP_TIMESTAMP_SHAPE}")]
    Empty,
    #[error("X-TIMESTAMP '{value}' is not a date-time ({reason}); expected {SNAP_TIMESTAMP_SHAPE}")]
    NotADateTime { value: String, reason: String },
    #[error("X-TIMESTAMP '{value}' {problem}; expected {SNAP_TIMESTAMP_SHAPE}")]
    NotSnapShape { value: String, problem: String },
}

/// Parse any RFC 3339 date-time (millis, `Z`, other offsets are accepted).
pub fn parse_lenient(value: &str) -> Result<DateTime<FixedOffset>, TimestampError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(TimestampError::Empty);
    }
    DateTime::parse_from_rfc3339(value).map_err(|e| TimestampError::NotADateTime {
        value: super::text::shorten(value, 64),
        reason: e.to_string(),
    })
}

/// Parse and insist on the SNAP shape: seconds precision, an explicit `±HH:MM` offset
/// (not `Z`), 25 characters. The offset need not be +07:00 (the instant is what counts),
/// but everything ASPI and NICEPAY publish uses it.
pub fn parse_strict(value: &str) -> Result<DateTime<FixedOffset>, TimestampError> {
    let parsed = parse_lenient(value)?;
    let value = value.trim();
    let problem = if value.ends_with('Z') || value.ends_with('z') {
        Some("uses 'Z' instead of an explicit offset like +07:00".to_string())
    } else if value.contains('.') {
        Some("has fractional seconds".to_string())
    } else if value.len() != 25 {
        Some(format!(
            "is {} characters long, not 25",
            value.chars().count()
        ))
    } else if value.as_bytes().get(10) != Some(&b'T') {
        Some("must separate date and time with 'T'".to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(TimestampError::NotSnapShape {
            value: super::text::shorten(value, 64),
            problem,
        }),
        None => Ok(parsed),
    }
}

/// Seconds from `sent` to `now` (positive: the timestamp lies in the past).
pub fn skew_seconds(sent: &DateTime<FixedOffset>, now: DateTime<Utc>) -> i64 {
    now.signed_duration_since(sent.with_timezone(&Utc))
        .num_seconds()
}

/// Default X-EXTERNAL-ID length: the ASPI sample value has 32 digits.
pub const DEFAULT_EXTERNAL_ID_LEN: usize = 32;

/// A numeric X-EXTERNAL-ID of `len` digits (clamped to 1..=64), never repeated within
/// this process (until 10^len ids, or 10^38 for len ≥ 38).
///
/// Why not plain random digits: SNAP rejects a repeat within a day (409xx00), and a
/// birthday collision at short lengths (Paylabs uses 12) is likely over a long load test.
/// Instead a process-wide counter walks a permutation of 0..10^n: `(start + k·step) mod
/// 10^n` with `step` coprime to 10^n visits every value once, and still looks random.
pub fn new_external_id(len: usize) -> String {
    let len = len.clamp(1, 64);
    let unique_digits = len.min(38) as u32;
    let modulus = 10u128.pow(unique_digits);
    let (start, step) = *permutation_params();
    let k = COUNTER.fetch_add(1, Ordering::Relaxed) as u128;
    // k < 2^64 and step < 2^63, so the product fits in u128; so does the sum below.
    let value = (start % modulus + (k * step) % modulus) % modulus;
    let mut id = String::with_capacity(len);
    for _ in unique_digits as usize..len {
        id.push(char::from(b'0' + (OsRng.next_u32() % 10) as u8));
    }
    id.push_str(&format!("{value:0width$}", width = unique_digits as usize));
    id
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn permutation_params() -> &'static (u128, u128) {
    static PARAMS: OnceLock<(u128, u128)> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let start = (u128::from(OsRng.next_u64()) << 64) | u128::from(OsRng.next_u64());
        // Coprime to every 10^n: odd and not a multiple of 5. Large, so consecutive ids differ
        // in their leading digits too; below 2^63 so that k·step cannot overflow.
        let mut step = u128::from(OsRng.next_u64() >> 1) | 1;
        if step % 5 == 0 {
            step += 2;
        }
        (start, step)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn formats_in_jakarta_time_with_seconds() {
        let instant = DateTime::parse_from_rfc3339("2024-11-29T07:15:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        assert_eq!(
            instant.map(format_jakarta).as_deref(),
            Some("2024-11-29T14:15:00+07:00")
        );
        let now = now_jakarta();
        assert_eq!(now.len(), 25, "{now}");
        assert!(now.ends_with("+07:00"));
        assert!(parse_strict(&now).is_ok());
    }

    #[test]
    fn strict_rejects_other_shapes_with_a_reason() {
        let cases = [
            ("2024-11-29T14:15:00.123+07:00", "fractional seconds"),
            ("2024-11-29T07:15:00Z", "'Z'"),
            ("2024-11-29 14:15:00", "not a date-time"),
            ("", "empty"),
        ];
        for (input, needle) in cases {
            let message = parse_strict(input).err().map(|e| e.to_string());
            let message = message.unwrap_or_default();
            assert!(message.contains(needle), "{input}: {message}");
            assert!(message.contains("yyyy-MM-ddTHH:mm:ss+07:00") || input.is_empty());
        }
        assert!(parse_lenient("2024-11-29T07:15:00.5Z").is_ok());
    }

    #[test]
    fn skew_is_signed_seconds() {
        let sent = DateTime::parse_from_rfc3339("2024-11-29T14:15:00+07:00").ok();
        let now = DateTime::parse_from_rfc3339("2024-11-29T07:16:40Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        assert_eq!(sent.zip(now).map(|(s, n)| skew_seconds(&s, n)), Some(100));
    }

    #[test]
    fn external_ids_are_numeric_sized_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let id = new_external_id(DEFAULT_EXTERNAL_ID_LEN);
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_digit()));
            assert!(seen.insert(id));
        }
        let mut short = HashSet::new();
        for _ in 0..2_000 {
            assert!(short.insert(new_external_id(6)));
        }
        assert_eq!(new_external_id(40).len(), 40);
        assert_eq!(new_external_id(0).len(), 1);
    }
}
