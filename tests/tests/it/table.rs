//! The demo's table formatter: padding, numeric alignment, ragged rows.

use integration_tests::Table;

#[test]
fn columns_are_padded_and_numeric_columns_right_aligned() {
    let mut table = Table::new("t", &["name", "n", "note"]);
    table.row(["a", "1,234", "x"]).row(["longer", "5", "twenty + 1"]).row(["short"]);
    let text = table.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "t",
            "| name   |     n | note       |",
            "|--------|-------|------------|",
            "| a      | 1,234 | x          |",
            "| longer |     5 | twenty + 1 |",
            "| short  |       |            |",
        ]
    );
}

#[test]
fn a_table_without_rows_prints_its_header() {
    let text = Table::new("empty", &["a", "bb"]).to_string();
    assert_eq!(text, "empty\n| a | bb |\n|---|----|\n");
}
