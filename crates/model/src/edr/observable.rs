use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// OCSF observable type (`type_id` and its `type` name), the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservableType {
    Unknown,
    Hostname,
    IpAddress,
    MacAddress,
    UserName,
    EmailAddress,
    UrlString,
    FileName,
    Hash,
    ProcessName,
    ResourceUid,
    Port,
    Subnet,
    CommandLine,
    Country,
    ProcessId,
    HttpUserAgent,
    CweUid,
    CveUid,
    UserCredentialId,
    Endpoint,
    User,
    Email,
    Url,
    File,
    Process,
    GeoLocation,
    Container,
    RegistryKey,
    RegistryValue,
    Fingerprint,
    Other,
}

use ObservableType as O;

const TABLE: [(ObservableType, u8, &str); 32] = [
    (O::Unknown, 0, "UNKNOWN"),
    (O::Hostname, 1, "HOSTNAME"),
    (O::IpAddress, 2, "IP_ADDRESS"),
    (O::MacAddress, 3, "MAC_ADDRESS"),
    (O::UserName, 4, "USER_NAME"),
    (O::EmailAddress, 5, "EMAIL_ADDRESS"),
    (O::UrlString, 6, "URL_STRING"),
    (O::FileName, 7, "FILE_NAME"),
    (O::Hash, 8, "HASH"),
    (O::ProcessName, 9, "PROCESS_NAME"),
    (O::ResourceUid, 10, "RESOURCE_UID"),
    (O::Port, 11, "PORT"),
    (O::Subnet, 12, "SUBNET"),
    (O::CommandLine, 13, "COMMAND_LINE"),
    (O::Country, 14, "COUNTRY"),
    (O::ProcessId, 15, "PROCESS_ID"),
    (O::HttpUserAgent, 16, "HTTP_USER_AGENT"),
    (O::CweUid, 17, "CWE_UID"),
    (O::CveUid, 18, "CVE_UID"),
    (O::UserCredentialId, 19, "USER_CREDENTIAL_ID"),
    (O::Endpoint, 20, "ENDPOINT"),
    (O::User, 21, "USER"),
    (O::Email, 22, "EMAIL"),
    (O::Url, 23, "URL"),
    (O::File, 24, "FILE"),
    (O::Process, 25, "PROCESS"),
    (O::GeoLocation, 26, "GEO_LOCATION"),
    (O::Container, 27, "CONTAINER"),
    (O::RegistryKey, 28, "REGISTRY_KEY"),
    (O::RegistryValue, 29, "REGISTRY_VALUE"),
    (O::Fingerprint, 30, "FINGERPRINT"),
    (O::Other, 99, "OTHER"),
];

impl ObservableType {
    pub const ALL: [ObservableType; 32] = {
        let mut all = [O::Unknown; 32];
        let mut i = 0;
        while i < 32 {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (ObservableType, u8, &'static str) {
        TABLE
            .iter()
            .find(|(t, _, _)| *t == self)
            .unwrap_or(&TABLE[0])
    }

    /// The OCSF `type_id`.
    pub fn type_id(self) -> u8 {
        self.row().1
    }

    /// The documented `type` name, e.g. `IP_ADDRESS`.
    pub fn name(self) -> &'static str {
        self.row().2
    }

    pub fn from_type_id(id: u8) -> Option<ObservableType> {
        TABLE.iter().find(|(_, i, _)| *i == id).map(|r| r.0)
    }

    pub fn from_name(name: &str) -> Option<ObservableType> {
        TABLE.iter().find(|(_, _, n)| *n == name).map(|r| r.0)
    }
}

/// `type_id` in the OpenAPI document: the OCSF ids, as the table above lists them.
fn type_id_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int32,
        )))
        .enum_values(Some(TABLE.iter().map(|(_, id, _)| *id)))
        .build()
}

/// `type` in the OpenAPI document: the names that go with the ids.
fn type_name_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(TABLE.iter().map(|(_, _, name)| *name)))
        .build()
}

impl fmt::Display for ObservableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An OCSF observable attached to an alert: `{name, type_id, type, value}`.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
pub struct Observable {
    /// The full name of the observable attribute, e.g. `file.hashes.sha256`.
    pub name: String,
    /// The OCSF type id (0–30 or 99).
    #[schema(schema_with = type_id_schema)]
    pub type_id: ObservableType,
    /// The type's name, e.g. `HASH`.
    #[schema(rename = "type", schema_with = type_name_schema)]
    pub value_type: ObservableType,
    pub value: String,
}

impl Observable {
    pub fn new(name: impl Into<String>, kind: ObservableType, value: impl Into<String>) -> Self {
        Observable {
            name: name.into(),
            type_id: kind,
            value_type: kind,
            value: value.into(),
        }
    }

    pub fn kind(&self) -> ObservableType {
        self.type_id
    }
}

#[derive(Serialize, Deserialize)]
struct ObservableWire<'a> {
    name: std::borrow::Cow<'a, str>,
    type_id: u8,
    #[serde(rename = "type")]
    kind: std::borrow::Cow<'a, str>,
    value: std::borrow::Cow<'a, str>,
}

impl Serialize for Observable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ObservableWire {
            name: self.name.as_str().into(),
            type_id: self.type_id.type_id(),
            kind: self.type_id.name().into(),
            value: self.value.as_str().into(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Observable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = ObservableWire::deserialize(d)?;
        let kind = ObservableType::from_type_id(w.type_id).ok_or_else(|| {
            de::Error::custom(format!("unknown observable type_id {}", w.type_id))
        })?;
        if kind.name() != w.kind {
            return Err(de::Error::custom(format!(
                "observable type `{}` does not match type_id {}",
                w.kind, w.type_id
            )));
        }
        Ok(Observable::new(
            w.name.into_owned(),
            kind,
            w.value.into_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_the_documented_ones() {
        assert_eq!(ObservableType::ALL.len(), 32);
        for (i, t) in ObservableType::ALL.iter().enumerate() {
            let expected_id = if i == 31 { 99 } else { i as u8 };
            assert_eq!(t.type_id(), expected_id);
            assert_eq!(ObservableType::from_name(t.name()), Some(*t));
        }
        let o = Observable::new("device.ip", ObservableType::IpAddress, "10.0.0.1");
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "device.ip", "type_id": 2, "type": "IP_ADDRESS", "value": "10.0.0.1"})
        );
        let back: Observable = serde_json::from_value(v).unwrap();
        assert_eq!(back, o);
    }
}
