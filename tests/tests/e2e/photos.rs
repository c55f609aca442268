//! Degraded photos: the scanner reads at least as many as zbarimg, on
//! every kind of damage (inverted and mirrored screens, motion, low light
//! and moire among them).

use std::process::Command;

use healthcode_tests::photo::{ALL, corpus};

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
    assert_eq!(reports.len(), photos.len());
    let read_by_us: Vec<bool> = reports.iter().map(|r| r["valid"] == true).collect();
    let read_by_zbar: Vec<bool> = paths
        .iter()
        .map(|path| {
            let output = Command::new("zbarimg")
                .args(["-q", "--raw", path.as_str()])
                .output();
            output.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == token)
        })
        .collect();
    for kind in ALL {
        let count = |read: &[bool]| {
            photos
                .iter()
                .zip(read)
                .filter(|(photo, read)| photo.degradation == kind && **read)
                .count()
        };
        let (ours, zbar) = (count(&read_by_us), count(&read_by_zbar));
        eprintln!("{:<12} scanner {ours}, zbarimg {zbar}", kind.name());
        assert!(
            ours >= zbar,
            "{}: scanner read {ours}, zbarimg {zbar}",
            kind.name()
        );
    }
    let ours = read_by_us.iter().filter(|r| **r).count();
    let zbar = read_by_zbar.iter().filter(|r| **r).count();
    eprintln!(
        "degraded photos read: scanner {ours}, zbarimg {zbar}, of {}",
        paths.len()
    );
    assert!(
        ours * 10 >= paths.len() * 8,
        "scanner read only {ours} of {}",
        paths.len()
    );
}
