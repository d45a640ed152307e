//! Host, operating-system, directory and cloud facts that every vendor reports in its
//! own way.

/// Host names and FQDNs from a vendor's host name and (optional) domain.
///
/// A dotted host name (`ws-7.corp.example`, `CLM101-131.local`) is an FQDN: its first
/// label is the host name. Otherwise the host name is joined with `domain` when that is
/// a DNS domain (it has a dot); NetBIOS names (`CORP`) and `WORKGROUP` make no FQDN.
/// FQDNs are lowercased (DNS is case-insensitive); host names keep the vendor's case.
pub fn host_names(host: Option<&str>, domain: Option<&str>) -> (Vec<String>, Vec<String>) {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return (vec![], vec![]);
    };
    let host = host.trim_end_matches('.');
    if let Some((short, _)) = host.split_once('.') {
        if short.is_empty() {
            return (vec![], vec![]);
        }
        return (vec![short.to_owned()], vec![host.to_ascii_lowercase()]);
    }
    let fqdn = domain
        .map(|d| d.trim().trim_matches('.'))
        .filter(|d| d.contains('.'))
        .map(|d| format!("{host}.{d}").to_ascii_lowercase());
    (vec![host.to_owned()], fqdn.into_iter().collect())
}

/// The platform an operating system's name says (`Windows Server 2019`, `Ubuntu 22.04`,
/// `macOS 14`, `Linux Kernel 4.8 on Ubuntu 16.04`); unknown otherwise.
pub fn platform_of_os(os: &str) -> tributary_model::edr::Platform {
    use tributary_model::edr::Platform;
    let os = os.to_ascii_lowercase();
    if os.contains("windows") {
        Platform::Windows
    } else if ["mac os", "macos", "os x", "darwin"]
        .iter()
        .any(|m| os.contains(m))
    {
        Platform::Mac
    } else if [
        "linux", "ubuntu", "debian", "centos", "red hat", "rhel", "suse", "fedora", "amazon",
        "oracle", "alpine", "rocky", "alma",
    ]
    .iter()
    .any(|m| os.contains(m))
    {
        Platform::Linux
    } else {
        Platform::Unknown
    }
}

/// Major and minor version from the first dotted number in `s` (`Ubuntu 22.04.3 LTS` →
/// `22`, `04`; `9.5` → `9`, `5`). None when `s` has no dotted number: a build number or
/// a release name (`22H2`) is not a major/minor version.
pub fn version_parts(s: &str) -> (Option<String>, Option<String>) {
    let token = s
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_matches('.'))
        .find(|t| t.contains('.') && t.split('.').all(|p| !p.is_empty()));
    match token.and_then(|t| t.split_once('.')) {
        Some((major, rest)) => {
            let minor = rest.split('.').next().unwrap_or(rest);
            (Some(major.to_owned()), Some(minor.to_owned()))
        }
        None => (None, None),
    }
}

/// Domain names that are not Active Directory domains: the workgroup, the built-in
/// Windows authorities, and the host's own name (a local account).
pub fn ad_domain(domain: Option<String>, host: Option<&str>) -> Option<String> {
    const NOT_AD: [&str; 6] = [
        "WORKGROUP",
        "NT AUTHORITY",
        "NT SERVICE",
        "BUILTIN",
        "WINDOW MANAGER",
        ".",
    ];
    let d = domain?;
    let d = d.trim();
    let local = host
        .map(|h| h.split('.').next().unwrap_or(h))
        .is_some_and(|h| h.eq_ignore_ascii_case(d));
    let builtin = NOT_AD.iter().any(|n| n.eq_ignore_ascii_case(d));
    (!d.is_empty() && !local && !builtin).then(|| d.to_owned())
}

/// `DOMAIN\user` when both are known, else the user alone; an already qualified
/// name (`DOMAIN\user`, `user@domain`) is kept as it is.
pub fn qualified_user(domain: Option<&str>, user: Option<&str>) -> Option<String> {
    let user = user.map(str::trim).filter(|u| !u.is_empty())?;
    if user.contains('\\') || user.contains('@') {
        return Some(user.to_owned());
    }
    match domain.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(format!("{d}\\{user}")),
        None => Some(user.to_owned()),
    }
}

