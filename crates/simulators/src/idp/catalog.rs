//! The vocabulary of a simulated directory: people's names, departments and titles,
//! offices, group naming patterns, the SaaS applications a company signs in to, and the
//! kinds of policy an IdP keeps. Vendor-neutral: vendor folders map these onto their enums.

/// Given names (60): with the surnames and a numeric suffix, a million distinct logins.
pub const FIRST_NAMES: &[&str] = &[
    "Aaliyah",
    "Adam",
    "Aisha",
    "Alejandro",
    "Amara",
    "Andrei",
    "Anna",
    "Arjun",
    "Astrid",
    "Ben",
    "Carmen",
    "Chen",
    "Chloe",
    "Daniel",
    "Dmitri",
    "Elena",
    "Emeka",
    "Emma",
    "Farah",
    "Felix",
    "Fatima",
    "Gabriel",
    "Grace",
    "Hana",
    "Hiro",
    "Ibrahim",
    "Ines",
    "Isaac",
    "Jamal",
    "Julia",
    "Kai",
    "Kenji",
    "Lars",
    "Leila",
    "Liam",
    "Lucia",
    "Marco",
    "Maya",
    "Mei",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Olga",
    "Omar",
    "Pablo",
    "Priya",
    "Quinn",
    "Rafael",
    "Rosa",
    "Samir",
    "Sofia",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
];

/// Surnames (60).
pub const LAST_NAMES: &[&str] = &[
    "Adams",
    "Ahmed",
    "Andersen",
    "Bauer",
    "Becker",
    "Brandt",
    "Castro",
    "Chen",
    "Costa",
    "Das",
    "Diaz",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Hansen",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Jones",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lindqvist",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Petrov",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Nowak",
    "Wagner",
    "Wang",
    "Weber",
    "Williams",
    "Wilson",
    "Wright",
    "Yamamoto",
    "Zhang",
    "Zimmermann",
];

/// Departments with the job titles found in them.
pub const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Engineering Manager",
            "Site Reliability Engineer",
        ],
    ),
    (
        "Product",
        &[
            "Product Manager",
            "Senior Product Manager",
            "Product Designer",
        ],
    ),
    (
        "Sales",
        &[
            "Account Executive",
            "Sales Development Representative",
            "Sales Engineer",
            "Regional Sales Director",
        ],
    ),
    (
        "Marketing",
        &["Marketing Manager", "Content Strategist", "Growth Analyst"],
    ),
    (
        "Finance",
        &[
            "Financial Analyst",
            "Controller",
            "Accounts Payable Specialist",
        ],
    ),
    (
        "People",
        &[
            "HR Business Partner",
            "Recruiter",
            "People Operations Specialist",
        ],
    ),
    (
        "IT",
        &[
            "IT Support Specialist",
            "Systems Administrator",
            "IT Manager",
        ],
    ),
    (
        "Security",
        &["Security Engineer", "Security Analyst", "CISO"],
    ),
    ("Legal", &["Counsel", "Paralegal"]),
    (
        "Customer Success",
        &[
            "Customer Success Manager",
            "Support Engineer",
            "Support Team Lead",
        ],
    ),
    (
        "Operations",
        &[
            "Operations Manager",
            "Business Analyst",
            "Facilities Coordinator",
        ],
    ),
    (
        "Data",
        &["Data Engineer", "Data Scientist", "Analytics Manager"],
    ),
];

/// Offices: (city, ISO country code, phone prefix, preferred language).
pub const OFFICES: &[(&str, &str, &str, &str)] = &[
    ("San Francisco", "US", "+1 415 555", "en-US"),
    ("New York", "US", "+1 212 555", "en-US"),
    ("Austin", "US", "+1 512 555", "en-US"),
    ("London", "GB", "+44 20 7946", "en-GB"),
    ("Berlin", "DE", "+49 30 901820", "de-DE"),
    ("Paris", "FR", "+33 1 99 00", "fr-FR"),
    ("Toronto", "CA", "+1 416 555", "en-CA"),
    ("Singapore", "SG", "+65 6555", "en-SG"),
    ("Tokyo", "JP", "+81 3 5555", "ja-JP"),
    ("Sydney", "AU", "+61 2 5550", "en-AU"),
];

/// Tenant (company) names: one per seed, the login domain `<name>.example.com`.
pub const COMPANIES: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wonka",
    "soylent",
    "tyrell",
    "cyberdyne",
    "aperture",
    "gringotts",
];

/// Group naming patterns; `{d}` is a department, `{c}` an office city, `{a}` an app.
pub const GROUP_PATTERNS: &[&str] = &[
    "{d}",
    "{d} Managers",
    "{d} - {c}",
    "sg-{d}-admins",
    "app-{a}-users",
    "All {c} Staff",
    "{d} Contractors",
    "vpn-{c}",
];

/// An application in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppEntry {
    /// What users see (Okta `label`, Entra `displayName`).
    pub label: &'static str,
    /// Okta's integration key (`name`), e.g. `salesforce`.
    pub key: &'static str,
    /// How users sign in to it.
    pub sign_on: SignOn,
}

/// How users sign in to an application (Okta `signOnMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOn {
    Saml2,
    Oidc,
    Bookmark,
    SecurePasswordStore,
    WsFederation,
}

const fn app(label: &'static str, key: &'static str, sign_on: SignOn) -> AppEntry {
    AppEntry {
        label,
        key,
        sign_on,
    }
}

/// Applications a company uses, most common first.
pub const APPS: &[AppEntry] = &[
    app("Okta Admin Console", "saasure", SignOn::Oidc),
    app("Okta Dashboard", "okta_enduser", SignOn::Oidc),
    app("Microsoft Office 365", "office365", SignOn::WsFederation),
    app("Salesforce.com", "salesforce", SignOn::Saml2),
    app("Slack", "slack", SignOn::Saml2),
    app("Google Workspace", "google", SignOn::Saml2),
    app("GitHub Enterprise Cloud", "githubcloud", SignOn::Saml2),
    app("AWS IAM Identity Center", "amazon_aws_sso", SignOn::Saml2),
    app("Zoom", "zoomus", SignOn::Saml2),
    app("Atlassian Cloud", "atlassian", SignOn::Saml2),
    app("Workday", "workday", SignOn::Saml2),
    app("Box", "boxnet", SignOn::Saml2),
    app("ServiceNow", "servicenow_ud", SignOn::Saml2),
    app("Zendesk", "zendesk", SignOn::Saml2),
    app("DocuSign", "docusign", SignOn::Saml2),
    app("Tableau Cloud", "tableau_online", SignOn::Saml2),
    app("Internal HR Portal", "oidc_client", SignOn::Oidc),
    app("Expense Reports", "oidc_client", SignOn::Oidc),
    app("Company Wiki", "bookmark", SignOn::Bookmark),
    app(
        "Legacy Payroll",
        "template_swa",
        SignOn::SecurePasswordStore,
    ),
];

/// Okta's policy types, in the order the first policies (each type's default) use them.
pub const POLICY_TYPES: &[&str] = &[
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "IDP_DISCOVERY",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "POST_AUTH_SESSION",
    "ENTITY_RISK",
    "DEVICE_SIGNAL_COLLECTION",
];

/// Names of custom (non-default) policies.
pub const POLICY_NAMES: &[&str] = &[
    "Contractors",
    "Administrators",
    "High Risk Apps",
    "Engineering",
    "Remote Workers",
    "Service Accounts",
    "Executives",
    "Legacy Apps",
];
