//! What a phase measured: latencies of every timed call, work done, wall time, errors.

use std::time::Duration;

/// What one client of a phase measured.
#[derive(Debug, Default)]
pub struct ClientTally {
    /// Wall time of every successful timed call.
    pub latencies: Vec<Duration>,
    /// Units of work done by successful calls (items decided, pages read...).
    pub units: u64,
    /// Calls that failed.
    pub errors: usize,
    /// The first failure, for the report.
    pub first_error: Option<String>,
}

impl ClientTally {
    /// Records a failure.
    pub fn fail(&mut self, error: &anyhow::Error) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{error:#}"));
        }
    }
}

/// A whole phase: every client's tally merged, with the phase's wall time.
#[derive(Debug, Default)]
pub struct Sample {
    /// Sorted latencies of all successful calls.
    pub latencies: Vec<Duration>,
    /// Units of work done.
    pub units: u64,
    /// Failed calls.
    pub errors: usize,
    /// The first failure seen.
    pub first_error: Option<String>,
    /// From the first client starting to the last one finishing.
    pub wall: Duration,
}

impl Sample {
    /// Merges client tallies measured over `wall`.
    pub fn merge(tallies: Vec<ClientTally>, wall: Duration) -> Sample {
        let mut sample = Sample {
            wall,
            ..Sample::default()
        };
        for tally in tallies {
            sample.latencies.extend(tally.latencies);
            sample.units += tally.units;
            sample.errors += tally.errors;
            if sample.first_error.is_none() {
                sample.first_error = tally.first_error;
            }
        }
        sample.latencies.sort_unstable();
        sample
    }

    /// Successful calls.
    pub fn calls(&self) -> usize {
        self.latencies.len()
    }

    /// The `q` quantile (0 < q ≤ 1) of the latencies, by the nearest-rank method; zero when
    /// nothing was measured.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    /// Units per second of wall time.
    pub fn units_per_second(&self) -> f64 {
        per_second(self.units as f64, self.wall)
    }

    /// Successful calls per second of wall time.
    pub fn calls_per_second(&self) -> f64 {
        per_second(self.calls() as f64, self.wall)
    }
}

fn per_second(count: f64, wall: Duration) -> f64 {
    let secs = wall.as_secs_f64();
    if secs > 0.0 {
        count / secs
    } else {
        0.0
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// An integer with thousands separators: `1,029,142`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let tally = ClientTally {
            latencies: (1..=100).rev().map(Duration::from_millis).collect(),
            units: 100,
            ..ClientTally::default()
        };
        let s = Sample::merge(vec![tally], Duration::from_secs(2));
        assert_eq!(s.quantile(0.5), Duration::from_millis(50));
        assert_eq!(s.quantile(0.99), Duration::from_millis(99));
        assert_eq!(s.quantile(1.0), Duration::from_millis(100));
        assert_eq!(s.units_per_second(), 50.0);
        assert_eq!(Sample::default().quantile(0.99), Duration::ZERO);
    }

    #[test]
    fn thousands_separates() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_029_142), "1,029,142");
    }
}
