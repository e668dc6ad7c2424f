//! Text hygiene for everything the registry stores or searches.
//!
//! Control characters (Unicode category Cc: NUL, the other C0 and C1 controls, DEL) are refused
//! wherever a request carries text: they have no place in names, codes or filters, and PostgreSQL
//! text cannot hold NUL at all. Invisible format characters (category Cf: zero-width spaces and
//! joiners, byte-order marks, soft hyphens) come along when names are pasted from web pages and
//! spreadsheets; they are dropped from stored names and from search keys, so that what reads the
//! same is stored and found the same.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// U+200B marks a word boundary without showing one: it stands for a space, not for nothing.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Whether `c` may not appear in request text. Tabs and line breaks are allowed where multi-line
/// text is (JSON string values), never in paths and query parameters.
pub fn is_forbidden_control(c: char, allow_line_breaks: bool) -> bool {
    c.is_control() && !(allow_line_breaks && matches!(c, '\t' | '\n' | '\r'))
}

/// The first forbidden control character of `text`, if any.
pub fn first_forbidden_control(text: &str, allow_line_breaks: bool) -> Option<char> {
    text.chars().find(|&c| is_forbidden_control(c, allow_line_breaks))
}

/// An invisible character that separates words (treated as white space).
pub fn is_invisible_space(c: char) -> bool {
    c == ZERO_WIDTH_SPACE
}

/// An invisible format character that is simply dropped.
pub fn is_invisible_format(c: char) -> bool {
    !is_invisible_space(c) && c.general_category() == GeneralCategory::Format
}

/// A name or other single-line text as stored: invisible format characters dropped, zero-width
/// spaces and runs of white space folded into one space, no leading or trailing space.
pub fn clean_line(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if is_invisible_format(c) {
            continue;
        }
        if c.is_whitespace() || is_invisible_space(c) {
            pending_space = !cleaned.is_empty();
            continue;
        }
        if pending_space {
            cleaned.push(' ');
            pending_space = false;
        }
        cleaned.push(c);
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_forbidden_line_breaks_only_in_bodies() {
        assert_eq!(first_forbidden_control("Bát\0Tràng", true), Some('\0'));
        assert_eq!(first_forbidden_control("a\u{7f}", true), Some('\u{7f}'));
        assert_eq!(first_forbidden_control("a\u{85}b", true), Some('\u{85}'));
        assert_eq!(first_forbidden_control("dòng 1\ndòng 2\tx\r", true), None);
        assert_eq!(first_forbidden_control("dòng 1\ndòng 2", false), Some('\n'));
        assert_eq!(first_forbidden_control("Gốm Bát Tràng", false), None);
    }

    #[test]
    fn invisible_characters_are_dropped_and_zero_width_space_separates() {
        assert_eq!(clean_line("Gốm\u{200B}Bát Tràng"), "Gốm Bát Tràng");
        assert_eq!(
            clean_line("\u{FEFF}Mây\u{00AD}tre\u{200D} đan \u{200B} "),
            "Mâytre đan"
        );
        assert_eq!(clean_line("  Hợp   tác xã\u{2060} "), "Hợp tác xã");
        assert_eq!(clean_line("\u{200B}"), "");
    }
}
