//! OData query strings as Microsoft's APIs write them in `@odata.nextLink` /
//! `@odata.deltaLink`: system options keep their `$`, values are percent-encoded.

/// `base` + `path` + `?k=v&…` (no `?` when there are no pairs).
pub fn link(base: &str, path: &str, pairs: &[(String, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let encoded = serde_urlencoded::to_string([("v", v)]).unwrap_or_default();
            format!("{k}={}", encoded.trim_start_matches("v="))
        })
        .collect();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn options_keep_their_dollar() {
        let pairs = [
            ("$top".to_owned(), "5".to_owned()),
            ("$filter".to_owned(), "a eq 'b c'".to_owned()),
        ];
        assert_eq!(
            super::link("http://h", "/api/x", &pairs),
            "http://h/api/x?$top=5&$filter=a+eq+%27b+c%27"
        );
        assert_eq!(super::link("http://h", "/p", &[]), "http://h/p");
    }
}
