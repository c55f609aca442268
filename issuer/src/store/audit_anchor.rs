//! The audit chain's anchor: the newest entry's position and link, with a
//! MAC under the audit key, written to a file outside the database (and to
//! the log). An entry cut from the end of the chain, or a chain rebuilt,
//! no longer has the anchored link at the anchored position.
//!
//! The anchor only ever moves forward, and only from a chain that still
//! holds the previous anchor: a cut is never blessed by the next write.

use std::path::Path;

use time::OffsetDateTime;

use super::{Store, to_db};
use crate::Error;
use crate::model::audit::{AnchorProblem, AuditAnchor};

/// The anchor file's name in the data folder, unless another is given.
pub const ANCHOR_FILE: &str = "audit-anchor.json";

/// The largest anchor file read.
const MAX_ANCHOR_BYTES: u64 = 4096;

impl Store {
    /// Checks the anchor at `path` against the chain: its MAC, and that the
    /// anchored entry is still there with the anchored link. `Ok(None)` for
    /// no anchor and no entries.
    ///
    /// # Errors
    /// [`Error::AuditAnchor`] with the [`AnchorProblem`]; [`Error::Db`].
    pub async fn check_audit_anchor(&self, path: &Path) -> Result<Option<AuditAnchor>, Error> {
        let shown = path.display().to_string();
        let invalid = |why| {
            Error::AuditAnchor(AnchorProblem::Invalid {
                path: shown.clone(),
                why,
            })
        };
        let Some(text) = read_anchor_file(path)? else {
            return match self.audit_head().await? {
                None => Ok(None),
                Some(_) => Err(Error::AuditAnchor(AnchorProblem::Missing { path: shown })),
            };
        };
        let anchor: AuditAnchor =
            serde_json::from_str(&text).map_err(|_| invalid("it is not an anchor's JSON"))?;
        let expected = self.anchor_mac(anchor.seq, &anchor.hash, anchor.at);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            anchor.mac.as_bytes(),
        )) {
            return Err(invalid("its MAC does not match the audit key"));
        }
        if self.audit_link(anchor.seq).await?.as_deref() != Some(anchor.hash.as_str()) {
            return Err(Error::AuditAnchor(AnchorProblem::Cut { seq: anchor.seq }));
        }
        Ok(Some(anchor))
    }

    /// Moves the anchor at `path` up to the chain's newest entry, after
    /// checking the one there; returns the new anchor if it moved.
    ///
    /// # Errors
    /// As [`Store::check_audit_anchor`] (then nothing is written, so a cut
    /// stays visible); [`Error::Io`] if the file cannot be written.
    pub async fn advance_audit_anchor(
        &self,
        path: &Path,
        now: OffsetDateTime,
    ) -> Result<Option<AuditAnchor>, Error> {
        let current = match self.check_audit_anchor(path).await {
            Ok(current) => current,
            // A first anchor for a chain that had none: nothing to lose.
            Err(Error::AuditAnchor(AnchorProblem::Missing { .. })) => None,
            Err(e) => return Err(e),
        };
        let Some((seq, hash)) = self.audit_head().await? else {
            return Ok(None);
        };
        if current.as_ref().is_some_and(|a| a.seq >= seq) {
            return Ok(None);
        }
        let at = to_db(now);
        let anchor = AuditAnchor {
            mac: self.anchor_mac(seq, &hash, at),
            seq,
            hash,
            at,
        };
        let text = serde_json::to_string(&anchor).map_err(|_| Error::TaskFailed)?;
        write_atomically(path, text.as_bytes())?;
        Ok(Some(anchor))
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_anchor_file(path: &Path) -> Result<Option<String>, Error> {
    use std::io::Read as _;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path)(e)),
    };
    let mut text = String::new();
    file.take(MAX_ANCHOR_BYTES)
        .read_to_string(&mut text)
        .map_err(io_error(path))?;
    Ok(Some(text))
}

