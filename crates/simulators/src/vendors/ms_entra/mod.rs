//! Microsoft Entra ID. For now only its login host, which Defender for Endpoint uses too.

pub(crate) mod login;
