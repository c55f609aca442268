//! Helpers for driving resident accounts over HTTP: multipart forms, valid
//! HKID numbers, PINs in messages. Shared by the end-to-end tests and the
//! load tool.

/// A `multipart/form-data` body: (content type, bytes).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    multipart_with("proof", fields, file)
}

/// A `multipart/form-data` body of `fields` and, if given, a file
/// `(filename, bytes)` in the field `file_field`; its content type.
pub fn multipart_with(
    file_field: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = "----healthcode-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The first run of 6 digits in `text`.
pub fn pin_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}

/// A valid HKID number `X<6 digits>(<check>)` for `n` (0..1_000_000).
pub fn hkid(letter: char, n: u32) -> String {
    let body = format!("{letter}{:06}", n % 1_000_000);
    let check = healthcode_keys::identity::hkid_check_digit(&body).unwrap_or('?');
    format!("{body}({check})")
}

/// Logs in over the API at `base`: the password, then the SMS code that
/// `newest_code` reads from the outbox (the caller knows where the data
/// lives); the session token.
///
/// # Errors
/// A refused step, or no code in the outbox.
pub fn log_in(
    base: &str,
    who: &serde_json::Value,
    password: &str,
    newest_code: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let mut login = who.clone();
    login["password"] = serde_json::json!(password);
    let challenge: serde_json::Value = ureq::post(&format!("{base}/v1/login"))
        .send_json(login)?
        .into_json()?;
    let code = newest_code()?;
    let session: serde_json::Value = ureq::post(&format!("{base}/v1/login/code"))
        .send_json(serde_json::json!({"challenge": challenge["challenge"], "code": code}))?
        .into_json()?;
    session["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no session: {session}"))
}

/// The code of the newest `purpose` SMS in `outbox` (JSON lines, newest first).
pub fn newest_sms_code(outbox: &str, purpose: &str) -> Option<String> {
    outbox
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["purpose"] == purpose)
        .find_map(|m| pin_in(m["body"].as_str().unwrap_or_default()))
}