/// Writes `contents` to a temporary file beside `path`, syncs it, and
/// renames it over `path`: a crash leaves the old anchor or the new one.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), Error> {
    use std::io::Write as _;
    // A temporary file of this writer's own: the service's worker and an
    // `issuer` command advance the anchor at the same time, and with one
    // shared name the second rename found the file already moved. The last
    // rename wins; an anchor a step behind is moved up at the next advance.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temporary = path.with_extension(format!("json.{}.{nanos}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(io_error(&temporary))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::model::Actor;

    const AT: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    /// The service and a command advance the anchor at once: neither fails.
    #[test]
    fn writers_at_the_same_time_each_succeed() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(io_error(Path::new("tempdir")))?;
        let path = dir.path().join("audit-anchor.json");
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || {
                    (0..50).try_for_each(|i| write_atomically(&path, format!("{n}/{i}").as_bytes()))
                })
            })
            .collect();
        for writer in writers {
            writer.join().map_err(|_| Error::TaskFailed)??;
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .map_err(io_error(dir.path()))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["audit-anchor.json"], "no temporary file is left");
        Ok(())
    }

    async fn entries(store: &Store, n: usize) -> Result<(), Error> {
        let mut tx = store.write().await?;
        for i in 0..n {
            store
                .audit(
                    &mut tx,
                    AT,
                    &Actor::System,
                    "test",
                    &format!("s{i}"),
                    &json!({}),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn problem(result: Result<Option<AuditAnchor>, Error>) -> Option<AnchorProblem> {
        match result {
            Err(Error::AuditAnchor(problem)) => Some(problem),
            _ => None,
        }
    }

    #[tokio::test]
    async fn the_anchor_moves_forward_and_shows_a_cut() -> Result<(), Error> {
        let (dir, store) = Store::open_temporary().await?;
        let path = dir.path().join("anchor.json");
        assert_eq!(
            store.check_audit_anchor(&path).await?,
            None,
            "empty chain, no anchor"
        );
        entries(&store, 3).await?;
        assert!(matches!(
            problem(store.check_audit_anchor(&path).await),
            Some(AnchorProblem::Missing { .. })
        ));
        let first = store.advance_audit_anchor(&path, AT).await?;
        assert_eq!(first.as_ref().map(|a| a.seq), Some(3));
        assert_eq!(
            store.advance_audit_anchor(&path, AT).await?,
            None,
            "nothing new"
        );
        entries(&store, 2).await?;
        assert_eq!(
            store.check_audit_anchor(&path).await?,
            first,
            "growth is fine"
        );
        assert_eq!(
            store.advance_audit_anchor(&path, AT).await?.map(|a| a.seq),
            Some(5)
        );

        // The newest two entries cut: the anchor no longer holds, and is not moved.
        sqlx::query("DELETE FROM audit_log WHERE seq > 3")
            .execute(store.pool())
            .await?;
        assert_eq!(
            problem(store.check_audit_anchor(&path).await),
            Some(AnchorProblem::Cut { seq: 5 })
        );
        assert!(store.advance_audit_anchor(&path, AT).await.is_err());
        assert_eq!(
            problem(store.check_audit_anchor(&path).await),
            Some(AnchorProblem::Cut { seq: 5 })
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_forged_or_damaged_anchor_is_refused() -> Result<(), Error> {
        let (dir, store) = Store::open_temporary().await?;
        let path = dir.path().join("anchor.json");
        entries(&store, 4).await?;
        let anchor = store
            .advance_audit_anchor(&path, AT)
            .await?
            .ok_or(Error::TaskFailed)?;
        // Moved back to entry 2 by someone without the key, then garbage.
        let back = AuditAnchor {
            seq: 2,
            hash: store.audit_link(2).await?.unwrap_or_default(),
            ..anchor
        };
        for text in [
            serde_json::to_string(&back).unwrap_or_default(),
            "not json".to_owned(),
        ] {
            write_atomically(&path, text.as_bytes())?;
            assert!(matches!(
                problem(store.check_audit_anchor(&path).await),
                Some(AnchorProblem::Invalid { .. })
            ));
        }
        Ok(())
    }
}
