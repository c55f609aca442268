//! A resident converts today's green code for Guangdong or Macao: the
//! conversion key signs a minimal record, sealed to the partner's key
//! (`healthcode_keys::conversion`). The resident carries it across; no
//! back end talks to the partner's. Every attempt is audited, without the
//! personal data the payload carries.

use std::path::{Path, PathBuf};

use healthcode_keys::{
    Colour, IdDocument, IssuerSecretKey, Region,
    conversion::{self, ConversionRecord, PartnerPublicKey},
};
use time::OffsetDateTime;

use crate::{
    Error,
    model::{Actor, Unconvertible},
    store::Store,
};

/// The most conversions (and refused attempts) of one code: enough for
/// both partners and a few retries, not a loop filling the audit log.
pub const MAX_CONVERSIONS_PER_CODE: i64 = 10;

/// The conversion key and the partners' public keys.
#[derive(Debug)]
pub struct ConversionDesk {
    key: IssuerSecretKey,
    partners: Vec<PartnerPublicKey>,
}

impl ConversionDesk {
    /// Reads the conversion key (a Hong Kong issuer key, listed in the trust
    /// list, that can sign at `now`) and each partner's public key file.
    ///
    /// # Errors
    /// File and format errors; a key of another region; a partner file of
    /// another region than the one it is given for, or a region given twice.
    pub fn load(
        key_path: &Path,
        partners: &[(Region, PathBuf)],
        now: OffsetDateTime,
    ) -> Result<Self, Error> {
        let key = IssuerSecretKey::read(key_path)?;
        key.check_can_sign_at(now)?;
        let problem = |problem: String| healthcode_keys::Error::Conversion { problem };
        if key.region() != Region::HongKong {
            return Err(problem(format!(
                "the conversion key is {}'s, not HK's",
                key.region()
            ))
            .into());
        }
        let mut loaded: Vec<PartnerPublicKey> = Vec::new();
        for (region, path) in partners {
            if *region == Region::HongKong {
                return Err(problem(format!(
                    "{}: give a partner's key as GD=FILE or MO=FILE",
                    path.display()
                ))
                .into());
            }
            let partner = PartnerPublicKey::read(path)?;
            if partner.region != *region {
                return Err(problem(format!(
                    "{} is {}'s key, given for {region}",
                    path.display(),
                    partner.region
                ))
                .into());
            }
            if loaded.iter().any(|p| p.region == *region) {
                return Err(problem(format!("a second partner key for {region}")).into());
            }
            loaded.push(partner);
        }
        Ok(ConversionDesk {
            key,
            partners: loaded,
        })
    }

    /// The partner regions a code can be converted for.
    pub fn partners(&self) -> Vec<Region> {
        self.partners.iter().map(|p| p.region).collect()
    }

    /// The conversion key's id.
    pub fn kid(&self) -> healthcode_keys::KeyId {
        self.key.kid()
    }

    fn partner(&self, region: Region) -> Option<&PartnerPublicKey> {
        self.partners.iter().find(|p| p.region == region)
    }
}

/// A conversion made.
#[derive(Debug, Clone)]
pub struct Converted {
    /// Its id (32 hex digits), as audited.
    pub conversion_id: String,
    /// The partner.
    pub partner: Region,
    /// The sealed payload, `HKCV1:...`.
    pub payload: String,
    /// When the converted code expires.
    pub expires_at: OffsetDateTime,
}

