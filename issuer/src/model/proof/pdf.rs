//! Active content in a PDF: what would run or open something when a reviewer
//! opens the proof. A real bill or letter has none of it, so a PDF that
//! names any is refused rather than cleaned.
//!
//! Names are read as PDF writes them, `#xx` escapes decoded (`/J#61vaScript`
//! is `/JavaScript`), in the file and inside its compressed object streams,
//! where a PDF 1.5 file can hide every dictionary.

use std::io::Read as _;

/// Names whose presence means the PDF can act: run script, launch a
/// program, carry or open another file, send a form, or hold an XFA form.
const ACTIVE_NAMES: &[(&[u8], &str)] = &[
    (b"JavaScript", "JavaScript"),
    (b"JS", "JavaScript"),
    (b"Launch", "an action that launches a program"),
    (b"EmbeddedFile", "an embedded file"),
    (b"EmbeddedFiles", "an embedded file"),
    (b"RichMedia", "embedded media"),
    (b"SubmitForm", "a form that sends data"),
    (b"ImportData", "an action that imports data"),
    (b"GoToE", "an action that opens an embedded file"),
    (b"XFA", "an XFA form"),
];

/// How much the compressed object streams of one PDF may expand to in all:
/// a bill's are a few hundred kilobytes; more is a decompression bomb.
const MAX_INFLATED: u64 = 32 * 1024 * 1024;

/// How far before `stream` its dictionary is looked for.
const MAX_DICTIONARY: usize = 4096;

/// Why a PDF is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfProblem {
    /// It names active content.
    Active(&'static str),
    /// It is encrypted, so its content cannot be checked.
    Encrypted,
    /// Its object streams cannot be read or expand too far.
    Unreadable,
}

/// Checks a whole PDF file.
pub fn check(bytes: &[u8]) -> Result<(), PdfProblem> {
    check_names(bytes)?;
    let mut budget = MAX_INFLATED;
    for (dictionary, data) in streams(bytes) {
        let names = names(dictionary);
        if !names.iter().any(|n| n == b"ObjStm") {
            continue;
        }
        let inflated = match names.iter().find(|n| n.ends_with(b"Decode")) {
            None => data.to_vec(),
            Some(filter) if filter == b"FlateDecode" => inflate(data, &mut budget)?,
            Some(_) => return Err(PdfProblem::Unreadable),
        };
        check_names(&inflated)?;
    }
    Ok(())
}

fn check_names(bytes: &[u8]) -> Result<(), PdfProblem> {
    for name in names(bytes) {
        if name == b"Encrypt" {
            return Err(PdfProblem::Encrypted);
        }
        if let Some((_, what)) = ACTIVE_NAMES.iter().find(|(n, _)| *n == name.as_slice()) {
            return Err(PdfProblem::Active(what));
        }
    }
    Ok(())
}

fn inflate(data: &[u8], budget: &mut u64) -> Result<Vec<u8>, PdfProblem> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(*budget + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|_| PdfProblem::Unreadable)?;
    let used = out.len() as u64;
    if used > *budget {
        return Err(PdfProblem::Unreadable);
    }
    *budget -= used;
    Ok(out)
}

/// PDF delimiters and white space end a name.
fn ends_name(b: u8) -> bool {
    b"()<>[]{}/%".contains(&b) || b.is_ascii_whitespace() || b == 0
}

/// Every name in `bytes`, without its `/`, `#xx` escapes decoded.
fn names(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        let mut name = Vec::new();
        while i < bytes.len() && !ends_name(bytes[i]) {
            match (bytes[i], bytes.get(i + 1..i + 3)) {
                (b'#', Some(hex)) if hex.iter().all(u8::is_ascii_hexdigit) => {
                    let text = std::str::from_utf8(hex).unwrap_or("00");
                    name.push(u8::from_str_radix(text, 16).unwrap_or(0));
                    i += 3;
                }
                (b, _) => {
                    name.push(b);
                    i += 1;
                }
            }
        }
        found.push(name);
    }
    found
}

