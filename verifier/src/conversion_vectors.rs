//! The conversion vectors (`tests/vectors/conversion/*.json`): sealed
//! payloads a partner's software can open to check it reads them as ours
//! does. Each file holds the pinned root, the trust list, the partner's
//! TEST-ONLY key seed and its cases:
//!
//! ```json
//! {"root": {...root.public...}, "trust_list": {...},
//!  "partner": {"region": "GD", "seed": "<base64url, 32 bytes>"},
//!  "cases": [{"name": "valid", "payload": "HKCV1:...",
//!             "now": "2022-12-10T12:00:00+08:00",
//!             "expect": {"accepted": true, "record": {...}}},
//!            {"name": "expired", "payload": "HKCV1:...", "now": "...",
//!             "expect": {"accepted": false, "refusal": "expired"}}]}
//! ```

use healthcode_keys::{
    Region, RootPublicKey, SignedTrustList, b64,
    conversion::{PartnerSecretKey, open},
    hktime::parse_rfc3339,
};
use serde_json::Value;

/// Runs every case of a vector file; the number that passed.
///
/// # Errors
/// A file that does not parse, or the first case that opens otherwise, by name.
pub fn check(text: &str) -> Result<usize, String> {
    let file: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let root =
        RootPublicKey::from_json(&file["root"].to_string()).map_err(|e| format!("root: {e}"))?;
    let trust = SignedTrustList::from_json(&file["trust_list"].to_string())
        .map_err(|e| format!("trust_list: {e}"))?;
    let partner = partner(&file["partner"])?;
    let cases = file["cases"].as_array().ok_or("cases: missing")?;
    for case in cases {
        let name = case["name"].as_str().unwrap_or("(unnamed)");
        run(case, &root, &trust, &partner).map_err(|problem| format!("{name}: {problem}"))?;
    }
    Ok(cases.len())
}

fn partner(value: &Value) -> Result<PartnerSecretKey, String> {
    let region: Region = value["region"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("partner.region: {e}"))?;
    let seed: [u8; 32] = b64::decode(value["seed"].as_str().unwrap_or_default())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or("partner.seed: not 32 bytes of base64url")?;
    PartnerSecretKey::from_seed(region, seed).map_err(|e| e.to_string())
}

fn run(
    case: &Value,
    root: &RootPublicKey,
    trust: &SignedTrustList,
    partner: &PartnerSecretKey,
) -> Result<(), String> {
    let now = parse_rfc3339(case["now"].as_str().ok_or("now: missing")?)
        .map_err(|e| format!("now: {e}"))?;
    let trust = trust
        .clone()
        .verify(root, now)
        .map_err(|e| format!("trust_list: {e}"))?;
    let payload = case["payload"].as_str().ok_or("payload: missing")?;
    let got = match open(payload, partner, &trust, now) {
        Ok(record) => serde_json::json!({"accepted": true, "record": record}),
        Err(e) => serde_json::json!({"accepted": false, "refusal": e.refusal.as_str()}),
    };
    if got == case["expect"] {
        Ok(())
    } else {
        Err(format!("expected {}, got {got}", case["expect"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_vectors_pass_and_a_wrong_expectation_is_named() {
        let text = include_str!("../../tests/vectors/conversion/gd.json");
        let passed = check(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(passed >= 8, "{passed}");
        let changed = text.replacen("\"refusal\": \"expired\"", "\"refusal\": \"tampered\"", 1);
        let refused = check(&changed).err().unwrap_or_default();
        assert!(refused.starts_with("expired: expected"), "{refused}");
    }
}
