//! What people type that others will read: names, venue names, addresses.
//! Characters that draw nothing or reorder what is drawn let one text look
//! like another (a reviewer sees "CHAN" where the store holds something
//! else, a venue name shows a phone number backwards), so they are refused.

/// The first character of `text` that a reader would not see as written:
/// a control character (newlines allowed if `allow_newline`), a bidi
/// control, a zero-width or other format character (Unicode category Cf),
/// or a filler that draws as blank.
pub fn hidden_character(text: &str, allow_newline: bool) -> Option<char> {
    text.chars().find(|&c| {
        let newline = c == '\n' || c == '\r';
        (c.is_control() && !(allow_newline && newline)) || is_format(c) || is_blank_filler(c)
    })
}

/// Unicode general category Cf (format): bidi embeddings, overrides and
/// isolates, zero-width space, joiners, marks, the BOM, tags.
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Letters that draw as nothing (Hangul fillers, the braille blank, the
/// combining grapheme joiner, Khmer inherent vowels).
fn is_blank_filler(c: char) -> bool {
    matches!(
        c as u32,
        0x034F | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x2800 | 0x3164 | 0xFFA0
    )
}

/// How a refused character is named to the person who typed it.
pub fn describe(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_pass() {
        for name in [
            "CHAN Tai Man",
            "陳大文",
            "O'Brien-Núñez",
            "Nguyễn Thị",
            "محمد",
        ] {
            assert_eq!(hidden_character(name, false), None, "{name}");
        }
        assert_eq!(hidden_character("Flat 1\nBlock A", true), None);
    }

    #[test]
    fn hidden_and_reordering_characters_are_found() {
        for (text, c) in [
            ("CHAN\u{202E}nam", '\u{202E}'),
            ("CH\u{200B}AN", '\u{200B}'),
            ("\u{2066}abc\u{2069}", '\u{2066}'),
            ("a\u{200D}b", '\u{200D}'),
            ("\u{FEFF}Cafe", '\u{FEFF}'),
            ("tag\u{E0041}", '\u{E0041}'),
            ("\u{3164}", '\u{3164}'),
            ("soft\u{AD}hyphen", '\u{AD}'),
            ("line\nbreak", '\n'),
            ("esc\u{1B}[31m", '\u{1B}'),
        ] {
            assert_eq!(hidden_character(text, false), Some(c), "{text:?}");
        }
        assert_eq!(describe('\u{202E}'), "U+202E");
    }
}
