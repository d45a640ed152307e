//! Listing a connection's identity records: users, groups, applications and policies,
//! oldest change first (Tributary's `updated_at`, ties on id), with the common list
//! parameters (offset or signed keyset cursors, `excludeTotal`, `updatedSince`), the
//! include flags that add membership lists, and the sub-resources that walk one record's
//! memberships. `/v1/idp/*` and the dashboard's identity pages list through here.

use std::collections::HashMap;

use tributary_model::page::Page;
use tributary_store::{
    documents::idp::{render_idp, render_refs},
    models::{IdpKind, IdpQuery, IdpRelated, IdpRelation, IdpSide, StoredIdpRecord, StoredIdpRef},
    SortKey,
};
use uuid::Uuid;

use super::records::updated_since;
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::QueryParams,
};

/// At most this many references in one item's included list; the sub-resources walk the
/// rest.
pub const MAX_INCLUDED: i64 = 1000;

/// An include flag: the query parameter, the field it adds, and the membership list it
/// reads from the listed record's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Include {
    pub param: &'static str,
    pub field: &'static str,
    pub relation: IdpRelation,
    pub side: IdpSide,
}

impl Include {
    /// The kind of the records the list names.
    fn other(self) -> IdpKind {
        match self.side {
            IdpSide::Parent => self.relation.member(),
            IdpSide::Member => self.relation.parent(),
        }
    }
}

/// The include flags of each kind (documented: groups and applications).
pub fn includes_of(kind: IdpKind) -> &'static [Include] {
    const GROUP: [Include; 2] = [
        Include {
            param: "includeIdpUsers",
            field: "users",
            relation: IdpRelation::GroupUsers,
            side: IdpSide::Parent,
        },
        Include {
            param: "includeIdpApplications",
            field: "applications",
            relation: IdpRelation::ApplicationGroups,
            side: IdpSide::Member,
        },
    ];
    const APPLICATION: [Include; 2] = [
        Include {
            param: "includeIdpUsers",
            field: "users",
            relation: IdpRelation::ApplicationUsers,
            side: IdpSide::Parent,
        },
        Include {
            param: "includeIdpGroups",
            field: "groups",
            relation: IdpRelation::ApplicationGroups,
            side: IdpSide::Parent,
        },
    ];
    match kind {
        IdpKind::Groups => &GROUP,
        IdpKind::Applications => &APPLICATION,
        IdpKind::Users | IdpKind::Policies => &[],
    }
}

/// What a kind is called in messages (`Group not found`).
pub fn noun(kind: IdpKind) -> &'static str {
    match kind {
        IdpKind::Users => "User",
        IdpKind::Groups => "Group",
        IdpKind::Applications => "Application",
        IdpKind::Policies => "Policy",
    }
}

/// A validated listing request.
#[derive(Debug, Clone)]
pub struct IdpListing {
    pub kind: IdpKind,
    pub connection_id: Uuid,
    /// Only the records related to one record (a sub-resource).
    pub related: Option<IdpRelated>,
    pub pagination: Pagination,
    pub updated_since: Option<i64>,
    pub includes: Vec<Include>,
}

impl IdpListing {
    /// Reads the parameters of a listing of `kind`; problems are recorded on `params`.
    pub fn parse(
        kind: IdpKind,
        connection_id: Uuid,
        related: Option<IdpRelated>,
        params: &mut QueryParams,
    ) -> IdpListing {
        let pagination = Pagination::parse(params);
        let updated_since = updated_since(params, &pagination);
        let includes = includes_of(kind)
            .iter()
            .filter(|i| params.bool(&[i.param], false))
            .copied()
            .collect();
        IdpListing {
            kind,
            connection_id,
            related,
            pagination,
            updated_since,
            includes,
        }
    }

    /// What a cursor is bound to: the list and the connection (`updatedSince` travels
    /// inside the cursor; includes do not move positions).
    fn cursor_context(&self) -> String {
        let related = self.related.map(|r| (r.relation.as_str(), r.anchor));
        format!("idp:{:?}:{}:{related:?}", self.kind, self.connection_id)
    }
}

fn key(r: &StoredIdpRecord) -> SortKey {
    SortKey {
        key: r.sort_key,
        id: r.id,
    }
}

/// The included lists of a page: per include, its field, the kind it names, and each
/// record's references.
type Included = Vec<(&'static str, IdpKind, HashMap<Uuid, Vec<StoredIdpRef>>)>;

/// One query per include for the whole page.
async fn included(
    state: &AppState,
    caller: &Caller,
    listing: &IdpListing,
    ids: &[Uuid],
) -> ApiResult<Included> {
    let mut out = Vec::with_capacity(listing.includes.len());
    for inc in &listing.includes {
        let refs = state
            .store
            .list_idp_refs(
                caller.account_id,
                listing.connection_id,
                inc.relation,
                inc.side,
                ids,
                MAX_INCLUDED,
            )
            .await?;
        let mut by_record: HashMap<Uuid, Vec<StoredIdpRef>> = HashMap::new();
        for r in refs {
            by_record.entry(r.anchor_id).or_default().push(r);
        }
        out.push((inc.field, inc.other(), by_record));
    }
    Ok(out)
}

fn render(r: &StoredIdpRecord, included: &Included) -> String {
    let lists: Vec<(&str, String)> = included
        .iter()
        .map(|(field, kind, by_record)| {
            let refs = by_record
                .get(&r.id)
                .map(|v| v.as_slice())
                .unwrap_or_default();
            (*field, render_refs(*kind, refs.iter()))
        })
        .collect();
    render_idp(r, &lists)
}

/// One page of the listing, each item rendered from its stored document with the lists
/// its includes asked for. A sub-resource of a record the connection does not have is a
/// 404.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    listing: IdpListing,
) -> ApiResult<Page<String>> {
    if let Some(related) = listing.related {
        let anchor_kind = if related.relation.member() == listing.kind {
            related.relation.parent()
        } else {
            related.relation.member()
        };
        let found = state
            .store
            .get_idp(
                caller.account_id,
                listing.connection_id,
                anchor_kind,
                related.anchor,
            )
            .await?;
        if found.is_none() {
            return Err(ApiError::not_found(noun(anchor_kind)));
        }
    }
    let codec = CursorCodec::new(&state.keyring, &listing.cursor_context());
    let (window, carried) = listing.pagination.window_with(&codec)?;
    let updated_since = listing.updated_since.or(carried);
    let query = IdpQuery {
        connection_id: listing.connection_id,
        kind: listing.kind,
        related: listing.related,
        updated_since,
        window,
    };
    let page = state.store.list_idp(caller.account_id, &query).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
    let included = included(state, caller, &listing, &ids).await?;
    Ok(listing
        .pagination
        .page_with(&codec, &window, page, updated_since, key, |r| {
            render(&r, &included)
        }))
}
