//! Delta queries: `GET /v1.0/users/delta` and `/v1.0/groups/delta`. The first call lists
//! every object in pages (`@odata.nextLink` with `$skiptoken`) and ends with an
//! `@odata.deltaLink` (`$deltatoken`); calling that link returns what changed since —
//! changed and new objects, deleted ones as `{"id", "@removed": {"reason"}}`, and for
//! groups with `members` selected (or `$expand=members`) membership changes as
//! `members@delta`. Tokens carry their query and times, signed per seed; an unknown one is
//! a 400 `syncStateNotFound`, one older than seven days a 410 `resyncRequired` with a
//! `Location` to start over, `$deltatoken=latest` starts from now.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header::LOCATION, HeaderValue, Uri},
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};

use super::{
    errors::{bad_request, error},
    ids,
    lists::{context, parse, Set},
    render,
};
use crate::{
    auth::label_key,
    dataset::{Key, Order, RecordRef, TimeRange},
    fake::{Rng, DAY},
    idp::{
        collections::{groups, memberships},
        members::{changed_groups, changes_since, members, Changes},
        profiles::{self, GroupKind},
    },
    odata,
    respond::{self, Params},
    sim::Sim,
};

/// Objects per delta page.
const PAGE: usize = 100;
/// Delta tokens for directory objects last seven days.
const TOKEN_LIFETIME: i64 = 7 * DAY;

/// How far a round reaches in each dataset it reads: its objects' and the memberships'.
/// Each dataset gives its changes strictly increasing times, so "up to the latest change
/// time when the round started" covers everything that happened before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Marks {
    objects: i64,
    members: i64,
}

impl Marks {
    fn now(sim: &Sim, set: Set) -> Marks {
        Marks {
            objects: set.data(&sim.world).latest(),
            members: memberships(&sim.world).latest(),
        }
    }
}

/// Where a delta sequence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Round {
    /// Changes after these marks (None: the initial full listing).
    since: Option<Marks>,
    /// Changes up to these marks (the next round's `since`).
    snapshot: Marks,
    /// When the round started (simulated time): tokens expire seven days later.
    issued: i64,
    /// 0: objects, 1: deletions, 2: groups whose membership alone changed.
    stage: u8,
    key: Option<Key>,
    select: Option<Vec<String>>,
    members: bool,
}

fn sign(seed: u64, payload: &str) -> String {
    format!(
        "{:016x}",
        label_key(payload) ^ Rng::for_record(seed, 0xde17a, 0).next_u64()
    )
}

fn marks(m: Marks) -> String {
    format!("{}.{}", m.objects, m.members)
}

fn unmarks(s: &str) -> Option<Marks> {
    let (a, b) = s.split_once('.')?;
    Some(Marks {
        objects: a.parse().ok()?,
        members: b.parse().ok()?,
    })
}

fn encode(seed: u64, set: Set, s: &Round) -> String {
    let key = s
        .key
        .map_or("-".to_owned(), |k| format!("{}.{}", k.updated, k.index));
    let payload = format!(
        "d2|{}|{}|{}|{}|{}|{key}|{}|{}",
        set == Set::Groups,
        s.since.map_or("-".to_owned(), marks),
        marks(s.snapshot),
        s.issued,
        s.stage,
        s.select.as_ref().map_or("-".to_owned(), |v| v.join(",")),
        s.members
    );
    let signed = format!("{payload}|{}", sign(seed, &payload));
    URL_SAFE_NO_PAD.encode(signed)
}

fn decode(seed: u64, set: Set, token: &str) -> Option<Round> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
    let (payload, mac) = raw.rsplit_once('|')?;
    if sign(seed, payload) != mac {
        return None;
    }
    let f: Vec<&str> = payload.split('|').collect();
    let ["d2", groups, since, snapshot, issued, stage, key, select, members] = f.as_slice() else {
        return None;
    };
    if groups.parse::<bool>().ok()? != (set == Set::Groups) {
        return None;
    }
    let key = match *key {
        "-" => None,
        k => unmarks(k).map(|m| Key {
            updated: m.objects,
            index: m.members as u64,
        }),
    };
    Some(Round {
        since: if *since == "-" {
            None
        } else {
            Some(unmarks(since)?)
        },
        snapshot: unmarks(snapshot)?,
        issued: issued.parse().ok()?,
        stage: stage.parse().ok()?,
        key,
        select: (*select != "-").then(|| select.split(',').map(str::to_owned).collect()),
        members: members.parse().ok()?,
    })
}

pub async fn users(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    delta(&sim, Set::Users, &uri)
}

pub async fn groups_delta(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    delta(&sim, Set::Groups, &uri)
}

fn path(set: Set) -> &'static str {
    if set == Set::Groups {
        "/v1.0/groups/delta"
    } else {
        "/v1.0/users/delta"
    }
}

