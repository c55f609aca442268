//! Looking up a page's messages in a Fluent loader, in either language: the
//! issuer's pages and the verifier's pages each keep their own messages
//! (`locales/{en,zh-HK}/`) and read them through these functions.

use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue};
use healthcode_keys::Lang;

static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| identifier("en"));
static ZH_HK: LazyLock<LanguageIdentifier> = LazyLock::new(|| identifier("zh-HK"));

fn identifier(tag: &str) -> LanguageIdentifier {
    tag.parse()
        .unwrap_or_else(|_| unreachable!("{tag} is a well-formed language tag"))
}

fn language(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::En => &EN,
        Lang::ZhHk => &ZH_HK,
    }
}

/// The message `key` in `lang`; the key itself if no language has it (each
/// crate's unit test keeps every key in both files).
pub fn text(loader: &impl Loader, lang: Lang, key: &str) -> String {
    loader
        .try_lookup(language(lang), key)
        .unwrap_or_else(|| key.to_owned())
}

/// The message `key` in `lang` with `args`, each as Fluent takes it (text,
/// or a number, which lets a message choose its plural form).
pub fn text_with<'v, V>(loader: &impl Loader, lang: Lang, key: &str, args: &[(&str, V)]) -> String
where
    V: Into<FluentValue<'v>> + Clone,
{
    let args: HashMap<Cow<'static, str>, FluentValue<'v>> = args
        .iter()
        .map(|(name, value)| (Cow::Owned((*name).to_owned()), value.clone().into()))
        .collect();
    loader
        .try_lookup_with_args(language(lang), key, &args)
        .unwrap_or_else(|| key.to_owned())
}

/// Each message's key and the names of its arguments (`{ $name }`),
/// continuation lines (plural variants) included: a crate's test compares
/// its two languages' files with this.
pub fn keys_and_arguments(file: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut whole: Vec<(String, String)> = Vec::new();
    for line in file.lines().filter(|l| !l.starts_with('#')) {
        match (line.split_once(" = "), whole.last_mut()) {
            (_, Some((_, value))) if line.starts_with([' ', '}']) => value.push_str(line),
            (Some((key, value)), _) => whole.push((key.trim().to_owned(), value.to_owned())),
            _ => {}
        }
    }
    whole
        .into_iter()
        .map(|(key, value)| {
            let mut args: Vec<String> = value
                .split("{ $")
                .skip(1)
                .filter_map(|rest| rest.split_once(' ').map(|(name, _)| name.to_owned()))
                .collect();
            args.sort();
            args.dedup();
            (key, args)
        })
        .collect()
}
