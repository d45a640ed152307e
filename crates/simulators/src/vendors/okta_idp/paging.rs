//! Okta paging: `limit` (each endpoint's default and cap) and the opaque `after` cursor,
//! and the `Link` headers — `rel="self"` always, `rel="next"` while more remain.

use axum::{
    http::{header::LINK, HeaderValue, Uri},
    response::Response,
};
use serde_json::Value;

use super::{
    errors::Bad,
    expr,
    ids::{self, Kind},
};
use crate::{
    dataset::{Dataset, Key, Order, RecordRef, TimeRange},
    filter::Cond,
    listing::Token,
    respond::Params,
    sim::Sim,
};

/// An endpoint's page sizes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default: usize,
    pub max: usize,
}

/// `limit` (capped at the endpoint's maximum, as Okta does) or the default.
pub fn limit(params: &Params, limits: Limits) -> Result<usize, String> {
    match params.get("limit").map(str::trim) {
        None | Some("") => Ok(limits.default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n > 0 => Ok((n as usize).min(limits.max)),
            Ok(_) => Ok(limits.default),
            Err(_) => Err(format!("'{v}' is not a valid limit")),
        },
    }
}

/// The request's URL with `after` replaced (None: removed) — for the `Link` headers.
pub fn url_with_after(base: &str, path: &str, params: &Params, after: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| k != "after")
        .cloned()
        .collect();
    if let Some(a) = after {
        pairs.push(("after".into(), a.to_owned()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// Adds `Link: <self>; rel="self"` and, when `next` is given, `Link: <…?after=…>;
/// rel="next"`.
pub fn add_links(resp: &mut Response, base: &str, path: &str, params: &Params, next: Option<&str>) {
    let this = url_with_after(base, path, params, params.get("after"));
    let mut links = vec![format!("<{this}>; rel=\"self\"")];
    if let Some(after) = next {
        let next_url = url_with_after(base, path, params, Some(after));
        links.push(format!("<{next_url}>; rel=\"next\""));
    }
    for link in links {
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().append(LINK, v);
        }
    }
}

/// A list request over objects in creation order: the query, its filter, page size and
/// position (the last object's id, as Okta's cursors are).
pub struct ListRequest {
    pub params: Params,
    pub cond: Option<Cond>,
    /// A prefix of the object's name (`q`), lowercase.
    pub prefix: Option<String>,
    pub limit: usize,
    pub after: Option<Key>,
}

impl ListRequest {
    /// Parses a list of `kind` objects whose `filter` (or `search`) may name `attributes`.
    pub fn parse(
        uri: &Uri,
        attributes: &[&str],
        limits: Limits,
        kind: Kind,
        seed: u64,
    ) -> Result<ListRequest, Bad> {
        let params = Params::parse(uri).map_err(|e| Bad::Validation("query", e))?;
        let text = params
            .get("filter")
            .or(params.get("search"))
            .unwrap_or("")
            .trim();
        let cond = match text {
            "" => None,
            t => Some(expr::parse(t, attributes).map_err(Bad::Search)?),
        };
        let limit = limit(&params, limits).map_err(|e| Bad::Validation("limit", e))?;
        let after = match params.get("after").filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => {
                let index = ids::decode(kind, seed, a)
                    .ok_or_else(|| Bad::Validation("after", "invalid cursor".into()))?;
                Some(Key { updated: 0, index })
            }
        };
        let prefix = params.get("q").map(str::to_lowercase);
        Ok(ListRequest {
            params,
            cond,
            prefix,
            limit,
            after,
        })
    }

    /// Whether `name` passes `q` and `v` (the rendered object) the filter.
    pub fn keeps(&self, name: &str, v: &Value) -> bool {
        let named = self
            .prefix
            .as_ref()
            .is_none_or(|p| name.to_lowercase().starts_with(p.as_str()));
        named && self.cond.as_ref().is_none_or(|c| c.matches(v))
    }

    /// The page of `data` this request asks for, in creation order, rendered by `render`.
    pub fn page(
        &self,
        data: &Dataset,
        kind: Kind,
        seed: u64,
        render: impl Fn(&RecordRef) -> Option<Value>,
    ) -> Page {
        let next = |r: &RecordRef| ids::encode(kind, seed, r.index);
        walk(
            data,
            TimeRange::default(),
            Order::IndexAsc,
            self.after,
            self.limit,
            render,
            next,
        )
    }
}

/// A page of records: the JSON array and the cursor of the next page, if any.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// Walks `data` in `order` from after `after`, keeping the records `render` returns, until
/// `limit` are kept; `cursor` makes the next page's `after` from the last kept record.
pub fn walk(
    data: &Dataset,
    range: TimeRange,
    order: Order,
    after: Option<Key>,
    limit: usize,
    render: impl Fn(&RecordRef) -> Option<Value>,
    cursor: impl Fn(&RecordRef) -> String,
) -> Page {
    let mut items = Vec::new();
    let mut last: Option<RecordRef> = None;
    let mut pos = after;
    loop {
        let chunk = data.chunk(range, order, pos, 512);
        let Some(tail) = chunk.last() else {
            return Page { items, next: None };
        };
        pos = Some(Key::of(tail));
        for r in &chunk {
            let Some(v) = render(r) else { continue };
            if items.len() == limit {
                return Page {
                    items,
                    next: last.as_ref().map(&cursor),
                };
            }
            items.push(v);
            last = Some(*r);
        }
    }
}

/// The JSON array response with its `Link` headers.
pub fn respond(sim: &Sim, path: &str, params: &Params, page: Page) -> Response {
    let mut resp = crate::respond::json(200, &Value::Array(page.items));
    add_links(&mut resp, &sim.base_url, path, params, page.next.as_deref());
    resp
}

/// Positions in lists Okta computes per request (app users, app groups, policies).
pub fn offset_cursor(n: usize) -> String {
    Token::Offset(n as u64).encode()
}

/// The position an `offset_cursor` names (0 when absent).
pub fn offset_of(params: &Params) -> Result<usize, String> {
    match params.get("after").filter(|a| !a.is_empty()) {
        None => Ok(0),
        Some(a) => match Token::decode(a) {
            Some(Token::Offset(n)) => Ok(n as usize),
            _ => Err(format!("invalid cursor {a:?}")),
        },
    }
}

/// The page of `all` from `params`' cursor.
pub fn slice(all: Vec<Value>, params: &Params, limit: usize) -> Result<Page, String> {
    let from = offset_of(params)?;
    let more = all.len() > from + limit;
    let items = all.into_iter().skip(from).take(limit).collect();
    Ok(Page {
        items,
        next: more.then(|| offset_cursor(from + limit)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_cap_and_links_carry_the_cursor() {
        let l = Limits {
            default: 200,
            max: 200,
        };
        let p = |q: &str| Params(serde_urlencoded::from_str(q).unwrap());
        assert_eq!(limit(&p(""), l), Ok(200));
        assert_eq!(limit(&p("limit=5"), l), Ok(5));
        assert_eq!(limit(&p("limit=5000"), l), Ok(200));
        assert!(limit(&p("limit=abc"), l).is_err());
        let url = url_with_after(
            "http://h",
            "/api/v1/users",
            &p("limit=2&after=x"),
            Some("00u1"),
        );
        assert_eq!(url, "http://h/api/v1/users?limit=2&after=00u1");
        let mut resp = Response::new(axum::body::Body::empty());
        add_links(
            &mut resp,
            "http://h",
            "/api/v1/users",
            &p("limit=2"),
            Some("c"),
        );
        let links: Vec<_> = resp.headers().get_all(LINK).iter().collect();
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[1],
            "<http://h/api/v1/users?limit=2&after=c>; rel=\"next\""
        );
    }
}
