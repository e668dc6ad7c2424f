//! Enumerations the API exposes: each value has a stable English snake_case code and a Vietnamese
//! and an English label, served by `GET /api/v1/reference/enums`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;

/// One value of an enumeration with its labels.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnumValue {
    /// The stable code used in requests and responses.
    pub code: String,
    /// Nhãn tiếng Việt.
    pub label_vi: String,
    /// English label.
    pub label_en: String,
}

/// An enumeration whose values carry labels.
pub trait Labeled: Sized + Copy + 'static {
    /// The name under which the reference endpoint lists the enumeration.
    const NAME: &'static str;
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn labels(self) -> (&'static str, &'static str);

    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.labels().0,
            Lang::En => self.labels().1,
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }

    fn values() -> Vec<EnumValue> {
        Self::ALL
            .iter()
            .map(|v| EnumValue {
                code: v.code().to_owned(),
                label_vi: v.labels().0.to_owned(),
                label_en: v.labels().1.to_owned(),
            })
            .collect()
    }
}

/// Declares an enumeration with its codes and labels, its serde and OpenAPI forms, and its
/// [`Labeled`] implementation, so that code and label can never be declared apart. The OpenAPI
/// schema is written here rather than derived: the derive cannot see the `serde(rename)` this macro
/// generates and would document the Rust variant names instead of the codes on the wire.
#[macro_export]
macro_rules! labeled_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident as $list_name:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal : $vi:literal / $en:literal ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::labels::enum_schema(
                    &[$($doc),*],
                    <Self as $crate::domain::labels::Labeled>::ALL
                        .iter()
                        .map(|v| (v.as_str(), $crate::domain::labels::Labeled::labels(*v))),
                )
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $crate::domain::labels::Labeled for $name {
            const NAME: &'static str = $list_name;
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            fn labels(self) -> (&'static str, &'static str) {
                match self { $($name::$variant => ($vi, $en)),+ }
            }
        }

        impl $name {
            /// The stable code stored in the database and sent on the wire.
            pub fn as_str(self) -> &'static str {
                $crate::domain::labels::Labeled::code(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::labels::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::domain::labels::Labeled>::from_code(s)
                    .ok_or_else(|| $crate::domain::labels::UnknownCode(s.to_owned()))
            }
        }
    };
}

/// The OpenAPI schema of a labeled enumeration: a string limited to its codes, described by the
/// type's documentation and each code's labels.
pub fn enum_schema<'a>(
    doc: &[&str],
    values: impl Iterator<Item = (&'a str, (&'a str, &'a str))>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mut codes = Vec::new();
    let mut description = doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" ");
    description.push('\n');
    for (code, (vi, en)) in values {
        description.push_str(&format!("\n- `{code}`: {vi} / {en}"));
        codes.push(code.to_owned());
    }
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
        .description(Some(description))
        .into()
}

/// A code that names no value of the enumeration (for example a corrupt database row).
#[derive(Debug, thiserror::Error)]
#[error("unknown code `{0}`")]
pub struct UnknownCode(pub String);
