//! The envelope pass: one scan of a resource's JSON that reads what decides how the resource is
//! used, without building a model. For any resource: `resourceType`, `id`, the subject reference
//! and `code`; for a Bundle also its `link[next]` and its entries, as byte spans of the same
//! text. Only the resources the mapping reads are then parsed by fhirbolt (see `index`).
//!
//! Every field is read in one serde pass; the rest of the resource is skipped, not modelled.
//! Wrongly shaped input (a `subject` that is a string, an `entry` that is an object) fails that
//! pass, and the head is then read field by field, leniently, exactly as before the fast path
//! existed: a malformed resource costs more, a well-formed one costs one scan.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// What the envelope pass reads of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `resourceType`, when present and a string.
    pub resource_type: Option<String>,
    /// `id`, when present and a string.
    pub id: Option<String>,
    /// `subject`, and `patient` (an AllergyIntolerance's subject), when present.
    pub subject: Option<SubjectHead>,
    /// `patient`, when present.
    pub patient: Option<SubjectHead>,
    /// `code`, as far as it could be read.
    pub code: CodeHead,
    /// The URL of `link` with relation `next` (a searchset Bundle with more pages).
    pub next_link: Option<String>,
    /// Whether some `link` has relation `next` (even one without a URL).
    pub has_next_relation: bool,
    /// A Bundle's entries with a resource, as sent; `Err` says why they cannot be read.
    pub entries: Result<Vec<EntrySpan>, String>,
}

/// A reference to whom a resource is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectHead {
    /// `reference`, when a string.
    pub reference: Option<String>,
    /// Whether an `identifier` is given.
    pub has_identifier: bool,
}

/// A resource's `code` (a CodeableConcept) as far as the envelope reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CodeHead {
    /// No `code`.
    #[default]
    Absent,
    /// The codings (`system`, `code`, `display`) and `text`.
    Concept {
        /// `coding[]`.
        codings: Vec<CodingHead>,
        /// `text`.
        text: Option<String>,
    },
    /// A `code` of the wrong shape: only fhirbolt can say what is wrong with it.
    Unreadable,
}

/// One coding of a `code`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CodingHead {
    /// `system`.
    pub system: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `display`.
    pub display: Option<String>,
}

/// One Bundle entry: its `fullUrl` and where its `resource` is in the Bundle's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySpan {
    /// `entry.fullUrl`.
    pub full_url: Option<String>,
    /// The byte range of `entry.resource` in the Bundle's JSON text.
    pub resource: Range<usize>,
}

impl Default for Head {
    fn default() -> Head {
        Head {
            resource_type: None,
            id: None,
            subject: None,
            patient: None,
            code: CodeHead::Absent,
            next_link: None,
            has_next_relation: false,
            entries: Ok(Vec::new()),
        }
    }
}

impl Head {
    /// The text of each entry's resource in `bundle` (the text this head was read from).
    pub fn entry_texts<'a>(
        &'a self,
        bundle: &'a str,
    ) -> impl Iterator<Item = (&'a EntrySpan, &'a str)> + 'a {
        let entries = self.entries.as_deref().unwrap_or(&[]);
        entries
            .iter()
            .filter_map(move |entry| Some((entry, bundle.get(entry.resource.clone())?)))
    }
}

/// Reads the head of a resource's JSON text (any JSON: a non-object gives an empty head).
pub fn read_head(text: &str) -> Head {
    match serde_json::from_str::<Object<WireHead<'_>>>(text) {
        Ok(Object(wire)) => wire.into_head(text),
        Err(_) => lenient_head(text),
    }
}

/// The fast path: every field in one pass, in the shapes FHIR gives them.
#[derive(Deserialize)]
struct WireHead<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<Value>,
    id: Option<Value>,
    subject: Option<Object<WireSubject>>,
    patient: Option<Object<WireSubject>>,
    code: Option<Object<WireCode>>,
    #[serde(borrow)]
    link: Option<&'a RawValue>,
    #[serde(default, borrow)]
    entry: Vec<Object<WireEntry<'a>>>,
}

/// A JSON object read as `T`. serde's derived structs also accept an array, read field by
/// position; no FHIR element is written so, and reading `"subject": ["Patient/1"]` as a
/// reference would be wrong.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

