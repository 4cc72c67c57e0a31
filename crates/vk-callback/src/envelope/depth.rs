//! How deeply the body's JSON nests, found by one pass over the bytes
//! before anything is parsed, so the limit is one rule for the whole body:
//! it does not depend on which field holds the nesting, on the field order,
//! or on whether the object is decoded into a typed event.
//!
//! Only the first JSON value counts (trailing bytes are ignored, as by the
//! parser). This module does not validate JSON; the parser does.

/// Whether the first JSON value of `text` nests arrays and objects more
/// than `limit` levels deep (the envelope object itself is level 1).
pub(super) fn exceeds(text: &[u8], limit: usize) -> bool {
    // No more opening brackets than the limit, strings included, cannot
    // nest past it: the usual body is settled by this count instead of the
    // byte-by-byte walk below. `b | 0x20 == b'{'` holds for `[` and `{`
    // only; per-chunk byte sums keep the loop vectorised.
    let opening: usize = text
        .chunks(255)
        .map(|chunk| usize::from(chunk.iter().map(|&b| u8::from(b | 0x20 == b'{')).sum::<u8>()))
        .sum();
    if opening <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            // A scalar first value cannot nest.
            _ if depth == 0 && byte != b'{' && byte != b'[' => return false,
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    false
}
