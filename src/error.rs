//! Diagnostics: every problem a build finds, with the file and position it concerns.
//!
//! A build never stops at the first mistake: each stage collects what it finds so the
//! author sees every error of a run at once, in the `file:line:col: error: message`
//! form that editors and CI understand.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.as_ref().to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn warning(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(file, message) }
    }

    pub fn at(mut self, line: usize, column: Option<usize>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {kind}: {}", self.message)
    }
}

/// Every diagnostic of a failed stage, sorted by file and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn single(d: Diagnostic) -> Self {
        Self(vec![d])
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted by file, position, severity and message, numbers in natural order (day-2
    /// before day-10, centre 2 before centre 10), duplicates dropped.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(natural_order);
        self.0.dedup();
        self
    }

    /// `Ok(value)` when nothing here is an error, so warnings never stop a build.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() { Err(self.sorted()) } else { Ok(value) }
    }
}

/// The order findings are listed in: file, line, column, severity, message, with the
/// numbers in paths and messages compared as numbers.
fn natural_order(a: &Diagnostic, b: &Diagnostic) -> std::cmp::Ordering {
    alphanumeric_sort::compare_path(&a.file, &b.file)
        .then((a.line, a.column, a.severity).cmp(&(b.line, b.column, b.severity)))
        .then_with(|| alphanumeric_sort::compare_str(&a.message, &b.message))
        .then_with(|| a.message.cmp(&b.message))
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let errors = self.0.iter().filter(|d| d.is_error()).count();
        let warnings = self.0.len() - errors;
        write!(f, "{errors} error(s), {warnings} warning(s)")
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self::single(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_in_natural_order() {
        let d = |file: &str, message: &str| Diagnostic::error(file, message);
        let sorted = Diagnostics(vec![
            d("content/day-10/01-a.fr.md", "x"),
            d("content/day-2/10-b.fr.md", "x"),
            d("content/day-2/2-c.fr.md", "x"),
            d("content/centres.yaml", "centre 10 name has no `ar` text"),
            d("content/centres.yaml", "centre 2 name has no `ar` text"),
            d("content/centres.yaml", "centre 1 name has no `ar` text"),
        ])
        .sorted();
        let order: Vec<String> = sorted.0.iter().map(|d| format!("{} {}", d.file.display(), d.message)).collect();
        assert_eq!(
            order,
            [
                "content/centres.yaml centre 1 name has no `ar` text",
                "content/centres.yaml centre 2 name has no `ar` text",
                "content/centres.yaml centre 10 name has no `ar` text",
                "content/day-2/2-c.fr.md x",
                "content/day-2/10-b.fr.md x",
                "content/day-10/01-a.fr.md x",
            ]
        );
    }
}
