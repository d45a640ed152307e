//! OData `$filter` as Defender accepts it: `field eq|ne|gt|ge|lt|le value`, `and`, `or`,
//! `not`, parentheses, `field in ('a','b')`, `contains|startswith|endswith(field,'x')`
//! and `tags/any(t: t eq 'x')`. Date-times are unquoted (`lastUpdateTime ge
//! 2024-01-01T00:00:00Z`), strings single-quoted.

use std::collections::HashSet;

use crate::{
    filter::{Cond, Lit, Op},
    respond::Params,
};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Time(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' => i += 1,
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            b'\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some(b'\'') => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            let ch = s[i..].chars().next().unwrap_or(' ');
                            text.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                out.push(Tok::Str(text));
            }
            b'0'..=b'9' | b'-' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b":.-+".contains(&b[i])) {
                    i += 1;
                }
                let text = &s[start..i];
                if text.len() >= 8 && text[1..].contains('-') {
                    out.push(Tok::Time(text.to_owned()));
                } else {
                    out.push(Tok::Num(
                        text.parse()
                            .map_err(|_| format!("invalid literal {text:?}"))?,
                    ));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'/'
                        || b[i] == b'.')
                {
                    i += 1;
                }
                out.push(Tok::Ident(s[start..i].to_owned()));
            }
            _ => return Err(format!("unexpected character {:?}", c as char)),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    i: usize,
    known: &'a HashSet<String>,
}

/// Parses `text` into a condition; field names resolve case-insensitively to `known`.
/// A list request's page window (`$top`, `$skip`) as the API checks it: a system query
/// option it does not know (`options` are those it does), a `$top` above `max_top` (also
/// the default) or an unreadable number is refused with the API's message.
pub fn page_window(params: &Params, options: &[&str], max_top: u64) -> Result<(u64, u64), String> {
    for (k, _) in &params.0 {
        if k.starts_with('$') && !options.contains(&k.as_str()) {
            return Err(format!("The query parameter '{k}' is not supported."));
        }
    }
    let top = params
        .uint("$top", max_top)
        .map_err(|_| "Invalid value for $top.".to_owned())?;
    if top > max_top {
        return Err(format!("The limit of '{max_top}' for Top query has been exceeded. The value from the incoming request is '{top}'."));
    }
    let skip = params
        .uint("$skip", 0)
        .map_err(|_| "Invalid value for $skip.".to_owned())?;
    Ok((top, skip))
}

