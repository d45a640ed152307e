//! A connection syncing identity records, for the identity contract tests: page commits
//! of hand-made rows and the reads the API makes.

use std::sync::Arc;

use tributary_model::{ids::record_id, Category, Vendor};
use tributary_store::{models::*, testing::leased_job, ListWindow, Position, Store};
use uuid::Uuid;

/// A running job of an identity connection.
pub struct Idp {
    pub store: Arc<dyn Store>,
    pub account: Uuid,
    pub conn: Uuid,
    pub job: Uuid,
}

pub async fn idp(store: &Arc<dyn Store>) -> Idp {
    let exports = Category::Idp.data_exports();
    let job = leased_job(store, Vendor::named("OKTA"), exports, "w").await;
    Idp {
        store: store.clone(),
        account: job.account_id,
        conn: job.connection_id,
        job: job.job_id,
    }
}

impl Idp {
    pub fn id(&self, kind: IdpKind, vendor_id: &str) -> Uuid {
        record_id(self.conn, kind.export(), vendor_id)
    }

    pub fn member(&self, kind: IdpKind, vendor_id: &str) -> MemberId {
        MemberId {
            id: self.id(kind, vendor_id),
            vendor_id: vendor_id.into(),
        }
    }

    /// Record `vendor_id` of `kind` at document version `version`.
    pub fn row(&self, kind: IdpKind, vendor_id: &str, version: i64) -> IdpRow {
        let data = format!("{{\"vendor_id\":\"{vendor_id}\",\"v\":{version}}}");
        IdpRow {
            id: self.id(kind, vendor_id),
            vendor_id: vendor_id.into(),
            document: Some(IdpDocument {
                is_deleted: false,
                label: Some(format!("{vendor_id}-name")),
                email: (kind == IdpKind::Users).then(|| format!("{vendor_id}@example.com")),
                content_hash: version,
                data,
            }),
            memberships: vec![],
        }
    }

    pub fn tombstone(&self, kind: IdpKind, vendor_id: &str) -> IdpRow {
        IdpRow {
            document: None,
            ..self.row(kind, vendor_id, 0)
        }
    }

    /// `row` reporting `relation`'s list as exactly these members.
    pub fn replace(&self, mut row: IdpRow, relation: IdpRelation, members: &[&str]) -> IdpRow {
        let all = members
            .iter()
            .map(|m| self.member(relation.member(), m))
            .collect();
        row.memberships.push(MembershipChange {
            relation,
            op: MembershipOp::Replace(all),
        });
        row
    }

    /// `row` reporting members joining and leaving `relation`'s list.
    pub fn delta(
        &self,
        mut row: IdpRow,
        relation: IdpRelation,
        add: &[&str],
        remove: &[&str],
    ) -> IdpRow {
        let kind = relation.member();
        row.memberships.push(MembershipChange {
            relation,
            op: MembershipOp::Delta {
                added: add.iter().map(|m| self.member(kind, m)).collect(),
                removed: remove.iter().map(|m| self.id(kind, m)).collect(),
            },
        });
        row
    }

    pub async fn commit(&self, kind: IdpKind, rows: Vec<IdpRow>) -> PageCommitted {
        self.store
            .commit_page(PageCommit {
                connection_id: self.conn,
                job_id: self.job,
                lease_owner: "w".into(),
                export: kind.export(),
                records: PageRecords::Idp(kind, rows),
                quarantined: vec![],
                watermark: None,
                watermark_at: None,
            })
            .await
            .unwrap()
    }

    /// Every record of `kind` (related to `related`, changed since `since`), in list order.
    pub async fn list(
        &self,
        kind: IdpKind,
        related: Option<(IdpRelation, Uuid)>,
        since: Option<i64>,
    ) -> Vec<StoredIdpRecord> {
        let query = IdpQuery {
            connection_id: self.conn,
            kind,
            related: related.map(|(relation, anchor)| IdpRelated { relation, anchor }),
            updated_since: since,
            window: ListWindow {
                limit: 1000,
                position: Position::Offset(0),
                with_total: true,
            },
        };
        let page = self.store.list_idp(self.account, &query).await.unwrap();
        assert_eq!(page.total, Some(page.items.len() as i64), "{kind:?}");
        page.items
    }

    /// The vendor ids of `list(…)`, sorted.
    pub async fn vendor_ids(
        &self,
        kind: IdpKind,
        related: Option<(IdpRelation, Uuid)>,
    ) -> Vec<String> {
        let mut ids: Vec<String> = self
            .list(kind, related, None)
            .await
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(&r.data).unwrap()["vendor_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids
    }

    pub async fn get(&self, kind: IdpKind, vendor_id: &str) -> StoredIdpRecord {
        self.store
            .get_idp(self.account, self.conn, kind, self.id(kind, vendor_id))
            .await
            .unwrap()
            .expect("stored")
    }

    /// `anchor`'s references through `relation` from `side`: (vendor id, label).
    pub async fn refs(
        &self,
        relation: IdpRelation,
        side: IdpSide,
        anchor: Uuid,
    ) -> Vec<(String, Option<String>)> {
        let refs = self
            .store
            .list_idp_refs(self.account, self.conn, relation, side, &[anchor], 100)
            .await
            .unwrap();
        refs.into_iter().map(|r| (r.vendor_id, r.label)).collect()
    }
}
