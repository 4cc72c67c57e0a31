//! [`Table`]: the plain-text tables the demo prints, columns padded to
//! their widest cell, numbers right-aligned.
//!
//! It only formats; it does not print (the binary does).

use std::fmt;

/// A titled table of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with `title` and column `headers`.
    ///
    /// ```
    /// use integration_tests::Table;
    ///
    /// let mut table = Table::new("rpcs", &["kind", "calls"]);
    /// table.row(["getDifference", "12"]);
    /// let text = table.to_string();
    /// assert!(text.contains("| getDifference |    12 |"), "{text}");
    /// ```
    pub fn new(title: &str, headers: &[&str]) -> Table {
        Table {
            title: title.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are blank, extra ones are kept).
    pub fn row<I, S>(&mut self, cells: I) -> &mut Table
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        self.rows.push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    fn widths(&self) -> Vec<usize> {
        let columns = self.rows.iter().map(Vec::len).chain([self.headers.len()]).max();
        let mut widths = vec![0; columns.unwrap_or(0)];
        for row in self.rows.iter().chain([&self.headers]) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        widths
    }
}

fn numeric(cell: &str) -> bool {
    !cell.is_empty() && cell.chars().all(|c| c.is_ascii_digit() || ",.-%".contains(c))
}

/// Right-aligns a column when every non-empty cell in it is a number.
fn numeric_columns(widths: &[usize], rows: &[Vec<String>]) -> Vec<bool> {
    (0..widths.len())
        .map(|i| {
            let mut cells = rows.iter().filter_map(|r| r.get(i)).filter(|c| !c.is_empty());
            cells.clone().next().is_some() && cells.all(|c| numeric(c))
        })
        .collect()
}

fn write_row(
    f: &mut fmt::Formatter<'_>,
    widths: &[usize],
    right: &[bool],
    row: &[String],
) -> fmt::Result {
    f.write_str("|")?;
    for (i, width) in widths.iter().enumerate() {
        let cell = row.get(i).map_or("", String::as_str);
        if right.get(i).copied().unwrap_or(false) {
            write!(f, " {cell:>width$} |")?;
        } else {
            write!(f, " {cell:<width$} |")?;
        }
    }
    writeln!(f)
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths = self.widths();
        let right = numeric_columns(&widths, &self.rows);
        writeln!(f, "{}", self.title)?;
        write_row(f, &widths, &right, &self.headers)?;
        f.write_str("|")?;
        for width in &widths {
            write!(f, "{}|", "-".repeat(width + 2))?;
        }
        writeln!(f)?;
        for row in &self.rows {
            write_row(f, &widths, &right, row)?;
        }
        Ok(())
    }
}
