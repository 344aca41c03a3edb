//! Items ↔ DynamoDB attribute maps: the key (`pk`, `sk`), the version (`v`, see
//! [`encode_version`]), the attributes (JSON ↔ `AttributeValue` by `serde_dynamo`), the
//! `UpdateItem` expression of a [`Patch`], and query cursors ↔ `ExclusiveStartKey`.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_dynamo::aws_sdk_dynamodb_1::{from_attribute_value, to_attribute_value};
use serde_json::Value;

use crate::store::{
    Cursor, GSI1_PK, GSI1_SK, Index, Item, Key, KeyQuery, Patch, ReadStoreError, decode_version,
};

use super::RESERVED_ATTRIBUTES;

/// A DynamoDB item (or key) as the SDK sees it.
pub(super) type Raw = HashMap<String, AttributeValue>;

/// The partition key attribute.
pub(super) const PK: &str = "pk";
/// The sort key attribute.
pub(super) const SK: &str = "sk";
/// The version attribute.
pub(super) const VERSION: &str = "v";

/// The version condition of every guarded write: the item is new, or older than `:v`.
pub(super) const NEWER_THAN_ITEM: &str = "attribute_not_exists(#pk) OR #v < :v";

/// `{pk, sk}` of `key`.
pub(super) fn key_map(key: &Key) -> Raw {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn take_string(raw: &mut Raw, name: &str) -> Option<String> {
    match raw.remove(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// Decodes a stored item of the physical table `table`.
pub(super) fn decode_item(table: &str, mut raw: Raw) -> Result<Item, ReadStoreError> {
    let pk = take_string(&mut raw, PK);
    let sk = take_string(&mut raw, SK);
    let version = take_string(&mut raw, VERSION);
    let corrupt = |key: Key, reason: String| ReadStoreError::Corrupt {
        table: table.to_owned(),
        key,
        reason,
    };
    let (Some(pk), Some(sk)) = (pk.clone(), sk.clone()) else {
        return Err(corrupt(
            Key::new(pk.unwrap_or_default(), sk.unwrap_or_default()),
            "pk or sk is missing or not a string".to_owned(),
        ));
    };
    let key = Key::new(pk, sk);
    let Some(version) = version.as_deref().and_then(decode_version) else {
        return Err(corrupt(
            key,
            format!("version `v` is missing or malformed: {version:?}"),
        ));
    };
    let mut attrs = crate::store::Attrs::new();
    for (name, value) in raw {
        match from_attribute_value::<Value>(value) {
            Ok(value) => {
                attrs.insert(name, value);
            }
            Err(e) => return Err(corrupt(key, format!("attribute `{name}`: {e}"))),
        }
    }
    Ok(Item {
        key,
        attrs,
        version,
    })
}

/// A whole item as stored (key, version, attributes), for `PutRequest`s.
pub(super) fn encode_item(item: &Item) -> Result<Raw, ReadStoreError> {
    let mut raw = key_map(&item.key);
    raw.insert(
        VERSION.to_owned(),
        AttributeValue::S(crate::store::encode_version(item.version)),
    );
    for (name, value) in &item.attrs {
        reserved(name)?;
        let encoded = to_attribute_value(value).map_err(|e| {
            ReadStoreError::Request(format!(
                "attribute `{name}` of {:?} cannot be stored: {e}",
                item.key
            ))
        })?;
        raw.insert(name.clone(), encoded);
    }
    Ok(raw)
}

/// The parts of one `UpdateItem` call.
pub(super) struct Update {
    /// `SET … REMOVE …`.
    pub expression: String,
    /// `ExpressionAttributeNames` (every attribute goes through a name placeholder).
    pub names: HashMap<String, String>,
    /// `ExpressionAttributeValues`.
    pub values: Raw,
}

fn reserved(name: &str) -> Result<(), ReadStoreError> {
    if RESERVED_ATTRIBUTES.contains(&name) {
        Err(ReadStoreError::Request(format!(
            "attribute name `{name}` is reserved by the DynamoDB read store (key and version); \
             a patch may not set or remove it"
        )))
    } else {
        Ok(())
    }
}

/// The guarded update of `patch` at the encoded `version`: sets its attributes and `v`,
/// removes its removals (except those it also sets: set wins, as in the memory store).
pub(super) fn update(patch: &Patch, version: String) -> Result<Update, ReadStoreError> {
    let mut names = HashMap::from([
        ("#pk".to_owned(), PK.to_owned()),
        ("#v".to_owned(), VERSION.to_owned()),
    ]);
    let mut values = HashMap::from([(":v".to_owned(), AttributeValue::S(version))]);
    let mut sets = vec!["#v = :v".to_owned()];
    for (i, (name, value)) in patch.set.iter().enumerate() {
        reserved(name)?;
        let encoded = to_attribute_value(value).map_err(|e| {
            ReadStoreError::Request(format!(
                "attribute `{name}` of {:?} cannot be stored: {e}",
                patch.key
            ))
        })?;
        names.insert(format!("#a{i}"), name.clone());
        values.insert(format!(":a{i}"), encoded);
        sets.push(format!("#a{i} = :a{i}"));
    }
    let removals: BTreeSet<&String> = patch
        .remove
        .iter()
        .filter(|name| !patch.set.contains_key(name.as_str()))
        .collect();
    let mut removes = Vec::new();
    for (i, name) in removals.into_iter().enumerate() {
        reserved(name)?;
        names.insert(format!("#r{i}"), name.clone());
        removes.push(format!("#r{i}"));
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(" REMOVE ");
        expression.push_str(&removes.join(", "));
    }
    Ok(Update {
        expression,
        names,
        values,
    })
}

/// Where a page that ended at `item` continues.
pub(super) fn cursor_of(item: &Item, index: Index) -> Cursor {
    Cursor {
        key: item.key.clone(),
        index_sk: match index {
            Index::Primary => None,
            Index::Gsi1 => item
                .attrs
                .get(GSI1_SK)
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
    }
}

/// A cursor from DynamoDB's `LastEvaluatedKey` (of `query`'s index).
pub(super) fn cursor_from_last_key(
    table: &str,
    mut raw: Raw,
    index: Index,
) -> Result<Cursor, ReadStoreError> {
    let pk = take_string(&mut raw, PK);
    let sk = take_string(&mut raw, SK);
    let (Some(pk), Some(sk)) = (pk, sk) else {
        return Err(ReadStoreError::Request(format!(
            "Query on {table}: LastEvaluatedKey lacks pk/sk"
        )));
    };
    Ok(Cursor {
        key: Key::new(pk, sk),
        index_sk: match index {
            Index::Primary => None,
            Index::Gsi1 => take_string(&mut raw, GSI1_SK),
        },
    })
}

/// `ExclusiveStartKey` of a query continuing after `query.after`.
pub(super) fn start_key(query: &KeyQuery) -> Result<Option<Raw>, ReadStoreError> {
    let Some(cursor) = &query.after else {
        return Ok(None);
    };
    let mut raw = key_map(&cursor.key);
    if query.index == Index::Gsi1 {
        let Some(index_sk) = &cursor.index_sk else {
            return Err(ReadStoreError::Request(
                "a cursor of a gsi1 query must carry the item's gsi1sk (index_sk)".to_owned(),
            ));
        };
        raw.insert(GSI1_PK.to_owned(), AttributeValue::S(query.pk.clone()));
        raw.insert(GSI1_SK.to_owned(), AttributeValue::S(index_sk.clone()));
    }
    Ok(Some(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Attrs, encode_version};
    use holdfast_eventstore::Position;
    use serde_json::json;

    fn roundtrip(attrs: Attrs) -> Attrs {
        let mut raw = key_map(&Key::new("p", "s"));
        raw.insert(
            VERSION.to_owned(),
            AttributeValue::S(encode_version(Position::new(3, 1))),
        );
        for (name, value) in &attrs {
            raw.insert(name.clone(), to_attribute_value(value).unwrap());
        }
        let item = decode_item("t", raw).unwrap();
        assert_eq!(item.key, Key::new("p", "s"));
        assert_eq!(item.version, Position::new(3, 1));
        item.attrs
    }

    #[test]
    fn integers_stay_integers_and_nested_values_round_trip() {
        let attrs = Attrs::from([
            ("u".to_owned(), json!(u64::MAX)),
            ("i".to_owned(), json!(i64::MIN)),
            ("zero".to_owned(), json!(0)),
            ("f".to_owned(), json!(2.5)),
            (
                "nested".to_owned(),
                json!({"a": [1, "x", true, null, {"b": -7}], "c": {}}),
            ),
        ]);
        let back = roundtrip(attrs.clone());
        assert_eq!(back, attrs);
        assert!(back["u"].is_u64() && back["i"].is_i64() && back["zero"].is_u64());
    }

    #[test]
    fn a_float_with_an_integral_value_comes_back_as_an_integer() {
        let back = roundtrip(Attrs::from([("f".to_owned(), json!(2.0))]));
        assert_eq!(back["f"], json!(2));
    }

    #[test]
    fn an_item_without_a_readable_version_is_corrupt() {
        let mut raw = key_map(&Key::new("p", "s"));
        raw.insert(VERSION.to_owned(), AttributeValue::S("nope".to_owned()));
        assert!(matches!(
            decode_item("t", raw),
            Err(ReadStoreError::Corrupt { key, .. }) if key == Key::new("p", "s")
        ));
    }

    #[test]
    fn updates_name_every_attribute_and_let_set_win_over_remove() {
        let patch = Patch {
            key: Key::new("p", "s"),
            set: Attrs::from([("name".to_owned(), json!("x"))]),
            remove: vec!["name".to_owned(), "size".to_owned(), "size".to_owned()],
        };
        let u = update(&patch, "V".to_owned()).unwrap();
        assert_eq!(u.expression, "SET #v = :v, #a0 = :a0 REMOVE #r0");
        assert_eq!(u.names["#a0"], "name");
        assert_eq!(u.names["#r0"], "size");
        assert_eq!(u.values[":v"], AttributeValue::S("V".to_owned()));
    }

    #[test]
    fn reserved_attributes_are_rejected() {
        for name in RESERVED_ATTRIBUTES {
            let set = Patch::set(
                Key::new("p", "s"),
                Attrs::from([(name.to_owned(), json!(1))]),
            );
            assert!(matches!(
                update(&set, "V".to_owned()),
                Err(ReadStoreError::Request(_))
            ));
            let remove = Patch {
                key: Key::new("p", "s"),
                set: Attrs::new(),
                remove: vec![name.to_owned()],
            };
            assert!(matches!(
                update(&remove, "V".to_owned()),
                Err(ReadStoreError::Request(_))
            ));
        }
    }
}
