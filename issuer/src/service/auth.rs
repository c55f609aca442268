//! Who is asking: the client address, a resident's session, a staff member.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};

use super::{AppError, AppState};
use crate::{
    model::{Role, StaffMember},
    store::staff::STAFF_TOKEN_PREFIX,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hc_session";

/// No token we issue is longer; a longer one is refused before any lookup.
const MAX_TOKEN_LEN: usize = 128;

/// The client's address: the peer, or behind a trusted proxy the address
/// it forwarded (see [`super::client`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(state.trusted_proxies.client(peer, &parts.headers)))
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// A logged-in resident: from `Authorization: Bearer` (the app) or the
/// session cookie (the web).
#[derive(Debug, Clone)]
pub struct Resident {
    /// The account.
    pub account_id: String,
    /// The session token presented.
    pub token: String,
}

impl FromRequestParts<Arc<AppState>> for Resident {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let (token, from_cookie) = match bearer(&parts.headers) {
            Some(token) => (token, false),
            None => (
                cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?,
                true,
            ),
        };
        if token.starts_with(STAFF_TOKEN_PREFIX) || token.len() > MAX_TOKEN_LEN {
            return Err(AppError::Unauthenticated);
        }
        // A browser attaches the cookie to any site's request; a bearer
        // token is sent only by a client that holds it.
        if from_cookie && !parts.method.is_safe() {
            check_same_origin(&parts.headers, token)?;
        }
        let token = token.to_owned();
        let account_id = state
            .store
            .session_account(&token, state.now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Resident { account_id, token })
    }
}

/// The header (and, in forms, the field) that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token of a session: derived from the session token, which only
/// its holder knows, so it needs no storage and dies with the session.
pub fn csrf_token(session_token: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(session_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(b"healthcode csrf v1");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Where a browser says a request came from: `Some(true)` from this site's
/// own pages, `Some(false)` from another site, by `Sec-Fetch-Site` (every
/// current browser), else by `Origin` against `Host`; `None` when it sends
/// neither (not a browser, or a very old one).
pub fn same_site(headers: &HeaderMap) -> Option<bool> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    if let Some(site) = text("sec-fetch-site") {
        return Some(matches!(site, "same-origin" | "none"));
    }
    let origin = text(header::ORIGIN.as_str())?;
    let host = text(header::HOST.as_str()).unwrap_or_default();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    Some(matches!(origin_host, Some(o) if !host.is_empty() && o.eq_ignore_ascii_case(host)))
}

/// Whether `given` is the CSRF token of `session_token`, in constant time.
pub fn csrf_matches(given: &str, session_token: &str) -> bool {
    let expected = csrf_token(session_token);
    bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    ))
}

/// Refuses a cookie-authenticated state change that a browser says came
/// from another site; a client that says nothing must send the session's
/// CSRF token.
fn check_same_origin(headers: &HeaderMap, session_token: &str) -> Result<(), AppError> {
    let allowed = same_site(headers).unwrap_or_else(|| {
        headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| csrf_matches(given, session_token))
    });
    if allowed {
        Ok(())
    } else {
        Err(AppError::CrossSite)
    }
}

/// The console session cookie's name (sent only to `/staff` pages).
pub const STAFF_SESSION_COOKIE: &str = "hc_staff";

/// A staff member signed in to a web console (the `hc_staff` cookie); a
/// state change must come from this site's own pages.
#[derive(Debug, Clone)]
pub struct ConsoleStaff {
    /// Who.
    pub member: StaffMember,
    /// The console session token presented.
    pub token: String,
}

impl FromRequestParts<Arc<AppState>> for ConsoleStaff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let token = cookie(&parts.headers, STAFF_SESSION_COOKIE)
            .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
            .ok_or(AppError::Unauthenticated)?;
        if !parts.method.is_safe() {
            check_same_origin(&parts.headers, token)?;
        }
        let token = token.to_owned();
        let member = state
            .store
            .staff_for_session(&token, state.now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(ConsoleStaff { member, token })
    }
}

/// An authenticated staff member (`Authorization: Bearer hcstaff_...`).
#[derive(Debug, Clone)]
pub struct Staff(pub StaffMember);

impl FromRequestParts<Arc<AppState>> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let token = bearer(&parts.headers)
            .filter(|t| t.starts_with(STAFF_TOKEN_PREFIX) && t.len() <= MAX_TOKEN_LEN)
            .ok_or(AppError::Unauthenticated)?;
        let member = state
            .store
            .staff_for_token(token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Staff(member))
    }
}

impl Staff {
    /// Allows one of `roles`; a refusal is written to the audit log.
    ///
    /// # Errors
    /// [`crate::Error::Forbidden`], as an [`AppError`].
    pub async fn require(
        &self,
        state: &AppState,
        roles: &'static [Role],
        action: &str,
    ) -> Result<(), AppError> {
        Ok(state
            .store
            .authorize(&self.0, roles, action, state.now())
            .await?)
    }

    /// Writes `action` on `subject` by this staff member to the audit log.
    ///
    /// # Errors
    /// [`AppError::Domain`] when the database fails.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> Result<(), AppError> {
        Ok(state
            .store
            .audit_staff(&self.0, action, subject, detail, state.now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_and_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hc_session=tok; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "hc"), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  xyz "),
        );
        assert_eq!(bearer(&headers), Some("xyz"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(bearer(&headers), None);
    }
}
