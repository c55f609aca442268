//! What an INPUT is: an image file, a token text, or `-` for token texts on stdin.

use std::{
    io::{self, BufRead, Read as _},
    path::{Path, PathBuf},
};

use healthcode_keys::token::looks_like_token;
use healthcode_verifier::image::ImageLimits;

/// The longest stdin line taken as a token text; a token is 147 characters.
pub const MAX_LINE: usize = 4096;

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `-`: token texts on stdin, one per line.
    Stdin,
    /// A token text given on the command line.
    Text(String),
    /// A file: a photo (PNG or JPEG) or a text file holding a token.
    File(PathBuf),
}

impl Input {
    /// Classifies `arg`: `-`, then an existing file, then anything that looks
    /// like a token (`HC<n>:`) is a text; the rest are files (which then fail
    /// to open with a clear error).
    pub fn classify(arg: &str) -> Input {
        if arg == "-" {
            return Input::Stdin;
        }
        let path = Path::new(arg);
        if looks_like_token(arg) && !path.exists() {
            Input::Text(arg.to_owned())
        } else {
            Input::File(path.to_owned())
        }
    }
}

/// What a file holds.
#[derive(Debug)]
pub enum FileContent {
    /// PNG or JPEG bytes.
    Image(Vec<u8>),
    /// A token text (surrounding whitespace removed).
    Text(String),
}

/// Reads a file of at most the image size limit and says what it holds.
///
/// # Errors
/// I/O errors, and `InvalidData` for a file over the limit.
pub fn read_file(path: &Path) -> io::Result<FileContent> {
    let limit = ImageLimits::default().max_bytes;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    let is_image = bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xff, 0xd8, 0xff]);
    match std::str::from_utf8(&bytes) {
        Ok(text) if !is_image => Ok(FileContent::Text(text.trim().to_owned())),
        // Anything else goes to the image loader, which names what is wrong.
        _ => Ok(FileContent::Image(bytes)),
    }
}

/// One stdin line: its text, or why it was not taken.
pub type Line = Result<String, &'static str>;

/// Reads lines of at most [`MAX_LINE`] bytes; longer or non-UTF-8 lines are
/// reported and skipped, never buffered whole. Blank lines are skipped.
///
/// # Errors
/// I/O errors from `reader`.
pub fn read_lines<R: BufRead>(mut reader: R, mut each: impl FnMut(usize, Line)) -> io::Result<()> {
    let mut number = 0;
    loop {
        let mut buffer = Vec::new();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if buffer.len() > MAX_LINE && !buffer.ends_with(b"\n") {
            skip_rest_of_line(&mut reader)?;
            each(number, Err("line longer than 4096 bytes"));
            continue;
        }
        match String::from_utf8(buffer) {
            Ok(text) if text.trim().is_empty() => {}
            Ok(text) => each(number, Ok(text.trim().to_owned())),
            Err(_) => each(number, Err("line is not UTF-8 text")),
        }
    }
}

fn skip_rest_of_line<R: BufRead>(reader: &mut R) -> io::Result<()> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(());
            }
            None => {
                let len = available.len();
                reader.consume(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_inputs() {
        assert_eq!(Input::classify("-"), Input::Stdin);
        assert_eq!(Input::classify("HC1:AAAA"), Input::Text("HC1:AAAA".into()));
        assert_eq!(
            Input::classify("photo.jpg"),
            Input::File("photo.jpg".into())
        );
    }

    #[test]
    fn long_and_binary_lines_are_reported_and_skipped() -> io::Result<()> {
        let mut input = b"HC1:one\n\n".to_vec();
        input.extend(std::iter::repeat_n(b'A', 10_000));
        input.extend_from_slice(b"\n\xff\xfe\nHC1:two\r\n");
        let mut seen = Vec::new();
        read_lines(&input[..], |n, line| seen.push((n, line)))?;
        assert_eq!(
            seen,
            vec![
                (1, Ok("HC1:one".to_owned())),
                (3, Err("line longer than 4096 bytes")),
                (4, Err("line is not UTF-8 text")),
                (5, Ok("HC1:two".to_owned())),
            ]
        );
        Ok(())
    }
}
