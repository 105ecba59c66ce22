//! The local SNAP sandbox.
