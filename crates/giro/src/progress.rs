//! Progress bars of long commands (`giro demo`, `giro bench`), on standard error and only when
//! it is a terminal: piped or redirected runs draw nothing, and what the commands print on
//! standard output (the figures scripts and tests read) is the same with or without them.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` steps drawn with `template` (indicatif's: `{bar}`, `{pos}`, `{len}`, `{msg}`,
/// `{per_sec}`, `{elapsed}`, …), redrawn every 200 ms even while no step is made.
pub fn bar(len: usize, template: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
        .with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
