//! Enums whose values have fixed names: in tokens' text forms, files, the
//! database, JSON and on the command line. One macro writes what each such
//! enum needs (the list of values, the name of each, parsing with an error
//! that lists the known names, `Display`, serde by name), so that no two of
//! them differ in how they spell or refuse a name.

use std::fmt;

/// A name that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What kind of value was expected, e.g. `colour`.
    pub what: &'static str,
    /// The text given.
    pub found: String,
    /// The names allowed.
    pub known: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?} (known: {})",
            self.what,
            self.found,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Defines an enum whose values have fixed names, with `ALL`, `NAMES`,
/// `as_str`, `from_name`, `Display`, `FromStr` (error [`UnknownName`]) and
/// serde by name.
///
/// ```
/// healthcode_keys::named_enum! {
///     /// A traffic light.
///     pub enum Light("light") {
///         /// Stop.
///         Red = "red",
///         /// Go.
///         Green = "green",
///     }
/// }
/// assert_eq!("red".parse::<Light>().ok(), Some(Light::Red));
/// assert_eq!(Light::Green.to_string(), "green");
/// assert!("blue".parse::<Light>().is_err());
/// ```
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $ty {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The value's name.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }

            /// The value named `name`, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some($ty::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::from_name(text).ok_or_else(|| $crate::names::UnknownName {
                    what: $what,
                    found: text.to_owned(),
                    known: Self::NAMES,
                })
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
