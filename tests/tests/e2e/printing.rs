//! Printable codes from a real `issuer serve`: the PDF rendered to an image
//! by poppler's `pdftoppm`, its QR code read by `zbarimg` and by the
//! project's scanner, its text extracted by `pdftotext` in both languages,
//! its tags and font subset checked by `pdfinfo` and `pdffonts`.

use std::{path::Path, process::Command, time::Instant};

use serde_json::Value;

use crate::{
    appeals::close_contact,
    codes::{apply, issuer_args, resident, start_issuer},
    issuer_server::IssuerServer,
    support::{KeySet, json_lines, stderr},
};

/// Runs a poppler or zbar tool; its stdout.
pub fn tool(name: &str, args: &[&str]) -> String {
    let output = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (install poppler-utils and zbar-tools)"));
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The PDF of today's code as the holder of `session`: (status, content type, bytes).
fn printed(server: &IssuerServer, session: &str) -> (u16, String, Vec<u8>) {
    server.get_bytes("/v1/codes/today/pdf", session)
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The PDF's first page as a PNG at `dpi`.
pub fn page_image(pdf: &Path, dpi: u32) -> String {
    let prefix = pdf.with_extension("");
    let prefix = prefix.to_string_lossy();
    tool(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            &pdf.to_string_lossy(),
            &prefix,
        ],
    );
    format!("{prefix}.png")
}

#[test]
fn a_printed_code_scans_and_reads_in_both_languages() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let authority = server.staff("hana", "health_authority");
    let (person, session) = resident(&server, &[]);
    let (status, _, _) = printed(&server, &session);
    assert_eq!(status, 404, "no code yet, nothing to print");
    assert_eq!(server.get("/v1/codes/today/pdf", None).0, 401);
    close_contact(&server, &authority, &person);
    let code = apply(&server, &session);
    let token = code["token"].as_str().unwrap_or_default();

    let started = Instant::now();
    let (status, kind, pdf) = printed(&server, &session);
    let took = started.elapsed();
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    eprintln!(
        "printed code (first, fonts loaded): {} bytes in {took:?}",
        pdf.len()
    );
    let started = Instant::now();
    let again = printed(&server, &session).2;
    eprintln!(
        "printed code (again): {} bytes in {:?}",
        again.len(),
        started.elapsed()
    );
    assert!(
        pdf.len() < 150_000,
        "the font is subset: {} bytes",
        pdf.len()
    );
    let file = server.dir.path().join("code.pdf");
    std::fs::write(&file, &pdf).unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_string_lossy();

    // Tagged, titled, with the Hong Kong face subset into it.
    let info = tool("pdfinfo", &[&path]);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.contains("Your Health Code"), "{info}");
    let fonts = tool("pdffonts", &[&path]);
    assert!(fonts.contains("NotoSansCJKhk"), "{fonts}");
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes yes ")),
        "embedded and subset: {fonts}"
    );

    // The text in both languages, as the pages say it.
    let text = words(&tool("pdftotext", &["-layout", &path, "-"]));
    for expected in [
        "Your Health Code 您的健康碼",
        "Red 紅碼",
        "有效至",
        "香港時間晚上 11 時 59 分",
        "Valid until 23:59 Hong Kong time",
        "Why your code is Red",
        "The health authority records you as a close contact.",
        "衞生當局記錄您為密切接觸者。",
        "您獲發紅碼的原因",
        code["token_id"].as_str().unwrap_or_default(),
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    let masked = format!("HKID {}*****", &person.id_number[..2]);
    assert!(text.contains(&masked), "{masked} in {text}");
    assert!(!text.contains(&person.id_number), "the document is masked");

    // The QR code, read from the rendered page by zbarimg and by our scanner.
    let image = page_image(&file, 150);
    if let Ok(folder) = std::env::var("HEALTHCODE_SCREENS") {
        let kept = Path::new(&folder).join("code-printed.png");
        std::fs::copy(&image, kept).unwrap_or_else(|e| panic!("{e}"));
    }
    let read = tool("zbarimg", &["--quiet", "--raw", &image]);
    assert_eq!(read.trim(), token, "zbarimg reads the printed code");
    let scanned = json_lines(&keys.scan(&["--json", &image]));
    assert_eq!(scanned[0]["valid"], Value::Bool(true), "{}", scanned[0]);
    assert_eq!(scanned[0]["colour"], code["colour"], "{}", scanned[0]);
}
