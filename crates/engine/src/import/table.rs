//! Reading one bundle file: header checks, row shape, UTF-8 and cell access by column name.
//!
//! Policy: every problem becomes an [`ImportIssue`] naming the file and line; reading never
//! stops at the first problem, so one run reports everything wrong with a bundle.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::ImportIssue;

/// A column a bundle file may carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub required: bool,
}

pub(crate) const fn req(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

pub(crate) const fn opt(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

/// An open bundle file whose header has been checked.
pub(crate) struct Table {
    pub file: &'static str,
    reader: csv::Reader<BufReader<File>>,
    /// Index of each known column present in the header.
    index: HashMap<&'static str, usize>,
    /// Columns not in the file's schema, by name and index (identity attributes).
    pub extra: Vec<(String, usize)>,
    width: usize,
    record: csv::ByteRecord,
    /// The current row, checked to be UTF-8 (one buffer for all its cells).
    row: csv::StringRecord,
    pub line: u64,
    /// Bytes of the file read so far (for progress).
    pub position: u64,
}

/// Outcome of opening a table.
pub(crate) enum Opened {
    /// The header is usable.
    Table(Box<Table>),
    /// The header has problems (already reported); the file cannot be read further.
    Refused,
}

impl Table {
    /// Opens `dir/file` and checks its header against `columns`. Unknown columns are
    /// refused unless `extra_allowed` (they then become attributes).
    pub fn open(
        dir: &Path,
        file: &'static str,
        columns: &[Column],
        extra_allowed: bool,
        issues: &mut Vec<ImportIssue>,
    ) -> std::io::Result<Opened> {
        let f = File::open(dir.join(file))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 16, f));
        let mut header = csv::ByteRecord::new();
        let read = match reader.read_byte_record(&mut header) {
            Ok(read) => read,
            Err(e) => {
                issues.push(ImportIssue::at(file, 1, csv_error_text(&e)));
                return Ok(Opened::Refused);
            }
        };
        if !read {
            issues.push(ImportIssue::at(
                file,
                1,
                "file is empty (a header row is required)",
            ));
            return Ok(Opened::Refused);
        }
        let mut ok = true;
        let mut index = HashMap::new();
        let mut extra = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(raw) else {
                issues.push(ImportIssue::at(
                    file,
                    1,
                    format!("invalid UTF-8 in header column {}", i + 1),
                ));
                ok = false;
                continue;
            };
            let name = name.trim_start_matches('\u{feff}').trim();
            if name.is_empty() {
                issues.push(ImportIssue::at(
                    file,
                    1,
                    format!("header column {} has no name", i + 1),
                ));
                ok = false;
                continue;
            }
            if seen.insert(name.to_owned(), i).is_some() {
                issues.push(ImportIssue::at(
                    file,
                    1,
                    format!("column \"{name}\" appears twice in the header"),
                ));
                ok = false;
                continue;
            }
            match columns.iter().find(|c| c.name == name) {
                Some(c) => {
                    index.insert(c.name, i);
                }
                None if extra_allowed => extra.push((name.to_owned(), i)),
                None => {
                    let known: Vec<&str> = columns.iter().map(|c| c.name).collect();
                    issues.push(ImportIssue::at(
                        file,
                        1,
                        format!(
                            "unknown column \"{name}\" (expected columns: {})",
                            known.join(", ")
                        ),
                    ));
                    ok = false;
                }
            }
        }
        for c in columns.iter().filter(|c| c.required) {
            if !index.contains_key(c.name) {
                issues.push(ImportIssue::at(
                    file,
                    1,
                    format!("missing required column \"{}\"", c.name),
                ));
                ok = false;
            }
        }
        if !ok {
            return Ok(Opened::Refused);
        }
        Ok(Opened::Table(Box::new(Table {
            file,
            reader,
            index,
            extra,
            width: header.len(),
            record: csv::ByteRecord::new(),
            row: csv::StringRecord::new(),
            line: 1,
            position: 0,
        })))
    }

    /// Reads the next well-formed row. Rows with the wrong number of fields or invalid UTF-8
    /// are reported and skipped. Returns `false` at the end of the file.
    pub fn next_row(&mut self, issues: &mut Vec<ImportIssue>) -> bool {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return false,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(self.line + 1);
                    issues.push(ImportIssue::at(self.file, line, csv_error_text(&e)));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        return false;
                    }
                    continue;
                }
            }
            if let Some(pos) = self.record.position() {
                self.line = pos.line();
                self.position = pos.byte();
            }
            // A blank line between rows is not a row.
            if self.record.len() == 1 && self.record[0].is_empty() {
                continue;
            }
            if self.record.len() != self.width {
                issues.push(ImportIssue::at(
                    self.file,
                    self.line,
                    format!(
                        "wrong number of columns: expected {}, found {}",
                        self.width,
                        self.record.len()
                    ),
                ));
                continue;
            }
            // Validate the whole row at once, reusing the buffers of both records.
            let bytes = std::mem::replace(
                &mut self.record,
                std::mem::take(&mut self.row).into_byte_record(),
            );
            match csv::StringRecord::from_byte_record(bytes) {
                Ok(row) => {
                    self.row = row;
                    return true;
                }
                Err(e) => {
                    let column = self.column_name(e.utf8_error().field());
                    issues.push(ImportIssue::at(
                        self.file,
                        self.line,
                        format!("invalid UTF-8 in column {column}"),
                    ));
                    self.record = e.into_byte_record();
                }
            }
        }
    }

    fn column_name(&self, i: usize) -> String {
        self.index
            .iter()
            .find(|(_, idx)| **idx == i)
            .map(|(n, _)| format!("\"{n}\""))
            .or_else(|| {
                self.extra
                    .iter()
                    .find(|(_, idx)| *idx == i)
                    .map(|(n, _)| format!("\"{n}\""))
            })
            .unwrap_or_else(|| (i + 1).to_string())
    }

    /// The current row's value for a known column; `None` when absent or empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.index
            .get(column)
            .map(|&i| self.at(i))
            .filter(|s| !s.is_empty())
    }

    /// The current row's value at a raw index (for attribute columns), without surrounding
    /// blanks.
    pub fn at(&self, i: usize) -> &str {
        self.row.get(i).unwrap_or("").trim()
    }

    /// An issue at the current row.
    pub fn issue(&self, message: impl Into<String>) -> ImportIssue {
        ImportIssue::at(self.file, self.line, message)
    }
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read file: {io}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("wrong number of columns: expected {expected_len}, found {len}")
        }
        _ => format!("malformed CSV: {e}"),
    }
}
