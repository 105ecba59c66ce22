//! Plain data that several layers share, with no I/O: a profile and its secrets, the
//! request a user drafts, and `Secret`, the type every secret travels in. `store` loads and
//! saves these, `net` sends with them, `ui` and `cli` edit them; none of those layers has
//! to import another to talk about the same thing.

pub mod draft;
pub mod exchange;
pub mod profile;
pub mod profile_rules;
pub mod redact;
pub mod secret;
pub mod window;

pub use draft::{HeaderOverride, RequestDraft};
pub use exchange::{Direction, Exchange, RecordedMessage, Recorder};
pub use profile::{
    Profile, ProfileBook, ProfileSecrets, SecretsPlace, SignatureMode, TimestampStyle,
    new_profile_id,
};
pub use redact::Redactor;
pub use secret::Secret;
pub use window::WindowState;
