//! Reading and writing key files: secrets are created 0600 and refused when others can read them.

use std::{
    fs::{self, File, OpenOptions},
    io::{Read as _, Write as _},
    path::Path,
};

use zeroize::Zeroizing;

use crate::Error;

/// The largest key file or trust list read; anything larger is not one.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes a new secret file with mode 0600; never overwrites.
///
/// # Errors
/// [`Error::FileExists`] if the file exists; [`Error::Io`] otherwise.
pub fn write_secret(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_new(path, contents, 0o600)
}

/// Writes a new public file with mode 0644; never overwrites.
///
/// # Errors
/// [`Error::FileExists`] if the file exists; [`Error::Io`] otherwise.
pub fn write_public(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_new(path, contents, 0o644)
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => Error::FileExists {
            path: path.to_owned(),
        },
        _ => Error::Io {
            path: path.to_owned(),
            source,
        },
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

/// Reads a secret file, refusing one that group or others can read.
///
/// # Errors
/// [`Error::SecretFileTooOpen`], [`Error::FileTooLarge`] or [`Error::Io`].
pub fn read_secret(path: &Path) -> Result<Zeroizing<String>, Error> {
    let file = File::open(path).map_err(io_error(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file
            .metadata()
            .map_err(io_error(path))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::SecretFileTooOpen {
                path: path.to_owned(),
                mode,
            });
        }
    }
    read_limited(path, file).map(Zeroizing::new)
}

/// Reads a public file (public key, trust list), at most [`MAX_FILE_BYTES`].
///
/// # Errors
/// [`Error::FileTooLarge`] or [`Error::Io`].
pub fn read_public(path: &Path) -> Result<String, Error> {
    let file = File::open(path).map_err(io_error(path))?;
    read_limited(path, file)
}

/// The largest revocation snapshot read: five million revocations in the
/// compact form, a third of a million as JSON.
pub const MAX_SNAPSHOT_BYTES: u64 = 64 << 20;

/// Reads a public file of bytes (a revocation snapshot), at most `limit`.
///
/// # Errors
/// [`Error::FileTooLarge`] or [`Error::Io`].
pub fn read_public_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let file = File::open(path).map_err(io_error(path))?;
    read_bytes_limited(path, file, limit)
}

fn read_bytes_limited(path: &Path, file: File, limit: u64) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > limit {
        return Err(Error::FileTooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

fn read_limited(path: &Path, file: File) -> Result<String, Error> {
    let bytes = read_bytes_limited(path, file, MAX_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        io_error(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text: {e}"),
        ))
    })
}

/// Creates `dir` (and parents) if missing.
///
/// # Errors
/// [`Error::Io`].
pub fn ensure_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(io_error(dir))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn secret_files_are_0600_and_never_overwritten() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let path = dir.path().join("k.secret");
        write_secret(&path, b"secret")?;
        let mode = fs::metadata(&path)
            .map_err(io_error(&path))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            write_secret(&path, b"other"),
            Err(Error::FileExists { .. })
        ));
        assert_eq!(read_secret(&path)?.as_str(), "secret");
        Ok(())
    }

    #[test]
    fn readable_secret_is_refused() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let path = dir.path().join("k.secret");
        write_secret(&path, b"secret")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).map_err(io_error(&path))?;
        let err = read_secret(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("chmod 600"), "{err}");
        Ok(())
    }

    #[test]
    fn public_files_past_their_limit_or_not_text_are_refused() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let path = dir.path().join("snapshot.bin");
        fs::write(&path, [0xffu8; 10]).map_err(io_error(&path))?;
        assert_eq!(read_public_bytes(&path, 10)?.len(), 10);
        assert!(matches!(
            read_public_bytes(&path, 9),
            Err(Error::FileTooLarge { limit: 9, .. })
        ));
        let err = read_public(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not UTF-8"), "{err}");
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; MAX_FILE_BYTES as usize + 1]).map_err(io_error(&big))?;
        assert!(matches!(read_public(&big), Err(Error::FileTooLarge { .. })));
        Ok(())
    }
}