#[derive(Deserialize)]
struct WireSubject {
    reference: Option<String>,
    identifier: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct WireCode {
    #[serde(default)]
    coding: Vec<Object<CodingHead>>,
    text: Option<String>,
}

impl WireCode {
    fn into_head(self) -> CodeHead {
        CodeHead::Concept {
            codings: self
                .coding
                .into_iter()
                .map(|Object(coding)| coding)
                .collect(),
            text: self.text,
        }
    }
}

#[derive(Deserialize)]
struct WireEntry<'a> {
    #[serde(rename = "fullUrl")]
    full_url: Option<String>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireLink {
    relation: Option<String>,
    url: Option<String>,
}

impl WireHead<'_> {
    fn into_head(self, text: &str) -> Head {
        let (next_link, has_next_relation) = self.link.map_or((None, false), next_of);
        let entries = self
            .entry
            .into_iter()
            .filter_map(|Object(entry)| {
                let resource = entry.resource?;
                Some(EntrySpan {
                    full_url: entry.full_url,
                    resource: span_in(text, resource.get())?,
                })
            })
            .collect();
        Head {
            resource_type: string(self.resource_type),
            id: string(self.id),
            subject: self.subject.map(|Object(subject)| subject.into_head()),
            patient: self.patient.map(|Object(subject)| subject.into_head()),
            code: self
                .code
                .map_or(CodeHead::Absent, |Object(code)| code.into_head()),
            next_link,
            has_next_relation,
            entries: Ok(entries),
        }
    }
}

impl WireSubject {
    fn into_head(self) -> SubjectHead {
        SubjectHead {
            reference: self.reference,
            has_identifier: self.identifier.is_some(),
        }
    }
}

/// Where `part` (borrowed from `whole` by the parser) lies in `whole`.
fn span_in(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let range = start..start + part.len();
    // Borrowed from `whole`, so always inside it; checked rather than trusted.
    (whole.get(range.clone())?.as_ptr() == part.as_ptr()).then_some(range)
}

fn string(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// The `next` link of a `link` array; a `link` of another shape has none.
fn next_of(links: &RawValue) -> (Option<String>, bool) {
    let Ok(links) = serde_json::from_str::<Vec<Object<WireLink>>>(links.get()) else {
        return (None, false);
    };
    let mut next = links
        .into_iter()
        .map(|Object(link)| link)
        .filter(|link| link.relation.as_deref() == Some("next"));
    match next.next() {
        Some(first) => (first.url, true),
        None => (None, false),
    }
}

/// The slow path for wrongly shaped input: each field on its own, each failure local.
fn lenient_head(text: &str) -> Head {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Head::default();
    };
    // `null` is no value, as an `Option` reads it on the fast path.
    let field = |name: &str| object.get(name).filter(|value| !value.is_null()).cloned();
    let (next_link, has_next_relation) = match field("link") {
        Some(links) => {
            serde_json::value::to_raw_value(&links).map_or((None, false), |raw| next_of(&raw))
        }
        None => (None, false),
    };
    Head {
        resource_type: string(field("resourceType")),
        id: string(field("id")),
        subject: field("subject").and_then(lenient_subject),
        patient: field("patient").and_then(lenient_subject),
        code: match field("code") {
            None => CodeHead::Absent,
            Some(code) => serde_json::from_value::<Object<WireCode>>(code)
                .map_or(CodeHead::Unreadable, |Object(code)| code.into_head()),
        },
        next_link,
        has_next_relation,
        entries: lenient_entries(text),
    }
}

fn lenient_subject(subject: Value) -> Option<SubjectHead> {
    let Value::Object(subject) = subject else {
        return None;
    };
    Some(SubjectHead {
        reference: string(subject.get("reference").cloned()),
        has_identifier: subject.get("identifier").is_some_and(|id| !id.is_null()),
    })
}

