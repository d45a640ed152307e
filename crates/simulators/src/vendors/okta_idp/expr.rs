//! Okta's `filter` and `search` expressions: `attribute op value` with `eq`, `gt`, `ge`,
//! `lt`, `le`, `sw` (starts with), `co` (contains), `pr` (present), joined by `and` / `or`
//! with parentheses; values are double-quoted strings, numbers or booleans. Operators are
//! case-insensitive, attribute names are not; an attribute the endpoint does not accept is
//! the documented 400 `E0000031`.

use crate::filter::{Cond, Lit, Op};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '+' => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                out.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some('\\') => text.extend(chars.next()),
                        Some('"') => break,
                        Some(ch) => text.push(ch),
                    }
                }
                out.push(Tok::Str(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch == ' ' || ch == '(' || ch == ')' || ch == '"' {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                out.push(Tok::Word(word));
            }
        }
    }
    Ok(out)
}

/// Parses `text`; `attributes` are the names this endpoint accepts.
pub fn parse(text: &str, attributes: &[&str]) -> Result<Cond, String> {
    let mut p = Parser {
        toks: lex(text)?,
        i: 0,
        attributes,
    };
    let cond = p.or()?;
    if p.i < p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.i]));
    }
    Ok(cond)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    i: usize,
    attributes: &'a [&'a str],
}

impl Parser<'_> {
    fn keyword(&mut self, k: &str) -> bool {
        match self.toks.get(self.i) {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k) => {
                self.i += 1;
                true
            }
            _ => false,
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
        let mut terms = vec![self.term()?];
        while self.keyword("and") {
            terms.push(self.term()?);
        }
        Ok(Cond::all(terms))
    }

    fn term(&mut self) -> Result<Cond, String> {
        if self.toks.get(self.i) == Some(&Tok::Open) {
            self.i += 1;
            let inner = self.or()?;
            if self.toks.get(self.i) != Some(&Tok::Close) {
                return Err("missing ')'".into());
            }
            self.i += 1;
            return Ok(inner);
        }
        let Some(Tok::Word(attr)) = self.toks.get(self.i).cloned() else {
            return Err("expected an attribute".into());
        };
        if !self.attributes.contains(&attr.as_str()) {
            return Err(format!("unsupported attribute {attr:?}"));
        }
        self.i += 1;
        let Some(Tok::Word(op)) = self.toks.get(self.i).cloned() else {
            return Err("expected an operator".into());
        };
        self.i += 1;
        let op = op.to_ascii_lowercase();
        if op == "pr" {
            return Ok(Cond::Not(Box::new(Cond::cmp(&attr, Op::Eq, Lit::Null))));
        }
        let lit = match self.toks.get(self.i).cloned() {
            Some(Tok::Str(s)) => Lit::Str(s),
            Some(Tok::Word(w)) if w == "true" || w == "false" => Lit::Bool(w == "true"),
            Some(Tok::Word(w)) => Lit::Num(w.parse().map_err(|_| format!("bad value {w:?}"))?),
            _ => return Err("expected a value".into()),
        };
        self.i += 1;
        let (op, lit) = match (op.as_str(), lit) {
            ("eq", l) => (Op::Eq, l),
            ("gt", l) => (Op::Gt, l),
            ("ge", l) => (Op::Ge, l),
            ("lt", l) => (Op::Lt, l),
            ("le", l) => (Op::Le, l),
            ("sw", Lit::Str(s)) => (Op::Like, Lit::Str(format!("{}*", s.replace('*', "")))),
            ("co", Lit::Str(s)) => (Op::Like, Lit::Str(format!("*{}*", s.replace('*', "")))),
            (other, _) => return Err(format!("unsupported operator {other:?}")),
        };
        Ok(Cond::cmp(&attr, op, lit))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn expressions_evaluate_like_okta() {
        let attrs = ["lastUpdated", "status", "profile.login", "type"];
        let u = json!({"lastUpdated": "2024-05-01T10:00:00.000Z", "status": "ACTIVE",
            "profile": {"login": "priya.tanaka@acme.example.com"}});
        let m = |s: &str| parse(s, &attrs).unwrap().matches(&u);
        assert!(m(r#"lastUpdated gt "2024-05-01T09:59:59.999Z""#));
        assert!(!m(r#"lastUpdated gt "2024-05-01T10:00:00.000Z""#));
        assert!(m(
            r#"status eq "ACTIVE" and (lastUpdated GE "2024-01-01T00:00:00.000Z" or status eq "STAGED")"#
        ));
        assert!(m(r#"profile.login sw "priya""#));
        assert!(m(r#"profile.login co "tanaka""#));
        assert!(m("status pr"));
        assert!(parse(r#"nickName eq "x""#, &attrs).is_err());
        assert!(parse(r#"status eq"#, &attrs).is_err());
        assert!(parse(r#"status like "x""#, &attrs).is_err());
    }
}
