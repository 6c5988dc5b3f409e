//! Progress of long command-line work (import, export, generate) on stderr,
//! drawn only when stderr is a terminal: piped or redirected runs (scripts,
//! tests, cron) stay silent and their logs clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

fn styled(pb: ProgressBar, template: &str) -> ProgressBar {
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// A bar of `len` units (items, or bytes when `bytes`), with a rate and an ETA.
pub fn bar(len: u64, what: &str, bytes: bool) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let template = if bytes {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
    } else {
        "{msg} [{bar:30}] {human_pos}/{human_len} ({per_sec}, {eta} left)"
    };
    let pb = styled(ProgressBar::new(len), template);
    pb.set_message(what.to_string());
    pb
}

/// A spinner with a count (items, or bytes when `bytes`) where the total is unknown.
pub fn spinner(what: &str, bytes: bool) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let template = if bytes {
        "{spinner} {msg}: {bytes} ({bytes_per_sec}, {elapsed})"
    } else {
        "{spinner} {msg}: {human_pos} ({per_sec}, {elapsed})"
    };
    let pb = styled(ProgressBar::new_spinner(), template);
    pb.set_message(what.to_string());
    pb
}
