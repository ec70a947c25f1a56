//! Integers as decimal strings in human-readable formats (JSON: safe for JavaScript, as the
//! Aptos REST API writes them) and as plain integers in BCS. Other field types pass through,
//! so a table of mixed fields can use `#[serde(with = "crate::serde_dec")]` on every field.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::AccountAddress;

/// A field type and its human-readable form.
pub(crate) trait HumanForm: Sized {
    /// Serialize.
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// Deserialize.
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

macro_rules! as_decimal_string {
    ($($t:ty),*) => {$(
        impl HumanForm for $t {
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() { s.collect_str(self) } else { self.serialize(s) }
            }
            fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(|e| {
                        serde::de::Error::custom(format!("{s:?} is not a {}: {e}", stringify!($t)))
                    })
                } else {
                    <$t>::deserialize(d)
                }
            }
        }
    )*};
}

macro_rules! as_itself {
    ($($t:ty),*) => {$(
        impl HumanForm for $t {
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
            fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t>::deserialize(d)
            }
        }
    )*};
}

as_decimal_string!(u64, u128);
as_itself!(bool, u8, String);

impl HumanForm for AccountAddress {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
    /// As aptos-sdk reads it (`AccountAddress::from_hex`), with the refused text in the error.
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            AccountAddress::from_hex(&s).map_err(|e| {
                serde::de::Error::custom(format!("{s:?} is not an account address: {e}"))
            })
        } else {
            AccountAddress::deserialize(d)
        }
    }
}

/// `#[serde(with = "crate::serde_dec")]`
pub(crate) fn serialize<T: HumanForm, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.ser(s)
}

/// `#[serde(with = "crate::serde_dec")]`
pub(crate) fn deserialize<'de, T: HumanForm, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::de(d)
}