/// The domain of a `DOMAIN\user` name.
pub fn user_domain(user: &str) -> Option<String> {
    user.split_once('\\')
        .map(|(d, _)| d.trim().to_owned())
        .filter(|d| !d.is_empty())
}

/// The organizational unit path, outermost first and `/`-separated
/// (`Corp/Finance`), from a distinguished name (`CN=pc,OU=Finance,OU=Corp,DC=…`).
pub fn org_unit_from_dn(dn: &str) -> Option<String> {
    let mut ous: Vec<&str> = dn
        .split(',')
        .filter_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            k.trim().eq_ignore_ascii_case("OU").then(|| v.trim())
        })
        .filter(|v| !v.is_empty())
        .collect();
    ous.reverse();
    (!ous.is_empty()).then(|| ous.join("/"))
}

/// The organizational unit path from a list of OUs given outermost first.
pub fn org_unit_from_list(ous: &[String]) -> Option<String> {
    (!ous.is_empty()).then(|| ous.join("/"))
}

/// (region, availability zone) from an AWS location that is either a zone
/// (`us-east-1a`) or a region (`us-east-1`).
pub fn aws_location(location: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(l) = location.map(str::trim).filter(|l| !l.is_empty()) else {
        return (None, None);
    };
    if l.ends_with(|c: char| c.is_ascii_digit()) {
        return (Some(l.to_owned()), None);
    }
    let region = l.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if region.ends_with(|c: char| c.is_ascii_digit()) {
        (Some(region.to_owned()), Some(l.to_owned()))
    } else {
        (None, None)
    }
}

/// The parts of an EC2 instance ARN (`arn:aws:ec2:<region>:<account>:instance/<id>`):
/// (region, account, instance id), each None when empty.
pub fn ec2_arn(arn: &str) -> (Option<String>, Option<String>, Option<String>) {
    let parts: Vec<&str> = arn.trim().splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "ec2" {
        return (None, None, None);
    }
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let instance = parts[5].strip_prefix("instance/").and_then(some);
    (some(parts[3]), some(parts[4]), instance)
}

