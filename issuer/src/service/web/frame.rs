//! What every page shows around its content (title, language switch, sign
//! out), and the errors of a form, each tied to its field.

use crate::service::web::lang::Speak as _;
use healthcode_keys::hktime::format_hk;
use time::OffsetDateTime;

use super::lang::Lang;
use crate::service::auth::Resident;

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page's language.
    pub lang: Lang,
    /// The page's path, for the language switch that keeps the place.
    pub path: String,
    /// The page's title, `Error: ` first when the page shows errors.
    pub title: String,
    /// The session's CSRF token, when signed in: the sign-out form needs it.
    pub csrf: Option<String>,
    /// Whether the page is a staff console's (its own home and sign-out).
    pub console: bool,
    /// When a resident's session ends, for the warning and the extension.
    pub session_ends: Option<SessionEnds>,
}

/// When a resident's session ends, as the page says it.
#[derive(Debug, Clone)]
pub struct SessionEnds {
    /// `HH:MM`, Hong Kong time.
    pub time: String,
    /// Seconds left when the page was made (the browser's clock may be wrong).
    pub seconds_left: i64,
}

impl Frame {
    /// The frame of the page at `path` titled by message `title_key`.
    pub fn new(lang: Lang, path: impl Into<String>, title_key: &str) -> Frame {
        Frame {
            lang,
            path: path.into(),
            title: lang.t(title_key),
            csrf: None,
            console: false,
            session_ends: None,
        }
    }

    /// The frame of a staff console's page (signed in or not).
    pub fn console(lang: Lang, path: impl Into<String>, title_key: &str) -> Frame {
        Frame {
            console: true,
            ..Frame::new(lang, path, title_key)
        }
    }

    /// Where the service's name links to.
    pub fn home(&self) -> &'static str {
        if self.console { "/staff" } else { "/" }
    }

    /// Where the sign-out form posts.
    pub fn sign_out_path(&self) -> &'static str {
        if self.console {
            "/staff/sign-out"
        } else {
            "/sign-out"
        }
    }

    /// The service's name as the masthead shows it.
    pub fn service_name(&self) -> String {
        self.t(if self.console {
            "console-name"
        } else {
            "service-name"
        })
    }

    /// The frame of a signed-in resident's page.
    #[must_use]
    pub fn signed_in(mut self, session_token: &str) -> Frame {
        self.csrf = Some(crate::service::auth::csrf_token(session_token));
        self
    }

    /// The frame of a signed-in resident's page: sign-out, and the time
    /// the session ends with the button that extends it.
    #[must_use]
    pub fn resident(mut self, resident: &Resident, now: OffsetDateTime) -> Frame {
        let hk = format_hk(resident.expires_at);
        self.session_ends = Some(SessionEnds {
            time: hk.get(11..16).unwrap_or_default().to_owned(),
            seconds_left: (resident.expires_at - now).whole_seconds().max(0),
        });
        self.signed_in(&resident.token)
    }

    /// Says in the title that the page shows `errors`, as screen readers
    /// announce the title first.
    #[must_use]
    pub fn with(mut self, errors: &Errors) -> Frame {
        if !errors.is_empty() {
            self.title = format!("{} {}", self.lang.t("error-prefix"), self.title);
        }
        self
    }

    /// Message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// Message `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.lang.t_with(key, &[(name, value)])
    }

    /// Message `key` with one count, in its plural form.
    pub fn t_count(&self, key: &str, name: &'static str, count: usize) -> String {
        self.lang.t_counts(key, &[(name, count)])
    }

    /// The language the switch offers.
    pub fn other(&self) -> Lang {
        self.lang.other()
    }
}

/// A problem with one field of a form.
#[derive(Debug, Clone)]
pub struct FieldMessage {
    /// The field's `id` (and `name`).
    pub field: &'static str,
    /// What is wrong, in the page's language.
    pub message: String,
}

/// The problems of a form, in the order of its fields.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldMessage>);

impl Errors {
    /// Adds a problem with `field`.
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.push(FieldMessage { field, message });
    }

    /// The problem with `field`, if any.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|m| m.field == field)
            .map(|m| m.message.as_str())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
