//! First run: a ready-to-use "Local sandbox" profile with fresh credentials, so a newcomer
//! can sign and send before owning any provider account.

use rsa::rand_core::{OsRng, RngCore};

use crate::model::{Profile, ProfileSecrets, new_profile_id};
use crate::snap::keys;

pub const SANDBOX_PROFILE_NAME: &str = "Local sandbox";

#[derive(Debug, Clone)]
pub struct SandboxProfile {
    pub profile: Profile,
    pub secrets: ProfileSecrets,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A profile for the embedded sandbox: a 2048-bit key pair, client ID and secret, partner
/// and channel IDs. Its base URL is filled in when the sandbox has a port.
pub fn sandbox_profile() -> Result<SandboxProfile, String> {
    let key = keys::generate_private_key(2048).map_err(|e| e.to_string())?;
    let private_key_pem = keys::private_key_to_pkcs8_pem(&key, None)
        .map_err(|e| e.to_string())?
        .to_string();
    let client_id = format!("SANDBOX{}", random_hex(6).to_uppercase());
    let profile = Profile {
        id: new_profile_id(),
        name: SANDBOX_PROFILE_NAME.to_string(),
        base_url: String::new(),
        client_id: client_id.clone(),
        partner_id: client_id,
        channel_id: "95221".to_string(),
        // SNAP's partnerServiceId is 8 characters, left-padded with spaces.
        partner_service_id: "   12345".to_string(),
        local_sandbox: true,
        timeout_seconds: 10,
        ..Profile::default()
    };
    Ok(SandboxProfile {
        profile,
        secrets: ProfileSecrets {
            client_secret: random_hex(24).into(),
            private_key_pem: private_key_pem.into(),
            ..ProfileSecrets::default()
        },
    })
}
