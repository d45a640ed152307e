//! Falcon Query Language filters: `field:'value'`, `field:!'value'`, `field:>='…'`,
//! `field:~'text'`, `field:['a','b']`, `field:*`, `+` (AND), `,` (OR), parentheses.
//! Ranges on the update-time field become a native time range; the rest is evaluated
//! per record.

use std::collections::HashSet;

use crate::{
    dataset::TimeRange,
    filter::{split_native, Cond, Lit, Op},
};

/// A parsed filter: the native part and the rest.
#[derive(Debug, Default)]
pub struct Filter {
    pub range: TimeRange,
    pub residual: Option<Cond>,
}

/// Parses `text`; `time_field` is answered natively; every field must be in `known`.
pub fn parse(text: &str, time_field: &str, known: &HashSet<String>) -> Result<Filter, String> {
    if text.trim().is_empty() {
        return Ok(Filter::default());
    }
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let cond = p.or_expr()?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(format!(
            "invalid filter: unexpected {:?} at {}",
            p.s[p.i] as char, p.i
        ));
    }
    check_fields(&cond, known)?;
    let (range, residual) = split_native(cond, time_field);
    Ok(Filter { range, residual })
}

fn check_fields(c: &Cond, known: &HashSet<String>) -> Result<(), String> {
    match c {
        Cond::Cmp { path, .. } if !known.contains(path) => {
            Err(format!("invalid filter field: {path}"))
        }
        Cond::Cmp { .. } => Ok(()),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().try_for_each(|c| check_fields(c, known)),
        Cond::Not(c) => check_fields(c, known),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

enum Value {
    One(Lit),
    List(Vec<Lit>),
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Cond, String> {
        let mut terms = vec![self.and_expr()?];
        while self.eat(b',') {
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Cond::Or(terms)
        })
    }

    /// Terms joined by `+` (or whitespace, as an unencoded `+` in a URL arrives).
    fn and_expr(&mut self) -> Result<Cond, String> {
        let mut terms = vec![self.term()?];
        loop {
            let had_ws = self.peek().is_some_and(|c| c.is_ascii_whitespace());
            if self.eat(b'+')
                || (had_ws
                    && self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'('))
            {
                terms.push(self.term()?);
            } else {
                break;
            }
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Cond::And(terms)
        })
    }

    fn term(&mut self) -> Result<Cond, String> {
        if self.eat(b'(') {
            let inner = self.or_expr()?;
            if !self.eat(b')') {
                return Err("invalid filter: missing ')'".into());
            }
            return Ok(inner);
        }
        self.skip_ws();
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!("invalid filter: expected a field name at {start}"));
        }
        let field = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if !self.eat(b':') {
            return Err(format!("invalid filter: expected ':' after {field}"));
        }
        let negate = self.eat(b'!');
        let op = self.op();
        let value = self.value()?;
        let cond = build(&field, op, value);
        Ok(if negate {
            Cond::Not(Box::new(cond))
        } else {
            cond
        })
    }

    fn op(&mut self) -> Option<Op> {
        let rest = &self.s[self.i..];
        let (op, len) = if rest.starts_with(b">=") {
            (Op::Ge, 2)
        } else if rest.starts_with(b"<=") {
            (Op::Le, 2)
        } else if rest.starts_with(b">") {
            (Op::Gt, 1)
        } else if rest.starts_with(b"<") {
            (Op::Lt, 1)
        } else if rest.starts_with(b"~") {
            (Op::Like, 1)
        } else {
            return None;
        };
        self.i += len;
        Some(op)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        if self.eat(b'[') {
            let mut items = vec![self.scalar()?];
            while self.eat(b',') {
                items.push(self.scalar()?);
            }
            if !self.eat(b']') {
                return Err("invalid filter: missing ']'".into());
            }
            return Ok(Value::List(items));
        }
        self.scalar().map(Value::One)
    }

    fn scalar(&mut self) -> Result<Lit, String> {
        self.skip_ws();
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c != q) {
                    self.i += 1;
                }
                if self.peek() != Some(q) {
                    return Err("invalid filter: unterminated string".into());
                }
                let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                Ok(Lit::Str(s))
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| !b"+,)] \t".contains(&c)) {
                    self.i += 1;
                }
                let bare = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                if bare.is_empty() {
                    return Err(format!("invalid filter: expected a value at {start}"));
                }
                Ok(match bare.as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    _ => bare.parse::<f64>().map(Lit::Num).unwrap_or(Lit::Str(bare)),
                })
            }
        }
    }
}

fn build(field: &str, op: Option<Op>, value: Value) -> Cond {
    match value {
        Value::List(items) => Cond::Or(
            items
                .into_iter()
                .map(|l| build(field, op, Value::One(l)))
                .collect(),
        ),
        Value::One(lit) => {
            let op = match (op, &lit) {
                (Some(Op::Like), Lit::Str(s)) => {
                    return Cond::cmp(field, Op::Like, Lit::Str(format!("*{s}*")))
                }
                (Some(op), _) => op,
                (None, Lit::Str(s)) if s.contains('*') => Op::Like,
                (None, _) => Op::Eq,
            };
            Cond::cmp(field, op, lit)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fake::parse_ts;

    fn known() -> HashSet<String> {
        [
            "status",
            "severity",
            "updated_timestamp",
            "product",
            "device.hostname",
            "assigned_to_name",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn filters_parse_into_range_and_residual() {
        let f = parse(
            "updated_timestamp:>='2024-01-01T00:00:00Z'+status:'new'",
            "updated_timestamp",
            &known(),
        )
        .unwrap();
        assert_eq!(f.range.since, parse_ts("2024-01-01T00:00:00Z"));
        assert!(f.residual.is_some());
        let f = parse(
            "updated_timestamp:>'2024-01-01T00:00:00.5Z'",
            "updated_timestamp",
            &known(),
        )
        .unwrap();
        assert_eq!(
            f.range.since,
            parse_ts("2024-01-01T00:00:00.5Z").map(|t| t + 1)
        );
        assert!(f.residual.is_none());
        let r = json!({"status": "closed", "severity": 75, "product": "epp", "device": {"hostname": "DC-01"}});
        let m = |s: &str| {
            parse(s, "updated_timestamp", &known())
                .unwrap()
                .residual
                .unwrap()
                .matches(&r)
        };
        assert!(m("status:'new',status:'closed'"));
        assert!(m("status:['new','closed']+severity:>=70"));
        assert!(!m("status:!'closed'"));
        assert!(m("device.hostname:'dc*'"));
        assert!(m("device.hostname:~'c-0'"));
        assert!(m("assigned_to_name:!*"));
        assert!(m("(product:'idp',product:'epp') severity:<80"));
        assert!(parse("nosuch:'x'", "updated_timestamp", &known()).is_err());
        assert!(parse("status:'x", "updated_timestamp", &known()).is_err());
        assert!(parse("status", "updated_timestamp", &known()).is_err());
    }
}
