//! A progress bar for imports, drawn on standard error only when it is a terminal.

use std::sync::Mutex;

use attest_engine::import::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows a byte-based bar per bundle file and a spinner for the steps after reading.
pub struct TerminalProgress {
    bar: Mutex<Option<ProgressBar>>,
    /// The spinner of the steps after reading, reused from step to step.
    spinner: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    /// A progress display that draws nothing when standard error is not a terminal.
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(None),
            spinner: Mutex::new(None),
        }
    }

    fn replace(&self, bar: Option<ProgressBar>) {
        let mut slot = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            old.finish_and_clear();
        }
        *slot = bar;
    }

    /// Removes whatever is drawn.
    pub fn clear(&self) {
        self.replace(None);
        if let Some(spinner) = self
            .spinner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            spinner.finish_and_clear();
        }
    }
}

impl Progress for TerminalProgress {
    fn file_started(&self, file: &str, bytes: u64) {
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>22} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(file.to_owned());
        self.replace(Some(bar));
    }

    fn advanced(&self, position: u64) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.set_position(position);
        }
    }

    fn file_finished(&self, _file: &str) {
        self.clear();
    }

    fn step(&self, what: &str) {
        self.replace(None);
        let mut spinner = self.spinner.lock().unwrap_or_else(|e| e.into_inner());
        let spinner = spinner.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        spinner.set_message(what.to_owned());
    }
}
