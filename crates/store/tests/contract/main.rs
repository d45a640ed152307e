//! The store contract: every test runs against SQLite and, when
//! `TRIBUTARY_TEST_POSTGRES_URL` is set, against a fresh PostgreSQL schema.

mod accounts;
mod advisories;
mod audit;
mod connections;
mod findings;
mod findings_reconcile;
mod freshness;
mod idp;
mod idp_support;
mod incidents;
mod invites;
mod jobs;
mod page_writes;
mod platform_retry;
mod reconcile;
mod records;
mod retention;
mod support;
mod webhooks;
