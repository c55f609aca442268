//! Who is asking: the client address, a resident's session, a staff member.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::Response,
};

use super::{AppError, AppState};
use crate::{
    model::{Role, StaffMember},
    store::staff::STAFF_TOKEN_PREFIX,
};

/// A cookie this service sets: its name and the paths it goes to. Every
/// one is HttpOnly and SameSite=Strict, and Secure when served over TLS.
#[derive(Debug, Clone, Copy)]
pub struct SessionCookie {
    /// The cookie's name.
    pub name: &'static str,
    path: &'static str,
}

/// A resident's session (the API and the resident pages).
pub const RESIDENT_SESSION: SessionCookie = SessionCookie {
    name: "hc_session",
    path: "/",
};

/// A console session, sent only to `/staff` pages.
pub const STAFF_SESSION: SessionCookie = SessionCookie {
    name: "hc_staff",
    path: "/staff",
};

/// A sign-in waiting for its SMS code, sent only to `/sign-in` pages.
pub const SIGN_IN_CHALLENGE: SessionCookie = SessionCookie {
    name: "hc_sign_in",
    path: "/sign-in",
};

/// A registration draft, sent only to `/register` pages.
pub const REGISTRATION_DRAFT: SessionCookie = SessionCookie {
    name: "hc_draft",
    path: "/register",
};

impl SessionCookie {
    /// The `Set-Cookie` value carrying `token` for `lifetime`; a zero
    /// lifetime and an empty token remove the cookie.
    fn header(self, token: &str, lifetime: time::Duration, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{}={token}; Max-Age={}; Path={}; HttpOnly; SameSite=Strict{secure}",
            self.name,
            lifetime.whole_seconds().max(0),
            self.path,
        )
    }

    /// Adds the cookie to `response` (see [`Self::header`]).
    pub fn set(self, response: &mut Response, token: &str, lifetime: time::Duration, secure: bool) {
        if let Ok(value) = HeaderValue::from_str(&self.header(token, lifetime, secure)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }

    /// Removes the cookie from the browser.
    pub fn clear(self, response: &mut Response, secure: bool) {
        self.set(response, "", time::Duration::ZERO, secure);
    }
}

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
    /// When the session ends unless extended.
    pub expires_at: time::OffsetDateTime,
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
                cookie(&parts.headers, RESIDENT_SESSION.name).ok_or(AppError::Unauthenticated)?,
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
        let session = state
            .store
            .session_account(&token, state.now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Resident {
            account_id: session.account_id,
            token,
            expires_at: session.expires_at,
        })
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
        let token = cookie(&parts.headers, STAFF_SESSION.name)
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
        assert_eq!(cookie(&headers, RESIDENT_SESSION.name), Some("tok"));
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
