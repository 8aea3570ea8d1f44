//! Signed role tokens: `base64url(JSON claims) . base64url(HMAC-SHA256)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sontinh_feeds::Role;

/// What a valid token says.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub role: Role,
    /// Expiry, seconds since 1970.
    pub exp: i64,
    /// Who holds it (an operator's name): what acknowledgements record.
    /// Tokens without one still grant their role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// Longest subject a token may name, in characters.
pub const MAX_SUBJECT_CHARS: usize = 80;

/// A subject fit for a token: 1 to [`MAX_SUBJECT_CHARS`] characters, no
/// control characters, not blank.
pub fn check_subject(subject: &str) -> Result<(), String> {
    if subject.trim().is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
        return Err(format!("--subject {subject:?}: a name of 1 to {MAX_SUBJECT_CHARS} characters without control characters"));
    }
    Ok(())
}

/// Longest a token may be issued for: 30 days.
pub const MAX_TOKEN_HOURS: f64 = 30.0 * 24.0;

/// The expiry of a token issued at `now` (seconds since 1970) for `hours`,
/// which must be positive and at most [`MAX_TOKEN_HOURS`].
pub fn expiry(now: i64, hours: f64) -> Result<i64, String> {
    if !(hours.is_finite() && hours > 0.0 && hours <= MAX_TOKEN_HOURS) {
        return Err(format!(
            "--hours {hours}: a token lasts more than 0 and at most {MAX_TOKEN_HOURS} hours (30 days)"
        ));
    }
    // hours ≤ 720, so the product is at most 2,592,000 s and cannot overflow.
    now.checked_add((hours * 3600.0).round() as i64)
        .ok_or_else(|| "the clock is past the end of time".to_owned())
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
    issue_claims(secret, &Claims { role, exp, sub: None })
}

/// A token that also names its holder.
pub fn issue_named(secret: &[u8], role: Role, exp: i64, subject: &str) -> String {
    issue_claims(secret, &Claims { role, exp, sub: Some(subject.to_owned()) })
}

fn issue_claims(secret: &[u8], claims: &Claims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let sig = URL_SAFE_NO_PAD.encode(signature(secret, &payload));
    format!("{payload}.{sig}")
}

/// The claims of a valid, unexpired token.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Result<Claims, &'static str> {
    if token.len() > 1024 {
        return Err("malformed token");
    }
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
    Ok(claims)
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
        assert_eq!(verify(b"secret", &t, 50).map(|c| c.role), Ok(Role::Operator));
        assert_eq!(verify(b"secret", &t, 101), Err("expired token"));
        assert_eq!(verify(b"other", &t, 50), Err("bad signature"));
        assert_eq!(claimed_role(&t), Some(Role::Operator));
        assert_eq!(claimed_role("garbage"), None);
        let tourist = issue(b"secret", Role::Tourist, 100);
        let (payload, _) = t.split_once('.').unwrap_or_default();
        let (_, tourist_sig) = tourist.split_once('.').unwrap_or_default();
        assert_eq!(verify(b"secret", &format!("{payload}.{tourist_sig}"), 50), Err("bad signature"));
        assert!(verify(b"secret", "nonsense", 50).is_err());
        // A named token says who holds it; an unnamed one nobody.
        let named = issue_named(b"secret", Role::Operator, 100, "Nguyễn Văn A");
        assert_eq!(verify(b"secret", &named, 50).map(|c| c.sub), Ok(Some("Nguyễn Văn A".to_owned())));
        assert_eq!(verify(b"secret", &t, 50).map(|c| c.sub), Ok(None));
        assert!(check_subject("Trần Thị B").is_ok());
        for bad in ["", "  ", "a\nb", &"x".repeat(81)] {
            assert!(check_subject(bad).is_err(), "{bad:?}");
        }
    }

    /// `--hours 1e300` used to overflow the expiry.
    #[test]
    fn token_lifetimes_are_capped() {
        assert_eq!(expiry(1_000, 2.0), Ok(1_000 + 7_200));
        assert_eq!(expiry(0, 720.0), Ok(2_592_000));
        for bad in [1e300, 721.0, 0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(expiry(0, bad).unwrap_err().contains("at most 720"), "{bad}");
        }
        assert!(expiry(i64::MAX - 10, 1.0).is_err());
    }
}