/// Each stream's dictionary (from the `obj` before it) and raw data.
fn streams(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], b"stream").map(|p| p + from) {
        let keyword_end = at + b"stream".len();
        // `endstream` also contains `stream`; only a keyword followed by an end of line opens one.
        let data_start = match bytes.get(keyword_end..keyword_end + 2) {
            Some([b'\r', b'\n']) => keyword_end + 2,
            Some([b'\n', _]) | Some([b'\r', _]) => keyword_end + 1,
            _ => {
                from = keyword_end;
                continue;
            }
        };
        if at >= 3 && &bytes[at - 3..at] == b"end" {
            from = keyword_end;
            continue;
        }
        // A stream's dictionary is short; looking further back than this
        // would make a file of many streams cost quadratic time.
        let window = at.saturating_sub(MAX_DICTIONARY);
        let dictionary_start = rfind(&bytes[window..at], b"obj").map_or(window, |p| window + p + 3);
        let data_end =
            find(&bytes[data_start..], b"endstream").map_or(bytes.len(), |p| p + data_start);
        found.push((&bytes[dictionary_start..at], &bytes[data_start..data_end]));
        from = data_end;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const PLAIN: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /FitH null] >>\nendobj\n\
        4 0 obj\n<< /Length 20 >>\nstream\nBT /F1 12 Tf (Bill) Tj ET\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

    fn object_stream(content: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(content).unwrap_or_else(|e| panic!("{e}"));
        let data = encoder.finish().unwrap_or_else(|e| panic!("{e}"));
        let mut pdf = b"%PDF-1.7\n5 0 obj\n<< /Type /ObjSt#6d /N 1 /First 4 /Filter /FlateDecode >>\nstream\r\n".to_vec();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\r\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    #[test]
    fn a_plain_document_passes() {
        assert_eq!(check(PLAIN), Ok(()));
        assert_eq!(check(&object_stream(b"1 0 << /Type /Page >>")), Ok(()));
    }

    #[test]
    fn script_launch_and_embedded_files_are_found_however_written() {
        for (pdf, what) in [
            (
                &b"<< /S /JavaScript /JS (app.alert(1)) >>"[..],
                "JavaScript",
            ),
            (b"<< /OpenAction << /S /J#61vaScript >> >>", "JavaScript"),
            (
                b"<</AA<</O<</S/Launch/F(cmd.exe)>>>>>>",
                "an action that launches a program",
            ),
            (
                b"<< /Names << /EmbeddedFiles 9 0 R >> >>",
                "an embedded file",
            ),
            (b"<< /AcroForm << /XFA 7 0 R >> >>", "an XFA form"),
        ] {
            assert_eq!(
                check(pdf),
                Err(PdfProblem::Active(what)),
                "{}",
                String::from_utf8_lossy(pdf)
            );
        }
    }

    #[test]
    fn active_content_inside_a_compressed_object_stream_is_found() {
        let pdf = object_stream(b"1 0 << /S /JavaScript /JS (app.alert(1)) >>");
        assert_eq!(check(&pdf), Err(PdfProblem::Active("JavaScript")));
    }

    #[test]
    fn encrypted_bombs_and_unknown_filters_are_refused() {
        assert_eq!(
            check(b"trailer << /Encrypt 8 0 R >>"),
            Err(PdfProblem::Encrypted)
        );
        let bomb = object_stream(&vec![b' '; MAX_INFLATED as usize + 1]);
        assert_eq!(check(&bomb), Err(PdfProblem::Unreadable));
        let lzw = b"1 0 obj << /Type /ObjStm /Filter /LZWDecode >>\nstream\nxx\nendstream";
        assert_eq!(check(lzw), Err(PdfProblem::Unreadable));
        let broken =
            b"1 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\nnot zlib\nendstream";
        assert_eq!(check(broken), Err(PdfProblem::Unreadable));
    }

    #[test]
    fn names_decode_escapes_and_stop_at_delimiters() {
        assert_eq!(
            names(b"/A#42C/D(x)/E#4"),
            vec![b"ABC".to_vec(), b"D".to_vec(), b"E#4".to_vec()]
        );
        assert_eq!(names(b""), Vec::<Vec<u8>>::new());
        assert_eq!(names(b"/"), vec![Vec::<u8>::new()]);
    }
}
