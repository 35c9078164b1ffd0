//! Custom fields: the item's own `fields[]`, and the values of cards,
//! identities and SSH keys, which entries keep as fields.

use serde_json::{Map, Value};

use crate::core::entries::CustomField;
use crate::core::secret::SecretString;

/// A card's values, in the order Bitwarden shows them, and whether each is
/// masked.
pub(super) const CARD: &[(&str, bool)] = &[
    ("cardholderName", false),
    ("brand", false),
    ("number", true),
    ("expMonth", false),
    ("expYear", false),
    ("code", true),
];

/// An identity's values, in the order Bitwarden shows them. Government ids
/// are masked.
pub(super) const IDENTITY: &[(&str, bool)] = &[
    ("title", false),
    ("firstName", false),
    ("middleName", false),
    ("lastName", false),
    ("address1", false),
    ("address2", false),
    ("address3", false),
    ("city", false),
    ("state", false),
    ("postalCode", false),
    ("country", false),
    ("company", false),
    ("email", false),
    ("phone", false),
    ("ssn", true),
    ("username", false),
    ("passportNumber", true),
    ("licenseNumber", true),
];

/// An SSH key's values; the private key is masked.
pub(super) const SSH_KEY: &[(&str, bool)] = &[
    ("privateKey", true),
    ("publicKey", false),
    ("keyFingerprint", false),
];

/// The text of `object[key]`: strings as they are (byte for byte), numbers
/// and booleans written out, anything else (absent, null, lists) empty.
pub(super) fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => String::new(),
    }
}

/// An entry's custom fields as they are gathered, with names kept unique:
/// `Entry::validate` refuses two fields of one name, and Bitwarden allows
/// them.
#[derive(Default)]
pub(super) struct FieldList(Vec<CustomField>);

impl FieldList {
    /// Adds a field; a name already taken gets ` (2)`, ` (3)`, ... and an
    /// empty name becomes `Unnamed field`.
    pub(super) fn push(&mut self, name: &str, value: SecretString, hidden: bool) {
        let base = if name.trim().is_empty() {
            "Unnamed field"
        } else {
            name
        };
        let mut candidate = SecretString::from(base);
        let mut n = 1;
        while self.0.iter().any(|f| f.name == candidate) {
            n += 1;
            candidate = SecretString::new(format!("{base} ({n})"));
        }
        self.0.push(CustomField {
            name: candidate,
            value,
            hidden,
        });
    }

    /// Whether no field was added.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields, in the order they were added.
    pub(super) fn into_vec(self) -> Vec<CustomField> {
        self.0
    }

    /// Adds the non-empty values of `item[section]` (a card, an identity, an
    /// SSH key): first the ones `known` lists, in its order, then any other
    /// text value a newer Bitwarden may write, masked because nothing says it
    /// is safe to show.
    pub(super) fn push_section(
        &mut self,
        item: &Map<String, Value>,
        section: &str,
        known: &[(&str, bool)],
    ) {
        let Some(values) = item.get(section).and_then(Value::as_object) else {
            return;
        };
        for &(name, hidden) in known {
            let value = text(values, name);
            if !value.is_empty() {
                self.push(name, value.into(), hidden);
            }
        }
        for (name, value) in values {
            if known.iter().any(|(k, _)| k == name) {
                continue;
            }
            if let Value::String(value) = value
                && !value.is_empty()
            {
                self.push(name, value.clone().into(), true);
            }
        }
    }

    /// Adds the item's own `fields[]`: text (type 0), hidden (1), boolean (2,
    /// as `true`/`false`) and linked (3, as `linked: <property>`). A type
    /// this reader does not know keeps its value, masked.
    pub(super) fn push_custom(&mut self, item: &Map<String, Value>) {
        let Some(list) = item.get("fields").and_then(Value::as_array) else {
            return;
        };
        for field in list.iter().filter_map(Value::as_object) {
            let name = text(field, "name");
            let (value, hidden) = match field.get("type").and_then(Value::as_u64) {
                Some(0) => (text(field, "value"), false),
                Some(2) => (boolean(&text(field, "value")).to_owned(), false),
                Some(3) => (linked(field.get("linkedId")), false),
                _ => (text(field, "value"), true),
            };
            // A field with neither name nor value holds nothing to keep.
            if name.is_empty() && value.is_empty() {
                continue;
            }
            self.push(&name, value.into(), hidden);
        }
    }
}

