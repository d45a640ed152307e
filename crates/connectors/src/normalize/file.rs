//! File names, paths and hashes.

/// The last component of a Windows or POSIX path (`\Device\…\x.exe` → `x.exe`).
pub fn basename(path: &str) -> Option<String> {
    path.trim()
        .rsplit(['\\', '/'])
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A folder and a file name joined with the folder's own separator. Defender's
/// `filePath` is the folder only; a folder that already ends with the name is kept.
pub fn join_path(folder: Option<&str>, name: Option<&str>) -> Option<String> {
    let folder = folder.map(str::trim).filter(|f| !f.is_empty());
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match (folder, name) {
        (Some(f), Some(n)) => {
            if basename(f).is_some_and(|b| b.eq_ignore_ascii_case(n)) {
                return Some(f.to_owned());
            }
            let sep = if f.contains('\\') || !f.contains('/') {
                '\\'
            } else {
                '/'
            };
            Some(format!("{}{sep}{n}", f.trim_end_matches(['\\', '/'])))
        }
        (Some(f), None) => Some(f.to_owned()),
        (None, Some(n)) => Some(n.to_owned()),
        (None, None) => None,
    }
}

/// A hash in lowercase hex; None for an empty, non-hex or all-zero value (CrowdStrike
/// fills unknown SHA1s with zeros).
pub fn real_hash(h: Option<String>) -> Option<String> {
    let h = h?.trim().to_ascii_lowercase();
    let hex = !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    (hex && h.chars().any(|c| c != '0')).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(basename("C:\\Windows\\x.exe").as_deref(), Some("x.exe"));
        assert_eq!(basename("/usr/bin/ls").as_deref(), Some("ls"));
        assert_eq!(basename("default.exe").as_deref(), Some("default.exe"));
        assert_eq!(basename("C:\\dir\\"), None);
        let j = |f: Option<&str>, n: Option<&str>| join_path(f, n);
        assert_eq!(
            j(Some("C:\\Windows\\SysWOW64"), Some("rundll32.exe")).as_deref(),
            Some("C:\\Windows\\SysWOW64\\rundll32.exe")
        );
        assert_eq!(j(Some("C:\\"), Some("x.exe")).as_deref(), Some("C:\\x.exe"));
        assert_eq!(
            j(Some("/usr/bin/"), Some("curl")).as_deref(),
            Some("/usr/bin/curl")
        );
        assert_eq!(
            j(Some("c:\\temp\\a.dll"), Some("A.DLL")).as_deref(),
            Some("c:\\temp\\a.dll")
        );
        assert_eq!(j(None, Some("a.dll")).as_deref(), Some("a.dll"));
        assert_eq!(j(Some("c:\\temp"), Some(" ")).as_deref(), Some("c:\\temp"));
        assert_eq!(j(None, None), None);
    }

    #[test]
    fn hashes() {
        let h = |s: &str| real_hash(Some(s.to_owned()));
        assert_eq!(h("0000000000000000000000000000000000000000"), None);
        assert_eq!(h("ABC1").as_deref(), Some("abc1"));
        assert_eq!(h(" "), None);
        assert_eq!(h("not-hex"), None);
        assert_eq!(real_hash(None), None);
    }
}
