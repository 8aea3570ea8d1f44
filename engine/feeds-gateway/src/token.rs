//! Signed role tokens: `base64url(JSON claims) . base64url(HMAC-SHA256)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sontinh_feeds::Role;

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    role: Role,
    /// Expiry, seconds since 1970.
    exp: i64,
}

fn signature(secret: &[u8], payload: &str) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A token for `role` valid until `exp` (seconds since 1970).
pub fn issue(secret: &[u8], role: Role, exp: i64) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Claims { role, exp }).unwrap_or_default());
    let sig = URL_SAFE_NO_PAD.encode(signature(secret, &payload));
    format!("{payload}.{sig}")
}

/// The role of a valid, unexpired token.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Result<Role, &'static str> {
    let (payload, sig) = token.split_once('.').ok_or("malformed token")?;
    let given = URL_SAFE_NO_PAD.decode(sig).map_err(|_| "malformed token")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| "bad secret")?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&given).map_err(|_| "bad signature")?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("malformed token")?;
    if claims.exp < now {
        return Err("expired token");
    }
    Ok(claims.role)
}

/// The role a token claims, without checking its signature: only for a
/// viewer choosing which panels to open (the gateway decides what it sends).
pub fn claimed_role(token: &str) -> Option<Role> {
    let (payload, _) = token.split_once('.')?;
    let claims: Claims = URL_SAFE_NO_PAD.decode(payload).ok().and_then(|b| serde_json::from_slice(&b).ok())?;
    Some(claims.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let t = issue(b"secret", Role::Operator, 100);
        assert_eq!(verify(b"secret", &t, 50), Ok(Role::Operator));
        assert_eq!(verify(b"secret", &t, 101), Err("expired token"));
        assert_eq!(verify(b"other", &t, 50), Err("bad signature"));
        assert_eq!(claimed_role(&t), Some(Role::Operator));
        assert_eq!(claimed_role("garbage"), None);
        let tourist = issue(b"secret", Role::Tourist, 100);
        let (payload, _) = t.split_once('.').unwrap_or_default();
        let (_, tourist_sig) = tourist.split_once('.').unwrap_or_default();
        assert_eq!(verify(b"secret", &format!("{payload}.{tourist_sig}"), 50), Err("bad signature"));
        assert!(verify(b"secret", "nonsense", 50).is_err());
    }
}