/// Converts the newest code of today of `account_id` for `partner`.
///
/// # Errors
/// [`Error::NoPartner`] for a partner this desk has no key of;
/// [`Error::NotConvertible`] with the reason (no code today, revoked,
/// not green, too many attempts), audited; [`Error::Db`].
pub async fn convert(
    store: &Store,
    desk: &ConversionDesk,
    account_id: &str,
    partner: Region,
    now: OffsetDateTime,
) -> Result<Converted, Error> {
    let partner_key = desk
        .partner(partner)
        .ok_or(Error::NoPartner { region: partner })?;
    let code = store.latest_code(account_id, now).await?;
    let subject = code
        .as_ref()
        .map_or_else(|| account_id.to_owned(), |c| c.token_id.to_string());
    let attempts = store
        .audit_count(&subject, &["code_converted", "conversion_refused"])
        .await?;
    let refusal = match &code {
        _ if attempts >= MAX_CONVERSIONS_PER_CODE => Some(Unconvertible::TooManyAttempts),
        None => Some(Unconvertible::NoCodeToday),
        Some(c) if c.revocation.is_some() => Some(Unconvertible::Revoked),
        Some(c) if c.colour != Colour::Green => Some(Unconvertible::NotGreen),
        Some(_) => None,
    };
    let actor = Actor::Resident(account_id.to_owned());
    let mut tx = store.write().await?;
    let (Some(code), None) = (code, refusal) else {
        let why = refusal.unwrap_or(Unconvertible::NoCodeToday);
        let detail = serde_json::json!({"partner": partner.as_str(), "refused": why.as_str()});
        if why != Unconvertible::TooManyAttempts {
            store
                .audit(
                    &mut tx,
                    now,
                    &actor,
                    "conversion_refused",
                    &subject,
                    &detail,
                )
                .await?;
            tx.commit().await?;
        }
        return Err(Error::NotConvertible { why });
    };
    let details = store.details_of(&mut *tx, account_id).await?;
    let document: IdDocument = details.id_document.parse().map_err(|_| Error::Corrupt {
        what: "stored ID document",
        value: "<redacted>".into(),
    })?;
    let (document_type, document_number) = document
        .normalised()
        .split_once(':')
        .map(|(t, n)| (t.to_owned(), n.to_owned()))
        .unwrap_or_default();
    let conversion_id: [u8; 16] = store.with_rng(rand::Rng::r#gen);
    let record = ConversionRecord {
        conversion_id,
        partner,
        issuing_region: desk.key.region(),
        colour: code.colour,
        document_type,
        document_number,
        name: details.name,
        issued_at: code.issued_at,
        expires_at: code.valid_until,
        converted_at: healthcode_keys::hktime::whole_seconds(now),
    };
    let payload = store.with_rng(|rng| conversion::seal(&desk.key, &record, partner_key, rng))?;
    let conversion_id = healthcode_keys::hex::encode(&conversion_id);
    let detail = serde_json::json!({
        "partner": partner.as_str(),
        "conversion_id": conversion_id,
        "kid": desk.key.kid().to_string(),
        "partner_kid": partner_key.kid.to_string(),
    });
    store
        .audit(&mut tx, now, &actor, "code_converted", &subject, &detail)
        .await?;
    tx.commit().await?;
    Ok(Converted {
        conversion_id,
        partner,
        payload,
        expires_at: code.valid_until,
    })
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{conversion::PartnerSecretKey, testkeys};
    use time::macros::datetime;

    use super::*;

    fn qr_version(name: &str, document_type: &str, number: &str) -> i16 {
        let key = testkeys::issuer(Region::HongKong, "conversion");
        let partner = PartnerSecretKey::from_seed(Region::Guangdong, [5; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        let record = ConversionRecord {
            conversion_id: [1; 16],
            partner: Region::Guangdong,
            issuing_region: Region::HongKong,
            colour: Colour::Green,
            document_type: document_type.to_owned(),
            document_number: number.to_owned(),
            name: name.to_owned(),
            issued_at: datetime!(2022-12-10 01:00 UTC),
            expires_at: datetime!(2022-12-10 15:59:59 UTC),
            converted_at: datetime!(2022-12-10 01:05 UTC),
        };
        let payload = conversion::seal_with(&key, &record, &partner.public(), [6; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        crate::qr::version(&payload).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_payload_fits_a_qr_code_a_phone_shows() {
        // A typical payload: version 12 at level M (docs/conversion.md).
        assert_eq!(qr_version("陳大文 CHAN Tai Man", "HKID", "A1234563"), 12);
        // The longest name a registration takes (100 CJK characters) and a
        // 20-character passport number still fit.
        let longest = qr_version(&"陳".repeat(100), "PASSPORT-GBR", &"9".repeat(20));
        assert!(longest <= 20, "version {longest}");
    }
}
