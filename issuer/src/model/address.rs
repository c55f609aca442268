//! Addresses as they are matched against the housing database and the
//! building directory: the same building however a resident writes it.
//!
//! People abbreviate ("Harbour Gdn, Twr 5"), write in Chinese or English,
//! in simplified or traditional characters, with full-width digits or
//! Chinese numerals. A designation of a building must reach everyone who
//! lives there, so both sides of every match go through one normalisation:
//! words upper-cased, punctuation dropped, each Chinese character a word of
//! its own (so that a building's name is found inside an address written
//! without spaces), abbreviations and numerals in one canonical form.

/// English abbreviations of Hong Kong addresses and their one spelling. The
/// directory goes through the same table, so a pair that could mean two
/// things (ST: street or saint) still only matches itself.
const ENGLISH_WORDS: &[(&str, &str)] = &[
    ("GDN", "GARDEN"),
    ("GDNS", "GARDENS"),
    ("TWR", "TOWER"),
    ("TWRS", "TOWERS"),
    ("BLK", "BLOCK"),
    ("BLKS", "BLOCKS"),
    ("BLDG", "BUILDING"),
    ("BLDGS", "BUILDINGS"),
    ("RD", "ROAD"),
    ("ST", "STREET"),
    ("STR", "STREET"),
    ("AVE", "AVENUE"),
    ("AV", "AVENUE"),
    ("CT", "COURT"),
    ("CRT", "COURT"),
    ("CTR", "CENTRE"),
    ("CTRE", "CENTRE"),
    ("CENTER", "CENTRE"),
    ("MANS", "MANSION"),
    ("HSE", "HOUSE"),
    ("TER", "TERRACE"),
    ("TERR", "TERRACE"),
    ("EST", "ESTATE"),
    ("HTS", "HEIGHTS"),
    ("PL", "PLACE"),
    ("SQ", "SQUARE"),
    ("VLG", "VILLAGE"),
    ("PH", "PHASE"),
    ("IND", "INDUSTRIAL"),
    ("COMM", "COMMERCIAL"),
    ("FLR", "FLOOR"),
    ("ONE", "1"),
    ("TWO", "2"),
    ("THREE", "3"),
    ("FOUR", "4"),
    ("FIVE", "5"),
    ("SIX", "6"),
    ("SEVEN", "7"),
    ("EIGHT", "8"),
    ("NINE", "9"),
    ("TEN", "10"),
    ("FIRST", "1"),
    ("SECOND", "2"),
    ("THIRD", "3"),
];

/// Simplified characters common in addresses and their traditional form,
/// as Hong Kong's directories write them.
const SIMPLIFIED: &[(char, char)] = &[
    ('园', '園'),
    ('湾', '灣'),
    ('楼', '樓'),
    ('号', '號'),
    ('东', '東'),
    ('龙', '龍'),
    ('门', '門'),
    ('华', '華'),
    ('丽', '麗'),
    ('广', '廣'),
    ('场', '場'),
    ('厦', '廈'),
    ('区', '區'),
    ('湖', '湖'),
    ('苏', '蘇'),
    ('阁', '閣'),
    ('轩', '軒'),
    ('庄', '莊'),
    ('乡', '鄉'),
    ('围', '圍'),
    ('岭', '嶺'),
    ('湿', '濕'),
    ('头', '頭'),
    ('宝', '寶'),
    ('丰', '豐'),
    ('凤', '鳳'),
    ('兴', '興'),
    ('荣', '榮'),
    ('乐', '樂'),
    ('业', '業'),
    ('贸', '貿'),
    ('发', '發'),
    ('边', '邊'),
    ('际', '際'),
    ('馆', '館'),
    ('长', '長'),
    ('沙', '沙'),
    ('环', '環'),
    ('庙', '廟'),
    ('营', '營'),
    ('铜', '銅'),
    ('锣', '鑼'),
    ('观', '觀'),
    ('坚', '堅'),
    ('尖', '尖'),
    ('汇', '匯'),
    ('怡', '怡'),
    ('泾', '涇'),
];

/// Chinese words that carry no part of a building's identity: the ordinal
/// prefix (第五座 is 五座).
const CHINESE_DROPPED: &[char] = &['第'];

