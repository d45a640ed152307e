//! The normalized EDR records served by `/v1/edr/*`, exactly as seed `002` documents them:
//! every field is always present (null when unknown) and every enum uses the listed values.

mod alert;
mod device;
mod mapped;
mod mitre;
mod observable;

pub use alert::{Alert, AlertSeverity, AlertStatus};
pub use device::{
    AdInfo, AgentInfo, CloudMetadata, CloudProvider, Device, DeviceGroup, DeviceStatus, Identity,
    Platform, SourceVendorInfo, Tag,
};
pub use mapped::{MappedAlert, MappedDevice};
pub use mitre::{MitreTactic, MitreTechnique};
pub use observable::{Observable, ObservableType};
