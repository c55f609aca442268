//! `photo-corpus`: write the seeded corpus of degraded QR photos to a folder,
//! and optionally compare our decoder with `zbarimg` on it.
//!
//! Exit codes: 0 success; 1 failure; 2 usage error.

use std::{
    path::PathBuf,
    process::{Command, ExitCode},
    time::Instant,
};

use anyhow::Context as _;
use clap::Parser;
use healthcode_tests::photo::{ALL, corpus};
use healthcode_verifier::{
    image::{ImageLimits, load_grey},
    qr::{LIVE_PASSES, PASSES, find_codes_with},
};

#[derive(Parser)]
#[command(about = "Write (and compare decoders on) a corpus of degraded QR photos")]
struct Args {
    /// Folder to write the photos into.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Photos per degradation.
    #[arg(long, default_value_t = 12)]
    per_kind: usize,
    /// The text in the QR codes (default: a token-sized text).
    #[arg(long)]
    text: Option<String>,
    /// Decode every photo with our decoder and with zbarimg; print a table.
    #[arg(long)]
    compare: bool,
}

/// A 147-character text shaped like a token (the corpus needs no real signature).
pub const SAMPLE_TEXT: &str = "HC1:AQEDBGlwMDEyMzQ1Njc4OWFiAa2pX9Xx7x5Z8l0t3t9YpWNjY5OUZWOUZ2OUZmnT6GVfLkaNCGo2wbLTb6nGm8ORK9uV0RV2UhK6HgJV4YDw4FCXXn4MtkD0JYU-HDXuMmsN0Ti9gA";

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photo-corpus: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let text = args.text.as_deref().unwrap_or(SAMPLE_TEXT);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let photos = corpus(text, args.seed, args.per_kind);
    for photo in &photos {
        std::fs::write(args.out.join(&photo.name), &photo.jpeg)?;
    }
    println!("wrote {} photos to {}", photos.len(), args.out.display());
    if !args.compare {
        return Ok(());
    }
    println!(
        "{:<12} {:>5} {:>9} {:>6} {:>9} {:>10} {:>9} {:>9} {:>10}",
        "kind", "n", "ours", "live", "zbarimg", "ours ms", "live ms", "live p99", "zbar ms"
    );
    let (mut ours_total, mut zbar_total, mut ours_secs, mut zbar_secs) = (0, 0, 0.0, 0.0);
    let (mut live_total, mut live_all_ms) = (0, Vec::new());
    for kind in ALL {
        let batch: Vec<_> = photos.iter().filter(|p| p.degradation == kind).collect();
        let (mut ours, mut zbar, mut ours_ms, mut zbar_ms) = (0, 0, Vec::new(), Vec::new());
        let (mut live, mut live_ms) = (0, Vec::new());
        let mut passes = Vec::new();
        for photo in &batch {
            let start = Instant::now();
            let image = load_grey(&photo.jpeg, &ImageLimits::default())?;
            let found = find_codes_with(&image, &PASSES, None);
            ours_ms.push(start.elapsed().as_secs_f64() * 1e3);
            if let Some((pass, _)) = found.filter(|(_, codes)| codes.iter().any(|c| c == text)) {
                ours += 1;
                passes.push(format!("{pass:?}"));
            }
            // A live camera's frame: decoded from JPEG, the cheap passes only.
            let start = Instant::now();
            let image = load_grey(&photo.jpeg, &ImageLimits::default())?;
            let found = find_codes_with(&image, &LIVE_PASSES, None);
            live_ms.push(start.elapsed().as_secs_f64() * 1e3);
            live += usize::from(found.is_some_and(|(_, codes)| codes.iter().any(|c| c == text)));
            let start = Instant::now();
            let output = Command::new("zbarimg")
                .args(["-q", "--raw"])
                .arg(args.out.join(&photo.name))
                .output()?;
            zbar_ms.push(start.elapsed().as_secs_f64() * 1e3);
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|l| l == text)
            {
                zbar += 1;
            }
        }
        ours_total += ours;
        zbar_total += zbar;
        live_total += live;
        live_all_ms.extend_from_slice(&live_ms);
        ours_secs += ours_ms.iter().sum::<f64>() / 1e3;
        zbar_secs += zbar_ms.iter().sum::<f64>() / 1e3;
        println!(
            "{:<12} {:>5} {:>9} {:>6} {:>9} {:>10.1} {:>9.1} {:>9.1} {:>10.1}   {}",
            kind.name(),
            batch.len(),
            ours,
            live,
            zbar,
            median(&mut ours_ms),
            median(&mut live_ms),
            percentile(&mut live_ms, 0.99),
            median(&mut zbar_ms),
            passes.join(",")
        );
    }
    println!(
        "{:<12} {:>5} {:>9} {:>6} {:>9}   total time: ours {ours_secs:.2} s (in process), zbarimg {zbar_secs:.2} s (a process per photo)",
        "total",
        photos.len(),
        ours_total,
        live_total,
        zbar_total
    );
    println!(
        "live camera frames (JPEG decode + cheap passes): median {:.1} ms, p99 {:.1} ms, over all {} frames",
        median(&mut live_all_ms),
        percentile(&mut live_all_ms, 0.99),
        photos.len()
    );
    Ok(())
}

fn percentile(values: &mut [f64], at: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * at).round() as usize;
    values.get(index).copied().unwrap_or(0.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
