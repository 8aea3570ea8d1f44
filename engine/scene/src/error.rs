use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a scene file.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneError {
    pub file: PathBuf,
    /// 1-based line and column; `None` for problems with the file as a whole.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl SceneError {
    pub fn file(file: &Path, message: String) -> Self {
        Self {
            file: file.to_path_buf(),
            position: None,
            message,
        }
    }

    /// An error at byte `offset` of `text`.
    pub fn at(file: &Path, text: &str, offset: usize, message: String) -> Self {
        Self {
            file: file.to_path_buf(),
            position: Some(line_and_column(text, offset)),
            message,
        }
    }

    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }
}

impl fmt::Display for SceneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// All the problems found in one scene file (never empty).
#[derive(Clone, Debug, PartialEq)]
pub struct SceneErrors(pub Vec<SceneError>);

impl SceneErrors {
    pub fn single(error: SceneError) -> Self {
        Self(vec![error])
    }

    pub fn iter(&self) -> impl Iterator<Item = &SceneError> {
        self.0.iter()
    }
}

impl fmt::Display for SceneErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SceneErrors {}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "a = 1\nthành = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // "thành " is 7 bytes (à is two) but 6 characters.
        assert_eq!(line_and_column(text, 6 + 7), (2, 7));
        assert_eq!(line_and_column(text, 10_000), (3, 1));
    }
}