/// A Bundle's entries as the envelope alone (the reason when its shape is wrong).
fn lenient_entries(text: &str) -> Result<Vec<EntrySpan>, String> {
    #[derive(Deserialize)]
    struct Entries<'a> {
        #[serde(default, borrow)]
        entry: Vec<Object<WireEntry<'a>>>,
    }
    let Object(entries): Object<Entries<'_>> =
        serde_json::from_str(text).map_err(|error| error.to_string())?;
    Ok(entries
        .entry
        .into_iter()
        .filter_map(|Object(entry)| {
            Some(EntrySpan {
                full_url: entry.full_url,
                resource: span_in(text, entry.resource?.get())?,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_head_gives_its_entries_and_next_link_in_one_pass() {
        let bundle = r#"{"resourceType":"Bundle","type":"searchset",
          "link":[{"relation":"self","url":"https://ehr/fhir/Observation"},
                  {"relation":"next","url":"https://ehr/fhir/Observation?page=2"}],
          "entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation","id":"o1"}},
                   {"search":{"mode":"outcome"}},
                   {"resource":{"resourceType":"Patient","id":"p1"}}]}"#;
        let head = read_head(bundle);
        assert_eq!(head.resource_type.as_deref(), Some("Bundle"));
        assert_eq!(
            head.next_link.as_deref(),
            Some("https://ehr/fhir/Observation?page=2")
        );
        let texts: Vec<_> = head
            .entry_texts(bundle)
            .map(|(entry, text)| (entry.full_url.clone(), text.to_owned()))
            .collect();
        assert_eq!(
            texts,
            [
                (
                    Some("urn:uuid:1".to_owned()),
                    r#"{"resourceType":"Observation","id":"o1"}"#.to_owned()
                ),
                (None, r#"{"resourceType":"Patient","id":"p1"}"#.to_owned()),
            ]
        );
    }

    #[test]
    fn a_resource_head_gives_type_id_subject_and_code() {
        let head = read_head(
            r#"{"resourceType":"Observation","id":"o1","status":"final",
              "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}],"text":"Weight"},
              "subject":{"reference":"Patient/p1","display":"A child"},"valueQuantity":{"value":16}}"#,
        );
        assert_eq!(head.id.as_deref(), Some("o1"));
        assert_eq!(
            head.subject,
            Some(SubjectHead {
                reference: Some("Patient/p1".into()),
                has_identifier: false
            })
        );
        let CodeHead::Concept { codings, text } = head.code else {
            panic!("code not read");
        };
        assert_eq!(codings[0].code.as_deref(), Some("29463-7"));
        assert_eq!(text.as_deref(), Some("Weight"));
        assert_eq!(head.entries, Ok(Vec::new()));
    }

    #[test]
    fn wrongly_shaped_fields_are_read_one_by_one() {
        let head = read_head(
            r#"{"resourceType":"Observation","id":7,"code":[],"subject":{"identifier":{"value":"MRN1"}}}"#,
        );
        assert_eq!(head.resource_type.as_deref(), Some("Observation"));
        assert_eq!(head.id, None);
        assert_eq!(head.code, CodeHead::Unreadable);
        assert_eq!(
            head.subject,
            Some(SubjectHead {
                reference: None,
                has_identifier: true
            })
        );
        // An array is not an object read field by field (as serde's derived structs would).
        let positional = read_head(r#"{"resourceType":"Observation","subject":["Patient/p1"]}"#);
        assert_eq!(positional.subject, None);
        let bundle = read_head(r#"{"resourceType":"Bundle","entry":{"resource":{}}}"#);
        assert!(bundle.entries.is_err());
        assert_eq!(read_head("[1,2]"), read_head("7"));
        assert_eq!(read_head("[1,2]").resource_type, None);
    }

    #[test]
    fn escaped_strings_and_duplicate_keys_still_give_the_same_answer_as_before() {
        let head = read_head(r#"{"resourceType":"Pat\u0069ent","id":"p\"1"}"#);
        assert_eq!(head.resource_type.as_deref(), Some("Patient"));
        assert_eq!(head.id.as_deref(), Some("p\"1"));
        // The one-pass reader refuses a duplicate field; the lenient path keeps the last one.
        let duplicate = read_head(r#"{"resourceType":"Patient","id":"a","id":"b"}"#);
        assert_eq!(duplicate.id.as_deref(), Some("b"));
    }

    mod fast_path {
        use super::*;
        use proptest::prelude::*;

        /// JSON shaped like FHIR, with the field names the envelope reads at every level, and
        /// wrongly shaped values among them.
        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i32>().prop_map(Value::from),
                prop_oneof![
                    Just("Bundle"),
                    Just("Observation"),
                    Just("Patient/p1"),
                    Just("next"),
                    Just("https://ehr/fhir?page=2"),
                    Just("caf\u{e9} \"quoted\""),
                ]
                .prop_map(Value::from),
            ];
            let key = prop_oneof![
                Just("resourceType"),
                Just("id"),
                Just("subject"),
                Just("patient"),
                Just("code"),
                Just("coding"),
                Just("text"),
                Just("system"),
                Just("display"),
                Just("reference"),
                Just("identifier"),
                Just("link"),
                Just("relation"),
                Just("url"),
                Just("entry"),
                Just("fullUrl"),
                Just("resource"),
                Just("status"),
            ];
            leaf.prop_recursive(5, 64, 6, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(key.clone(), inner, 0..6).prop_map(|fields| {
                        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                    }),
                ]
            })
        }

        proptest! {
            #[test]
            fn the_one_pass_reader_answers_as_the_field_by_field_reader(value in json()) {
                let text = value.to_string();
                prop_assert_eq!(read_head(&text), lenient_head(&text));
            }
        }
    }
}