/// The address as it is matched: canonical words separated by one space.
/// `Flat 12, 3/F, Blk A` and `FLAT 12 3 F BLOCK A` give the same key; so do
/// `港灣花園第五座` and `港湾花园5座`.
pub fn address_match_key(address: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut numeral = String::new();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(canonical_english(word));
            word.clear();
        }
    };
    for c in address.chars().map(half_width) {
        if chinese_digit(c).is_some() {
            flush(&mut word, &mut words);
            numeral.push(c);
            continue;
        }
        if !numeral.is_empty() {
            words.push(chinese_number(&numeral));
            numeral.clear();
        }
        if is_chinese(c) {
            flush(&mut word, &mut words);
            if !CHINESE_DROPPED.contains(&c) {
                words.push(traditional(c).to_string());
            }
        } else if c.is_alphanumeric() {
            // A digit run and a letter run are words of their own: 5座, Tower5.
            if word
                .chars()
                .last()
                .is_some_and(|l| l.is_ascii_digit() != c.is_ascii_digit())
            {
                flush(&mut word, &mut words);
            }
            word.extend(c.to_uppercase());
        } else {
            flush(&mut word, &mut words);
        }
    }
    if !numeral.is_empty() {
        words.push(chinese_number(&numeral));
    }
    flush(&mut word, &mut words);
    words.join(" ")
}

fn canonical_english(word: &str) -> String {
    ENGLISH_WORDS
        .iter()
        .find(|(short, _)| *short == word)
        .map_or_else(|| word.to_owned(), |(_, long)| (*long).to_owned())
}

/// Full-width ASCII (Ｔｏｗｅｒ ５) as ASCII, and the ideographic space as a space.
fn half_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

fn is_chinese(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

fn traditional(c: char) -> char {
    SIMPLIFIED
        .iter()
        .find(|(simplified, _)| *simplified == c)
        .map_or(c, |(_, t)| *t)
}

fn chinese_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九十"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
}

/// 五 → 5, 十二 → 12, 二十 → 20, 二十三 → 23; other runs digit by digit (一〇一 → 101).
fn chinese_number(numeral: &str) -> String {
    let digits: Vec<u32> = numeral.chars().filter_map(chinese_digit).collect();
    let value = match digits.as_slice() {
        [10] => Some(10),
        [10, ones] => Some(10 + ones),
        [tens, 10] => Some(tens * 10),
        [tens, 10, ones] => Some(tens * 10 + ones),
        _ => None,
    };
    value.map_or_else(
        || digits.iter().map(|d| d.to_string()).collect(),
        |v| v.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_case_and_line_breaks_do_not_matter() {
        assert_eq!(
            address_match_key("Flat 12, 3/F\nBlock A,  Kwai Chung Estate"),
            address_match_key("FLAT 12 3 F BLOCK A KWAI CHUNG ESTATE")
        );
    }

    /// Real-looking ways of writing the same building, each against the
    /// directory's form.
    #[test]
    fn the_common_spellings_of_one_building_are_one_key() {
        let cases: &[(&str, &str)] = &[
            ("Tower 5, Harbour Garden", "Twr 5, Harbour Gdn"),
            ("Tower 5, Harbour Garden", "TWR. 5 HARBOUR GDN."),
            ("Tower 5, Harbour Garden", "Tower Five, Harbour Garden"),
            (
                "Tower 5, Harbour Garden",
                "Ｔｏｗｅｒ　５　Ｈａｒｂｏｕｒ　Ｇａｒｄｅｎ",
            ),
            ("Tower 5, Harbour Garden", "Tower5 Harbour Garden"),
            ("Block A, Lek Yuen Estate", "Blk A Lek Yuen Est"),
            ("21 Nathan Road", "21 Nathan Rd."),
            ("Wing On Building", "Wing On Bldg"),
            ("Tai Koo Shing, Phase 2", "Tai Koo Shing Ph 2"),
            ("Kowloon Centre", "Kowloon Center"),
            ("港灣花園第5座", "港灣花園5座"),
            ("港灣花園第5座", "港灣花園第五座"),
            ("港灣花園第5座", "港湾花园5座"),
            ("港灣花園第5座", "港灣花園５座"),
            ("海怡半島第12座", "海怡半島十二座"),
        ];
        for (directory, written) in cases {
            assert_eq!(
                address_match_key(directory),
                address_match_key(written),
                "{written}"
            );
        }
    }

    #[test]
    fn different_buildings_stay_different() {
        assert_ne!(
            address_match_key("1 Nathan Road"),
            address_match_key("21 Nathan Road")
        );
        assert_ne!(address_match_key("Tower 5"), address_match_key("Tower 15"));
        assert_ne!(
            address_match_key("港灣花園5座"),
            address_match_key("港灣花園15座")
        );
        assert_ne!(address_match_key("第二座"), address_match_key("第二十座"));
    }

    #[test]
    fn chinese_characters_are_words_so_a_building_is_found_inside_an_address() {
        // A numeral inside a name (九龍, Kowloon) becomes a digit too:
        // harmless, since the directory's 九龍 becomes the same.
        assert_eq!(
            address_match_key("九龍港灣花園第五座12樓A室"),
            "9 龍 港 灣 花 園 5 座 12 樓 A 室"
        );
        assert_eq!(chinese_number("二十三"), "23");
        assert_eq!(chinese_number("十"), "10");
        assert_eq!(chinese_number("一〇一"), "101");
    }
}
