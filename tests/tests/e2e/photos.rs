//! Degraded photos: the scanner reads at least as many as zbarimg.

use std::process::Command;

use healthcode_tests::photo::corpus;

use crate::support::{KeySet, json_lines};

#[test]
fn scanner_reads_degraded_photos_at_least_as_often_as_zbarimg() {
    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    let photos = corpus(&token, 20221210, 6);
    let paths: Vec<String> = photos
        .iter()
        .map(|photo| {
            let path = set.dir.path().join(&photo.name);
            std::fs::write(&path, &photo.jpeg).unwrap_or_else(|e| panic!("{e}"));
            path.to_string_lossy().into_owned()
        })
        .collect();
    let mut args = vec!["--json"];
    args.extend(paths.iter().map(String::as_str));
    let reports = json_lines(&set.scan(&args));
    let ours = reports.iter().filter(|r| r["valid"] == true).count();
    let zbar = paths
        .iter()
        .filter(|path| {
            let output = Command::new("zbarimg")
                .args(["-q", "--raw", path.as_str()])
                .output();
            output.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == token)
        })
        .count();
    eprintln!(
        "degraded photos read: scanner {ours}, zbarimg {zbar}, of {}",
        paths.len()
    );
    assert!(ours >= zbar, "scanner read {ours}, zbarimg {zbar}");
    assert!(
        ours * 10 >= paths.len() * 8,
        "scanner read only {ours} of {}",
        paths.len()
    );
}