/// 410 `resyncRequired`, pointing at a fresh delta query.
pub fn resync(sim: &Sim, set: Set) -> Response {
    let now = sim.world.clock.now_ns();
    let mut resp = error(now, 410, "resyncRequired", "Resync required. Replace any local cached copy with the response from a fresh delta query.");
    let fresh = format!("{}{}?$deltatoken=", sim.base_url, path(set));
    if let Ok(v) = HeaderValue::from_str(&fresh) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

/// A new sequence: the full listing, members included for groups that ask for them.
fn fresh(set: Set, params: &Params, select: Option<Vec<String>>, marks: Marks, now: i64) -> Round {
    let expand = params
        .get("$expand")
        .is_some_and(|e| e.eq_ignore_ascii_case("members"));
    let selects_members = select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p == "members"));
    Round {
        since: None,
        snapshot: marks,
        issued: now,
        stage: 0,
        key: None,
        select,
        members: set == Set::Groups && (expand || selects_members),
    }
}

/// Where this request starts: a new sequence, or the state a token carries.
fn start(sim: &Sim, set: Set, uri: &Uri) -> Result<Round, Box<Response>> {
    let now = sim.world.clock.now_ns();
    let t = set.object_type();
    let q = parse(t, uri, &["$select", "$expand", "$deltatoken", "$skiptoken"])
        .map_err(|e| Box::new(bad_request(now, &e)))?;
    let marks = Marks::now(sim, set);
    let token = q.params.get("$skiptoken").or(q.params.get("$deltatoken"));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(fresh(set, &q.params, q.select, marks, now));
    };
    if token.eq_ignore_ascii_case("latest") {
        return Ok(Round {
            since: Some(marks),
            snapshot: marks,
            issued: now,
            stage: 3,
            key: None,
            select: q.select,
            members: false,
        });
    }
    let Some(s) = decode(sim.seed(), set, token) else {
        return Err(Box::new(error(
            now,
            400,
            "syncStateNotFound",
            "The sync state generation is not found.",
        )));
    };
    if now - s.issued > TOKEN_LIFETIME {
        return Err(Box::new(resync(sim, set)));
    }
    if q.params.get("$skiptoken").is_some() {
        return Ok(s);
    }
    // A delta link: the next round, changes since the last one's snapshot.
    Ok(Round {
        since: Some(s.snapshot),
        snapshot: marks,
        issued: now,
        stage: 0,
        key: None,
        ..s
    })
}

fn delta(sim: &Arc<Sim>, set: Set, uri: &Uri) -> Response {
    let mut state = match start(sim, set, uri) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    let changes = Changes::of(&sim.world);
    let (items, more) = match state.since {
        None => initial_page(sim, set, &mut state, &changes),
        Some(since) => changes_page(sim, set, since, &mut state, &changes),
    };
    let t = set.object_type();
    let mut body =
        json!({"@odata.context": context(sim, t.set, state.select.as_deref()), "value": items});
    let (rel, key, token) = if more {
        (
            "@odata.nextLink",
            "$skiptoken",
            encode(sim.seed(), set, &state),
        )
    } else {
        let done = Round {
            since: Some(state.snapshot),
            stage: 0,
            key: None,
            ..state.clone()
        };
        (
            "@odata.deltaLink",
            "$deltatoken",
            encode(sim.seed(), set, &done),
        )
    };
    body[rel] = json!(odata::link(
        &sim.base_url,
        path(set),
        &[(key.to_owned(), token)]
    ));
    respond::json(200, &body)
}

/// An object as delta shows it: the selected properties (and its members on the
/// initial listing of groups with members).
fn object(sim: &Sim, set: Set, r: &RecordRef, state: &Round) -> Value {
    let select: Option<Vec<String>> = state
        .select
        .as_ref()
        .map(|s| s.iter().filter(|p| *p != "members").cloned().collect());
    render::project(
        set.object_type(),
        set.render(&sim.world, r),
        select.as_deref(),
    )
}

fn member_refs(sim: &Sim, users: &[u64], removed: bool) -> Vec<Value> {
    users
        .iter()
        .map(|u| {
            let mut v = json!({"@odata.type": "#microsoft.graph.user", "id": ids::encode(ids::USER, sim.seed(), *u)});
            if removed {
                v["@removed"] = json!({"reason": "deleted"});
            }
            v
        })
        .collect()
}

