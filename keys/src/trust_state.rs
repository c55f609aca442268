//! The highest trust-list sequence number seen, per root key, kept in a
//! file across restarts: refuses rollbacks, for the scanner and the
//! checkpoint service alike.
//!
//! An attacker who can swap the trust file could put back an older list in
//! which a leaked key is still active; remembering the highest sequence
//! number held defeats that, even across a restart.

use std::{
    collections::BTreeMap,
    ffi::OsString,
    path::{Path, PathBuf},
};

use crate::{Error, KeyId, TrustList, files::read_public};

/// Where a state file named `name` lives by default:
/// `$XDG_STATE_HOME/healthcode/NAME`, else `$HOME/.local/state/healthcode/NAME`.
/// The binaries read the two variables and pass them in.
pub fn default_path(
    name: &str,
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let base = xdg_state_home
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|home| PathBuf::from(home).join(".local/state")))?;
    Some(base.join("healthcode").join(name))
}

/// Highest sequence number per root key id.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TrustState {
    highest_seq: BTreeMap<String, u64>,
}

impl TrustState {
    /// Refuses `trust` if the state at `path` holds a higher sequence for
    /// `root`; otherwise records its sequence. A missing file is an empty state.
    ///
    /// # Errors
    /// [`Error::TrustListRollback`]; [`Error::Json`] for a corrupt state file;
    /// [`Error::Io`] when it cannot be read or written.
    pub fn guard(path: &Path, root: KeyId, trust: &TrustList) -> Result<(), Error> {
        let mut state = match read_public(path) {
            Ok(text) => crate::json::parse(&text, "trust-list state file")?,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                TrustState::default()
            }
            Err(e) => return Err(e),
        };
        let held = state.highest_seq.get(&root.to_string()).copied();
        trust.check_not_older_than(held)?;
        if held.is_some_and(|held| held >= trust.seq()) {
            return Ok(());
        }
        state.highest_seq.insert(root.to_string(), trust.seq());
        state.write(path)
    }

    fn write(&self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // Write then rename, so a crash never leaves half a state file.
        let temporary = path.with_extension("tmp");
        let text = crate::json::to_pretty(self);
        std::fs::write(&temporary, text).map_err(io)?;
        std::fs::rename(&temporary, path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }
}
