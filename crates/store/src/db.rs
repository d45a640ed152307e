//! A thin layer that runs the same SQL on SQLite and PostgreSQL.
//!
//! Domain queries are written once with `$1`-style placeholders and typed arguments;
//! this module binds them to whichever backend the store was opened on. Only the few
//! statements whose dialects really differ (job claiming with `SKIP LOCKED`, bulk
//! upserts) branch on [`Dialect`]. Rows decode through `sqlx::FromRow` derives, which
//! are generic over the backend.
//!
//! SQLite gets two pools: a single-connection writer (SQLite allows one writer; queuing
//! writes here avoids `SQLITE_BUSY` lock upgrades) and a small reader pool (WAL lets
//! readers run alongside the writer).

use std::borrow::Cow;

use sqlx::{postgres::PgRow, sqlite::SqliteRow, FromRow, PgPool, Postgres, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::StoreError;

/// Which SQL dialect a store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One typed query argument.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    OptBool(Option<bool>),
    Bytes(Vec<u8>),
    OptBytes(Option<Vec<u8>>),
    UuidArray(Vec<Uuid>),
    TextArray(Vec<String>),
    OptTextArray(Vec<Option<String>>),
    I64Array(Vec<i64>),
    OptUuidArray(Vec<Option<Uuid>>),
    BoolArray(Vec<bool>),
    OptBoolArray(Vec<Option<bool>>),
}

macro_rules! arg_from {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Arg { fn from(x: $t) -> Self { Arg::$v(x) } })*
    };
}

arg_from! {
    Uuid => Uuid, Option<Uuid> => OptUuid, i64 => I64, Option<i64> => OptI64,
    String => Text, Option<String> => OptText, bool => Bool, Option<bool> => OptBool,
    Vec<u8> => Bytes, Option<Vec<u8>> => OptBytes,
    Vec<Uuid> => UuidArray, Vec<String> => TextArray, Vec<Option<String>> => OptTextArray,
    Vec<i64> => I64Array, Vec<Option<Uuid>> => OptUuidArray, Vec<bool> => BoolArray,
    Vec<Option<bool>> => OptBoolArray,
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Self {
        Arg::OptText(s.map(str::to_owned))
    }
}

/// A statement and its arguments, written with `$1`, `$2`, … placeholders.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub sql: Cow<'static, str>,
    pub args: Vec<Arg>,
}

impl Query {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Query {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends an argument and returns its placeholder, for dynamically built SQL.
    pub fn push_arg(&mut self, arg: impl Into<Arg>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// Appends `ids` and returns their placeholders (`$4, $5, …`), for an `IN (…)` list.
    pub fn push_ids(&mut self, ids: &[Uuid]) -> String {
        let ps: Vec<String> = ids.iter().map(|id| self.push_arg(*id)).collect();
        ps.join(", ")
    }
}

/// SQLite numbers parameters `?NNN`; rewrite `$NNN` so one SQL text serves both. When
/// the placeholders are `$1, $2, …` in textual order, each once (every multi-row INSERT
/// and `IN (…)` list is), they become anonymous `?`, which SQLite numbers the same way:
/// binding a numbered `?NNN` looks its name up by a linear scan of the statement's
/// names, quadratic in a statement of a thousand parameters, while anonymous ones cost
/// the same per parameter whatever the statement's size.
fn sqlite_sql(sql: &str) -> String {
    let parts = split_placeholders(sql);
    let mut numbers = parts.iter().filter_map(|p| match p {
        Part::Param(n) => Some(*n),
        Part::Text(_) => None,
    });
    let sequential = numbers.by_ref().enumerate().all(|(i, n)| n == i + 1);
    let mut out = String::with_capacity(sql.len());
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Param(_) if sequential => out.push('?'),
            Part::Param(n) => {
                out.push('?');
                out.push_str(&n.to_string());
            }
        }
    }
    out
}

enum Part<'a> {
    Text(&'a str),
    Param(usize),
}

/// `sql` cut at its `$NNN` placeholders (outside string literals).
fn split_placeholders(sql: &str) -> Vec<Part<'_>> {
    let bytes = sql.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut i, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            in_string = !in_string;
        }
        if bytes[i] == b'$' && !in_string && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let end = bytes[i + 1..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |p| i + 1 + p);
            parts.push(Part::Text(&sql[start..i]));
            parts.push(Part::Param(sql[i + 1..end].parse().unwrap_or(0)));
            (start, i) = (end, end);
            continue;
        }
        i += 1;
    }
    parts.push(Part::Text(&sql[start..]));
    parts
}

fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    args: Vec<Arg>,
) -> Result<sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>, StoreError> {
    for a in args {
        q = match a {
            Arg::Uuid(v) => q.bind(v),
            Arg::OptUuid(v) => q.bind(v),
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::OptBool(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            Arg::OptBytes(v) => q.bind(v),
            Arg::UuidArray(_)
            | Arg::TextArray(_)
            | Arg::OptTextArray(_)
            | Arg::I64Array(_)
            | Arg::OptUuidArray(_)
            | Arg::BoolArray(_)
            | Arg::OptBoolArray(_) => {
                return Err(StoreError::Invalid(
                    "array arguments are PostgreSQL-only".into(),
                ))
            }
        };
    }
    Ok(q)
}

fn bind_pg<'q>(
    mut q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    for a in args {
        q = match a {
            Arg::Uuid(v) => q.bind(v),
            Arg::OptUuid(v) => q.bind(v),
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::OptBool(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            Arg::OptBytes(v) => q.bind(v),
            Arg::UuidArray(v) => q.bind(v),
            Arg::TextArray(v) => q.bind(v),
            Arg::OptTextArray(v) => q.bind(v),
            Arg::I64Array(v) => q.bind(v),
            Arg::OptUuidArray(v) => q.bind(v),
            Arg::BoolArray(v) => q.bind(v),
            Arg::OptBoolArray(v) => q.bind(v),
        };
    }
    q
}

/// A row type that decodes from either backend (derive `sqlx::FromRow`).
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// The database a store runs on.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Where a statement runs: a pool (reader or writer) or an open transaction.
pub(crate) enum Exec<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    SqliteTx(&'a mut sqlx::Transaction<'static, Sqlite>),
    PgTx(&'a mut sqlx::Transaction<'static, Postgres>),
}

/// An open transaction on either backend.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Db {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// For reads outside a transaction.
    pub fn reader(&self) -> Exec<'_> {
        match self {
            Db::Sqlite { read, .. } => Exec::SqlitePool(read),
            Db::Postgres(p) => Exec::PgPool(p),
        }
    }

    /// For single-statement writes (including `INSERT … RETURNING`).
    pub fn writer(&self) -> Exec<'_> {
        match self {
            Db::Sqlite { write, .. } => Exec::SqlitePool(write),
            Db::Postgres(p) => Exec::PgPool(p),
        }
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(t) => Exec::SqliteTx(t),
            Tx::Postgres(t) => Exec::PgTx(t),
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Exec<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub async fn execute(self, q: Query) -> Result<u64, StoreError> {
        Ok(match self {
            Exec::SqlitePool(p) => {
                let sql = sqlite_sql(&q.sql);
                bind_sqlite(sqlx::query(&sql), q.args)?
                    .execute(p)
                    .await?
                    .rows_affected()
            }
            Exec::SqliteTx(t) => {
                let sql = sqlite_sql(&q.sql);
                bind_sqlite(sqlx::query(&sql), q.args)?
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }
            Exec::PgPool(p) => bind_pg(sqlx::query(&q.sql), q.args)
                .execute(p)
                .await?
                .rows_affected(),
            Exec::PgTx(t) => bind_pg(sqlx::query(&q.sql), q.args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    pub async fn fetch_all<T: Row>(self, q: Query) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Exec::SqlitePool(p) => {
                let sql = sqlite_sql(&q.sql);
                let rows = bind_sqlite(sqlx::query(&sql), q.args)?.fetch_all(p).await?;
                decode_all::<T, _>(&rows)?
            }
            Exec::SqliteTx(t) => {
                let sql = sqlite_sql(&q.sql);
                let rows = bind_sqlite(sqlx::query(&sql), q.args)?
                    .fetch_all(&mut **t)
                    .await?;
                decode_all::<T, _>(&rows)?
            }
            Exec::PgPool(p) => {
                let rows = bind_pg(sqlx::query(&q.sql), q.args).fetch_all(p).await?;
                decode_all::<T, _>(&rows)?
            }
            Exec::PgTx(t) => {
                let rows = bind_pg(sqlx::query(&q.sql), q.args)
                    .fetch_all(&mut **t)
                    .await?;
                decode_all::<T, _>(&rows)?
            }
        })
    }

    pub async fn fetch_optional<T: Row>(self, q: Query) -> Result<Option<T>, StoreError> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    pub async fn fetch_one<T: Row>(self, q: Query) -> Result<T, StoreError> {
        self.fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::Invalid("statement returned no row".into()))
    }
}

fn decode_all<T, R>(rows: &[R]) -> Result<Vec<T>, StoreError>
where
    R: sqlx::Row,
    T: for<'r> FromRow<'r, R>,
{
    rows.iter()
        .map(|r| T::from_row(r).map_err(StoreError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_placeholders_outside_strings() {
        assert_eq!(
            sqlite_sql("SELECT $1, '$2', $10 WHERE a = $2"),
            "SELECT ?1, '$2', ?10 WHERE a = ?2"
        );
    }

    #[test]
    fn sequential_placeholders_become_anonymous() {
        assert_eq!(
            sqlite_sql("INSERT INTO t VALUES ($1, $2), ($3, '$9', $4)"),
            "INSERT INTO t VALUES (?, ?), (?, '$9', ?)"
        );
        // Out of order or repeated: numbered, as SQLite must see them.
        assert_eq!(sqlite_sql("SELECT $2, $1"), "SELECT ?2, ?1");
        assert_eq!(
            sqlite_sql("SELECT $1 WHERE $1 = 1"),
            "SELECT ?1 WHERE ?1 = 1"
        );
        assert_eq!(sqlite_sql("SELECT 1"), "SELECT 1");
    }
}