pub fn parse(text: &str, known: &HashSet<String>) -> Result<Option<Cond>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks: lex(text)?,
        i: 0,
        known,
    };
    let cond = p.or()?;
    if p.i < p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.i]));
    }
    Ok(Some(cond))
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.toks.get(self.i) {
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected {t:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut terms = vec![self.and()?];
        while self.keyword("or") {
            terms.push(self.and()?);
        }
        Ok(Cond::either(terms))
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut terms = vec![self.unary()?];
        while self.keyword("and") {
            terms.push(self.unary()?);
        }
        Ok(Cond::all(terms))
    }

    fn unary(&mut self) -> Result<Cond, String> {
        if self.keyword("not") {
            return Ok(Cond::Not(Box::new(self.unary()?)));
        }
        if self.toks.get(self.i) == Some(&Tok::Open) {
            self.i += 1;
            let inner = self.or()?;
            self.expect(Tok::Close)?;
            return Ok(inner);
        }
        let Some(Tok::Ident(name)) = self.next() else {
            return Err("expected a property name".into());
        };
        match name.to_ascii_lowercase().as_str() {
            "contains" | "startswith" | "endswith" => {
                return self.function(&name.to_ascii_lowercase())
            }
            _ => {}
        }
        if let Some(collection) = name.strip_suffix("/any") {
            return self.lambda(collection);
        }
        let path = self.field(&name)?;
        if self.keyword("in") {
            self.expect(Tok::Open)?;
            let mut values = vec![self.literal()?];
            while self.toks.get(self.i) == Some(&Tok::Comma) {
                self.i += 1;
                values.push(self.literal()?);
            }
            self.expect(Tok::Close)?;
            return Ok(Cond::Or(
                values
                    .into_iter()
                    .map(|v| Cond::cmp(&path, Op::Eq, v))
                    .collect(),
            ));
        }
        let op = self.op()?;
        let lit = self.literal()?;
        Ok(Cond::cmp(&path, op, lit))
    }

    fn op(&mut self) -> Result<Op, String> {
        let Some(Tok::Ident(w)) = self.next() else {
            return Err("expected an operator (eq, ne, gt, ge, lt, le)".into());
        };
        Ok(match w.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(format!("unsupported operator {other:?}")),
        })
    }

    fn literal(&mut self) -> Result<Lit, String> {
        Ok(match self.next() {
            Some(Tok::Str(s)) | Some(Tok::Time(s)) => Lit::Str(s),
            Some(Tok::Num(n)) => Lit::Num(n),
            Some(Tok::Ident(w)) if w == "true" => Lit::Bool(true),
            Some(Tok::Ident(w)) if w == "false" => Lit::Bool(false),
            Some(Tok::Ident(w)) if w == "null" => Lit::Null,
            other => return Err(format!("expected a literal, found {other:?}")),
        })
    }

    /// `contains(field, 'x')` and friends.
    fn function(&mut self, name: &str) -> Result<Cond, String> {
        self.expect(Tok::Open)?;
        let Some(Tok::Ident(f)) = self.next() else {
            return Err(format!("{name}: expected a property"));
        };
        let path = self.field(&f)?;
        self.expect(Tok::Comma)?;
        let Some(Tok::Str(text)) = self.next() else {
            return Err(format!("{name}: expected a string"));
        };
        self.expect(Tok::Close)?;
        let pattern = match name {
            "contains" => format!("*{text}*"),
            "startswith" => format!("{text}*"),
            _ => format!("*{text}"),
        };
        Ok(Cond::cmp(&path, Op::Like, Lit::Str(pattern)))
    }

    /// `collection/any(v: v eq 'x')`: true when any element matches.
    fn lambda(&mut self, collection: &str) -> Result<Cond, String> {
        let path = self.field(collection)?;
        self.expect(Tok::Open)?;
        let Some(Tok::Ident(var)) = self.next() else {
            return Err("any(): expected a variable".into());
        };
        self.expect(Tok::Colon)?;
        let Some(Tok::Ident(v2)) = self.next() else {
            return Err("any(): expected a comparison".into());
        };
        let sub = v2.strip_prefix(&var).unwrap_or("");
        let path = if sub.is_empty() {
            path
        } else {
            format!("{path}.{}", sub.trim_start_matches('/').replace('/', "."))
        };
        let op = self.op()?;
        let lit = self.literal()?;
        self.expect(Tok::Close)?;
        Ok(Cond::cmp(&path, op, lit))
    }

    /// A property path (`a/b`), matched case-insensitively against known fields.
    fn field(&self, name: &str) -> Result<String, String> {
        let dotted = name.replace('/', ".");
        self.known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(&dotted))
            .cloned()
            .ok_or_else(|| format!("Could not find a property named '{name}'"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn filters_evaluate() {
        let known: HashSet<String> = [
            "lastUpdateTime",
            "status",
            "severity",
            "machineTags",
            "incidentId",
            "computerDnsName",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let r = json!({"lastUpdateTime": "2024-05-01T10:00:00.1234567Z", "status": "New", "severity": "High",
            "machineTags": ["vip", "lab"], "incidentId": 42, "computerDnsName": "ws-01.corp.example.com"});
        let m = |s: &str| parse(s, &known).unwrap().unwrap().matches(&r);
        assert!(m(
            "lastUpdateTime ge 2024-05-01T10:00:00Z and status eq 'New'"
        ));
        assert!(m("lastUpdateTime gt 2024-05-01T10:00:00.1234566Z"));
        assert!(!m("lastUpdateTime gt 2024-05-01T10:00:00.1234567Z"));
        assert!(m("severity in ('High','Medium')"));
        assert!(m("machineTags/any(tag: tag eq 'vip')"));
        assert!(m("not (status eq 'Resolved') and incidentId eq 42"));
        assert!(m("startswith(computerDnsName,'ws-') or status eq 'x'"));
        assert!(m("Status eq 'New'"), "property names are case-insensitive");
        assert!(parse("nosuch eq 1", &known).is_err());
        assert!(parse("status eq", &known).is_err());
        assert!(parse("status like 'x'", &known).is_err());
    }
}