/// True for a Windows SID (`S-1-5-21-…`).
pub fn is_sid(s: &str) -> bool {
    let mut parts = s.trim().split('-');
    parts.next().is_some_and(|p| p.eq_ignore_ascii_case("S"))
        && parts.next() == Some("1")
        && parts.clone().count() >= 1
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: Option<&str>, d: Option<&str>) -> (Vec<String>, Vec<String>) {
        host_names(h, d)
    }

    #[test]
    fn host_names_and_fqdns() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(Some("WS-7"), Some("Corp.Example")),
            (s(&["WS-7"]), s(&["ws-7.corp.example"]))
        );
        assert_eq!(names(Some("WS-7"), Some("CORP")), (s(&["WS-7"]), s(&[])));
        assert_eq!(
            names(Some("WS-7"), Some("WORKGROUP")),
            (s(&["WS-7"]), s(&[]))
        );
        assert_eq!(
            names(Some("CLM101-131.local"), Some("SYS")),
            (s(&["CLM101-131"]), s(&["clm101-131.local"]))
        );
        assert_eq!(
            names(Some("hr-pc.corp.example."), None),
            (s(&["hr-pc"]), s(&["hr-pc.corp.example"]))
        );
        assert_eq!(names(Some(" "), Some("corp.example")), (s(&[]), s(&[])));
        assert_eq!(names(Some(".x"), None), (s(&[]), s(&[])));
        assert_eq!(names(None, Some("corp.example")), (s(&[]), s(&[])));
    }

    #[test]
    fn versions() {
        let v = |s: &str| {
            let (a, b) = version_parts(s);
            (a.unwrap_or_default(), b.unwrap_or_default())
        };
        assert_eq!(v("Ubuntu 22.04.3 LTS"), ("22".into(), "04".into()));
        assert_eq!(v("9.5"), ("9".into(), "5".into()));
        assert_eq!(v("macOS 13.4"), ("13".into(), "4".into()));
        assert_eq!(v("Windows Server 2016"), (String::new(), String::new()));
        assert_eq!(v("22H2"), (String::new(), String::new()));
        assert_eq!(v("1.2..3 7.1"), ("7".into(), "1".into()));
        assert_eq!(v("...."), (String::new(), String::new()));
    }

    #[test]
    fn directory_names() {
        let d = |x: &str, h: Option<&str>| ad_domain(Some(x.to_owned()), h);
        assert_eq!(d("CORP", Some("ws-7")).as_deref(), Some("CORP"));
        assert_eq!(d("WORKGROUP", None), None);
        assert_eq!(d("NT AUTHORITY", None), None);
        assert_eq!(d("EC2AMAZ-1", Some("ec2amaz-1.corp.example")), None);
        assert_eq!(d(" ", None), None);
        assert_eq!(
            qualified_user(Some("CORP"), Some("bob")).as_deref(),
            Some("CORP\\bob")
        );
        assert_eq!(qualified_user(None, Some("bob")).as_deref(), Some("bob"));
        assert_eq!(
            qualified_user(Some("X"), Some("CORP\\bob")).as_deref(),
            Some("CORP\\bob")
        );
        assert_eq!(qualified_user(Some("CORP"), Some("")), None);
        assert_eq!(user_domain("CORP\\bob").as_deref(), Some("CORP"));
        assert_eq!(user_domain("bob"), None);
        assert_eq!(
            org_unit_from_dn("CN=pc,OU=Finance,OU=Corp,DC=corp,DC=example").as_deref(),
            Some("Corp/Finance")
        );
        assert_eq!(org_unit_from_dn("CN=pc,DC=corp"), None);
        assert_eq!(
            org_unit_from_list(&["Laptops".into(), "Office".into()]).as_deref(),
            Some("Laptops/Office")
        );
        assert_eq!(org_unit_from_list(&[]), None);
    }

    #[test]
    fn aws_locations_and_arns() {
        let s = |x: &str| Some(x.to_owned());
        assert_eq!(
            aws_location(Some("us-east-1a")),
            (s("us-east-1"), s("us-east-1a"))
        );
        assert_eq!(aws_location(Some("eu-west-2")), (s("eu-west-2"), None));
        assert_eq!(aws_location(Some("nowhere")), (None, None));
        assert_eq!(aws_location(None), (None, None));
        assert_eq!(
            ec2_arn("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"),
            (s("us-east-1"), s("123456789012"), s("i-0abc"))
        );
        assert_eq!(
            ec2_arn("arn:aws:ec2:::instance/i-1"),
            (None, None, s("i-1"))
        );
        assert_eq!(ec2_arn("/subscriptions/x"), (None, None, None));
    }

    #[test]
    fn sids() {
        assert!(is_sid("S-1-5-21-1909377054-3469629671-4104191496-4425"));
        assert!(is_sid("S-1-5-18"));
        assert!(!is_sid("S-14-5424-21-dfaf3-234343"));
        assert!(!is_sid("S-1"));
        assert!(!is_sid("alice"));
        assert!(!is_sid("S-1-5-"));
    }

    #[test]
    fn platforms_from_os_names() {
        use tributary_model::edr::Platform;
        for (os, want) in [
            (
                "Microsoft Windows Server 2019 Datacenter",
                Platform::Windows,
            ),
            (
                "Linux Kernel 4.8.0-53-generic on Ubuntu 16.04",
                Platform::Linux,
            ),
            ("macOS 14.2", Platform::Mac),
            ("Cisco IOS 15", Platform::Unknown),
        ] {
            assert_eq!(platform_of_os(os), want, "{os}");
        }
    }
}
