//! The identity enums, upper case on the wire like the other enums of the documented API.
//! The documented pages show none of their values: every value here is Tributary's design
//! (`docs/idp.md` says how each vendor's values map).

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Whether a user can sign in, normalized across providers.
    IdpUserStatus {
        /// Can sign in (Okta `ACTIVE`, `PASSWORD_EXPIRED`, `RECOVERY`; Entra enabled).
        Active = "ACTIVE",
        /// Created but not activated yet (Okta `STAGED`, `PROVISIONED`).
        Pending = "PENDING",
        /// Locked out after failed sign-ins (Okta `LOCKED_OUT`).
        Locked = "LOCKED",
        /// Suspended by an administrator (Okta `SUSPENDED`).
        Suspended = "SUSPENDED",
        /// Sign-in blocked (Entra `accountEnabled: false`).
        Disabled = "DISABLED",
        /// Deactivated; kept by the provider but with no access (Okta `DEPROVISIONED`).
        Deprovisioned = "DEPROVISIONED",
        Unknown = "UNKNOWN",
    }
}

wire_enum! {
    /// What kind of group it is; a group can be several (`types[]`).
    IdpGroupType {
        /// Created and managed in the identity provider (Okta `OKTA_GROUP`).
        Native = "NATIVE",
        /// Imported from an application or a directory (Okta `APP_GROUP`, e.g. Active
        /// Directory).
        Application = "APPLICATION",
        /// Maintained by the provider itself (Okta `BUILT_IN`, e.g. Everyone).
        BuiltIn = "BUILT_IN",
        /// Grants access to resources (Entra `securityEnabled`).
        Security = "SECURITY",
        /// Mail-enabled (Entra `mailEnabled`).
        Distribution = "DISTRIBUTION",
        /// A Microsoft 365 group (Entra `groupTypes: Unified`).
        Microsoft365 = "MICROSOFT_365",
        /// Members computed from a rule (Entra `groupTypes: DynamicMembership`).
        Dynamic = "DYNAMIC",
        /// Synchronized from an on-premises directory (Entra `onPremisesSyncEnabled`).
        Synced = "SYNCED",
        Other = "OTHER",
    }
}

wire_enum! {
    /// Whether an application is in use (the vendor's own value is `vendor_status`).
    IdpApplicationStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
        Unknown = "UNKNOWN",
    }
}

wire_enum! {
    /// What a policy governs (the vendor's own value is `vendor_type`).
    IdpPolicyType {
        /// Who may sign in, from where, with which factors (Okta `OKTA_SIGN_ON`).
        SignOn = "SIGN_ON",
        Password = "PASSWORD",
        /// Which factors users must enroll (Okta `MFA_ENROLL`).
        MfaEnrollment = "MFA_ENROLLMENT",
        /// Access to applications (Okta `ACCESS_POLICY`).
        Access = "ACCESS",
        /// Entra conditional access.
        ConditionalAccess = "CONDITIONAL_ACCESS",
        /// Which identity provider a user signs in with (Okta `IDP_DISCOVERY`).
        IdpDiscovery = "IDP_DISCOVERY",
        /// Self-service registration (Okta `PROFILE_ENROLLMENT`).
        ProfileEnrollment = "PROFILE_ENROLLMENT",
        /// Sessions after sign-in (Okta `POST_AUTH_SESSION`).
        Session = "SESSION",
        /// Responses to risk (Okta `ENTITY_RISK`).
        Risk = "RISK",
        Other = "OTHER",
    }
}

wire_enum! {
    /// Whether a policy is enforced.
    IdpPolicyStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
        /// Evaluated and logged, not enforced (Entra `enabledForReportingButNotEnforced`).
        ReportOnly = "REPORT_ONLY",
        Unknown = "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for s in IdpUserStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(IdpUserStatus::parse(&s.as_str().to_lowercase()), Some(*s));
        }
        assert_eq!(
            IdpGroupType::parse("microsoft_365"),
            Some(IdpGroupType::Microsoft365)
        );
        assert_eq!(
            serde_json::to_value(IdpPolicyType::MfaEnrollment).unwrap(),
            "MFA_ENROLLMENT"
        );
        assert_eq!(
            IdpPolicyStatus::parse("report_only"),
            Some(IdpPolicyStatus::ReportOnly)
        );
        assert_eq!(IdpApplicationStatus::parse("deleted"), None);
    }
}