fn initial_page(sim: &Sim, set: Set, state: &mut Round, changes: &Changes) -> (Vec<Value>, bool) {
    let data = set.data(&sim.world);
    let mut recs = data.chunk(TimeRange::default(), Order::IndexAsc, state.key, PAGE + 1);
    let more = recs.len() > PAGE;
    recs.truncate(PAGE);
    let items = recs
        .iter()
        .map(|r| {
            let mut v = object(sim, set, r, state);
            if state.members {
                let users: Vec<u64> = members(&sim.world, changes, r.index, None, usize::MAX)
                    .iter()
                    .map(|e| e.user)
                    .collect();
                v["members@delta"] = json!(member_refs(sim, &users, false));
            }
            v
        })
        .collect();
    state.key = recs.last().map(Key::of);
    (items, more)
}

/// Why an object left: `changed` (soft-deleted, restorable) or `deleted` (for good).
fn removal_reason(sim: &Sim, set: Set, r: &RecordRef) -> &'static str {
    let soft = match set {
        Set::Groups => profiles::group(&sim.world, r).kind == GroupKind::Unified,
        _ => Rng::for_record(sim.seed(), 0xde1e7e, r.index).chance(80),
    };
    if soft {
        "changed"
    } else {
        "deleted"
    }
}

/// Up to a page of changes after `since` (up to the round's snapshot), continuing from
/// the round's stage and key.
fn changes_page(
    sim: &Sim,
    set: Set,
    since: Marks,
    state: &mut Round,
    changes: &Changes,
) -> (Vec<Value>, bool) {
    let data = set.data(&sim.world);
    let range = TimeRange {
        since: Some(since.objects + 1),
        until: Some(state.snapshot.objects),
    };
    let members = (since.members, state.snapshot.members);
    let mut items = Vec::new();
    while state.stage < 3 {
        let room = PAGE - items.len();
        let (mut found, keys): (Vec<Value>, Vec<Key>) = match state.stage {
            0 => data
                .chunk(range, Order::UpdatedAsc, state.key, room + 1)
                .iter()
                .map(|r| {
                    let mut v = object(sim, set, r, state);
                    if state.members {
                        add_member_changes(sim, &mut v, changes, r.index, members);
                    }
                    (v, Key::of(r))
                })
                .unzip(),
            1 => data
                .deleted(range, state.key, room + 1)
                .iter()
                .map(|r| {
                    let removed = json!({"reason": removal_reason(sim, set, r)});
                    (
                        json!({"id": set.id(sim.seed(), r.index), "@removed": removed}),
                        Key::of(r),
                    )
                })
                .unzip(),
            _ => membership_only(sim, set, range, members, state, changes, room + 1),
        };
        if found.len() > room {
            found.truncate(room);
            state.key = keys.get(room - 1).copied();
            items.extend(found);
            return (items, true);
        }
        items.extend(found);
        state.stage += 1;
        state.key = None;
    }
    (items, false)
}

/// Adds `members@delta` for `group`'s membership changes in `(since, until]`.
fn add_member_changes(
    sim: &Sim,
    v: &mut Value,
    changes: &Changes,
    group: u64,
    (since, until): (i64, i64),
) {
    let (added, removed) = changes_since(changes, group, since, until);
    if added.is_empty() && removed.is_empty() {
        return;
    }
    let mut refs = member_refs(sim, &added, false);
    refs.extend(member_refs(sim, &removed, true));
    v["members@delta"] = json!(refs);
}

/// Groups whose members changed in the round but whose own properties did not (those
/// were listed with their objects).
fn membership_only(
    sim: &Sim,
    set: Set,
    range: TimeRange,
    members: (i64, i64),
    state: &Round,
    changes: &Changes,
    max: usize,
) -> (Vec<Value>, Vec<Key>) {
    if set != Set::Groups || !state.members {
        return (vec![], vec![]);
    }
    let data = groups(&sim.world);
    changed_groups(changes, members.0, members.1)
        .into_iter()
        .filter(|g| state.key.is_none_or(|k| *g > k.index))
        .filter_map(|g| data.get(g))
        .filter(|r| !range.contains(r.updated))
        .take(max)
        .map(|r| {
            let mut v = json!({"id": ids::encode(ids::GROUP, sim.seed(), r.index)});
            add_member_changes(sim, &mut v, changes, r.index, members);
            (
                v,
                Key {
                    updated: 0,
                    index: r.index,
                },
            )
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_signed() {
        let m = Marks {
            objects: 5,
            members: 6,
        };
        let s = Round {
            since: Some(m),
            snapshot: Marks {
                objects: 9,
                members: 8,
            },
            issued: 7,
            stage: 1,
            key: Some(Key {
                updated: 3,
                index: 4,
            }),
            select: Some(vec!["displayName".into()]),
            members: true,
        };
        let t = encode(42, Set::Groups, &s);
        assert_eq!(decode(42, Set::Groups, &t), Some(s.clone()));
        assert_eq!(decode(43, Set::Groups, &t), None, "another tenant's token");
        assert_eq!(decode(42, Set::Users, &t), None, "another resource's token");
        assert_eq!(decode(42, Set::Groups, "garbage"), None);
    }
}
