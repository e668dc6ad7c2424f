//! Search keys for Vietnamese text. Every searchable resource stores `search_key(name)` in a column and
//! matches `search_key(q)` against it with `LIKE`, which works the same on SQLite and PostgreSQL and
//! makes "ba dinh", "BA ĐÌNH" and "Ba Đình" (NFC or NFD) find the same rows.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::text::{is_invisible_format, is_invisible_space};

/// Lowercases, removes diacritics (tone and vowel marks) and invisible format characters, maps đ to
/// d and folds runs of white space (zero-width spaces included) into one space. Works on composed
/// (NFC) and decomposed (NFD) input alike.
pub fn search_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) || is_invisible_format(c) {
            continue;
        }
        if c.is_whitespace() || is_invisible_space(c) {
            pending_space = !key.is_empty();
            continue;
        }
        if pending_space {
            key.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => key.push('d'),
            _ => key.extend(c.to_lowercase()),
        }
    }
    key
}

/// A `LIKE` pattern that finds `query` anywhere in a search key. `%`, `_` and `\` typed by the user
/// are matched literally; use with `ESCAPE '\'`.
pub fn contains_pattern(query: &str) -> String {
    let mut pattern = String::from("%");
    for c in search_key(query).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn folds_case_diacritics_and_d_with_stroke() {
        assert_eq!(search_key("Ba Đình"), "ba dinh");
        assert_eq!(search_key("ĐÔNG Hưng"), "dong hung");
        assert_eq!(search_key("Hợp tác xã Mây tre đan"), "hop tac xa may tre dan");
        assert_eq!(search_key("  Thủy   Nguyên "), "thuy nguyen");
    }

    #[test]
    fn composed_and_decomposed_input_give_the_same_key() {
        let name = "Phường Hòa Khánh Thủy";
        let nfc: String = name.nfc().collect();
        let nfd: String = name.nfd().collect();
        assert_ne!(nfc, nfd);
        assert_eq!(search_key(&nfc), search_key(&nfd));
        assert_eq!(search_key(&nfd), "phuong hoa khanh thuy");
    }

    #[test]
    fn invisible_characters_do_not_hide_a_name() {
        assert_eq!(search_key("Gốm\u{200B}Bát Tràng"), "gom bat trang");
        assert_eq!(search_key("\u{FEFF}Mây\u{200D} tre\u{00AD}"), "may tre");
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(contains_pattern("Đông"), "%dong%");
        assert_eq!(contains_pattern("50%_x"), "%50\\%\\_x%");
    }
}