/// A boolean field's value as `true` or `false` (Bitwarden writes the
/// strings, and leaves unset ones null).
fn boolean(value: &str) -> &'static str {
    if value.trim().eq_ignore_ascii_case("true") {
        "true"
    } else {
        "false"
    }
}

/// What a linked field shows: the property it follows, since the link
/// itself cannot be kept.
fn linked(id: Option<&Value>) -> String {
    let id = id.and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()));
    match id {
        Some(id) => match linked_property(id) {
            Some(name) => format!("linked: {name}"),
            None => format!("linked: {id}"),
        },
        None => "linked: unknown".to_owned(),
    }
}

/// Bitwarden's linked-field ids (`LinkedIdType`), named as this reader names
/// the same values: the entry's username and password for logins, the field
/// names in [`CARD`] and [`IDENTITY`] for the others.
fn linked_property(id: u64) -> Option<&'static str> {
    Some(match id {
        100 => "username",
        101 => "password",
        300 => "cardholderName",
        301 => "expMonth",
        302 => "expYear",
        303 => "code",
        304 => "brand",
        305 => "number",
        400 => "title",
        401 => "middleName",
        402 => "address1",
        403 => "address2",
        404 => "address3",
        405 => "city",
        406 => "state",
        407 => "postalCode",
        408 => "country",
        409 => "company",
        410 => "email",
        411 => "phone",
        412 => "ssn",
        413 => "username",
        414 => "passportNumber",
        415 => "licenseNumber",
        416 => "firstName",
        417 => "lastName",
        418 => "fullName",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text).unwrap() {
            Value::Object(map) => map,
            _ => unreachable!("the samples are objects"),
        }
    }

    fn shown(list: FieldList) -> Vec<(String, String, bool)> {
        list.into_vec()
            .into_iter()
            .map(|f| {
                (
                    f.name.expose().to_owned(),
                    f.value.expose().to_owned(),
                    f.hidden,
                )
            })
            .collect()
    }

    #[test]
    fn repeated_and_empty_names_are_made_unique() {
        let mut list = FieldList::default();
        list.push("PIN", "1".into(), true);
        list.push("PIN", "2".into(), true);
        list.push("PIN (2)", "3".into(), false);
        list.push("PIN", "4".into(), false);
        list.push(" ", "5".into(), false);
        let names: Vec<String> = shown(list).into_iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            ["PIN", "PIN (2)", "PIN (2) (2)", "PIN (3)", "Unnamed field"]
        );
    }

    #[test]
    fn every_custom_field_type_is_kept() {
        let item = object(
            r#"{"fields": [
                {"name": "Text", "value": "plain", "type": 0},
                {"name": "Secret", "value": "masked", "type": 1},
                {"name": "Flag", "value": "TRUE", "type": 2},
                {"name": "Off", "value": null, "type": 2},
                {"name": "User link", "value": null, "type": 3, "linkedId": 100},
                {"name": "Card link", "value": null, "type": 3, "linkedId": 305},
                {"name": "Odd link", "value": null, "type": 3, "linkedId": 999},
                {"name": "Future", "value": "v", "type": 9},
                {"name": null, "value": null, "type": 0}
            ]}"#,
        );
        let mut list = FieldList::default();
        list.push_custom(&item);
        let expected = [
            ("Text", "plain", false),
            ("Secret", "masked", true),
            ("Flag", "true", false),
            ("Off", "false", false),
            ("User link", "linked: username", false),
            ("Card link", "linked: number", false),
            ("Odd link", "linked: 999", false),
            ("Future", "v", true),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(n, v, h)| (n.to_string(), v.to_string(), *h))
            .collect();
        assert_eq!(shown(list), expected);
    }

    #[test]
    fn sections_keep_known_values_in_order_and_mask_unknown_ones() {
        let item = object(
            r#"{"card": {"code": "999", "number": "4111", "brand": "",
                         "cardholderName": "A B", "newThing": "x"}}"#,
        );
        let mut list = FieldList::default();
        list.push_section(&item, "card", CARD);
        let expected = [
            ("cardholderName", "A B", false),
            ("number", "4111", true),
            ("code", "999", true),
            ("newThing", "x", true),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(n, v, h)| (n.to_string(), v.to_string(), *h))
            .collect();
        assert_eq!(shown(list), expected);
    }
}
