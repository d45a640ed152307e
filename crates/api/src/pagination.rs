//! The documented pagination: `limit`, `offset`, `excludeTotal`/`skipTotal`, and cursor
//! mode (`enableCursor=true`, `cursor=`). Cursors are opaque and tamper-evident: a
//! position in the list plus a hash of the query they belong to, signed with an HMAC.
//! A forged, altered or foreign cursor is a 422.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use tributary_engine::{keyring::macs_equal, Keyring};
use tributary_model::page::{CursorLinks, Page};
use tributary_store::{ListPage, ListWindow, Position, SortKey};
use uuid::Uuid;

use crate::{error::ApiError, validate::QueryParams};

/// The largest page a client may ask for.
pub const MAX_LIMIT: i64 = 1000;
const CURSOR_VERSION: u8 = 1;
const MAC_LEN: usize = 16;
/// version, direction, sort key, id, auxiliary value, context hash.
const BODY_LEN: usize = 1 + 1 + 8 + 16 + 8 + 8;

/// Pagination parameters as given.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub limit: i64,
    pub offset: i64,
    pub with_total: bool,
    pub cursor_mode: bool,
    pub cursor: Option<String>,
}

impl Pagination {
    /// Reads the standard parameters; problems are recorded on `params`.
    pub fn parse(params: &mut QueryParams) -> Self {
        let limit = params.int("limit", 100, 1, MAX_LIMIT);
        let offset = params.int("offset", 0, 0, i64::MAX);
        let exclude_total = params.bool(&["excludeTotal", "skipTotal"], false);
        let enable_cursor = params.bool(&["enableCursor"], false);
        let cursor = params
            .get(&["cursor"])
            .map(|(_, v)| v.to_owned())
            .filter(|c| !c.is_empty());
        if cursor.is_some() && offset > 0 {
            params.error(
                "offset",
                "value_error",
                "offset cannot be combined with cursor",
            );
        }
        Pagination {
            limit,
            offset,
            with_total: !exclude_total,
            cursor_mode: enable_cursor || cursor.is_some(),
            cursor,
        }
    }

    /// The store window, decoding the cursor against `codec`.
    pub fn window(&self, codec: &CursorCodec<'_>) -> Result<ListWindow, ApiError> {
        let position = match &self.cursor {
            Some(c) => codec.decode(c)?,
            None => Position::Offset(self.offset),
        };
        Ok(ListWindow {
            limit: self.limit,
            position,
            with_total: self.with_total,
        })
    }

    /// The store window and the auxiliary value the cursor carried.
    pub fn window_with(
        &self,
        codec: &CursorCodec<'_>,
    ) -> Result<(ListWindow, Option<i64>), ApiError> {
        let (position, aux) = match &self.cursor {
            Some(c) => codec.decode_with(c)?,
            None => (Position::Offset(self.offset), None),
        };
        Ok((
            ListWindow {
                limit: self.limit,
                position,
                with_total: self.with_total,
            },
            aux,
        ))
    }

    /// Builds the response envelope, with cursor links in cursor mode.
    pub fn page<T, U>(
        &self,
        codec: &CursorCodec<'_>,
        window: &ListWindow,
        page: ListPage<T>,
        key_of: impl Fn(&T) -> SortKey,
        render: impl FnMut(T) -> U,
    ) -> Page<U> {
        self.page_with(codec, window, page, None, key_of, render)
    }

    /// [`page`](Self::page) with an auxiliary value carried by the cursors.
    pub fn page_with<T, U>(
        &self,
        codec: &CursorCodec<'_>,
        window: &ListWindow,
        page: ListPage<T>,
        aux: Option<i64>,
        key_of: impl Fn(&T) -> SortKey,
        render: impl FnMut(T) -> U,
    ) -> Page<U> {
        let links = self.cursor_mode.then(|| {
            let first = page.items.first().map(&key_of);
            let last = page.items.last().map(&key_of);
            let (next, previous) = match window.position {
                Position::Offset(off) => {
                    (last.filter(|_| page.has_more), first.filter(|_| off > 0))
                }
                Position::After(_) => (last.filter(|_| page.has_more), first),
                Position::Before(_) => (last, first.filter(|_| page.has_more)),
            };
            CursorLinks {
                next_cursor: next.map(|k| codec.encode_with(Position::After(k), aux)),
                previous_cursor: previous.map(|k| codec.encode_with(Position::Before(k), aux)),
            }
        });
        Page::new(
            page.items.into_iter().map(render).collect(),
            page.total,
            links,
        )
    }
}

/// Encodes and checks cursors for one query context.
pub struct CursorCodec<'a> {
    keyring: &'a Keyring,
    context: [u8; 8],
}

impl<'a> CursorCodec<'a> {
    /// `context` names the list and every parameter that shapes it (filters, sort, owner),
    /// so a cursor cannot be replayed against a different query.
    pub fn new(keyring: &'a Keyring, context: &str) -> Self {
        let digest = Sha256::digest(context.as_bytes());
        let mut ctx = [0u8; 8];
        ctx.copy_from_slice(&digest[..8]);
        CursorCodec {
            keyring,
            context: ctx,
        }
    }

    pub fn encode(&self, position: Position) -> String {
        self.encode_with(position, None)
    }

    /// Encodes a position with an auxiliary value the next request needs but does not
    /// resend (e.g. `updatedSince`, which may not accompany a cursor).
    pub fn encode_with(&self, position: Position, aux: Option<i64>) -> String {
        let (dir, key) = match position {
            Position::After(k) => (0u8, k),
            Position::Before(k) => (1u8, k),
            Position::Offset(_) => unreachable!("offsets are not cursors"),
        };
        let mut buf = Vec::with_capacity(BODY_LEN + MAC_LEN);
        buf.push(CURSOR_VERSION);
        buf.push(dir);
        buf.extend_from_slice(&key.key.to_le_bytes());
        buf.extend_from_slice(key.id.as_bytes());
        buf.extend_from_slice(&aux.unwrap_or(i64::MIN).to_le_bytes());
        buf.extend_from_slice(&self.context);
        let mac = self.keyring.sign_cursor(&buf);
        buf.extend_from_slice(&mac[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(buf)
    }

    pub fn decode(&self, cursor: &str) -> Result<Position, ApiError> {
        self.decode_with(cursor).map(|(p, _)| p)
    }

    /// Decodes a cursor and its auxiliary value.
    pub fn decode_with(&self, cursor: &str) -> Result<(Position, Option<i64>), ApiError> {
        let invalid = |msg: &str| ApiError::invalid(&["query", "cursor"], "value_error", msg);
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .map_err(|_| invalid("Invalid cursor"))?;
        if bytes.len() != BODY_LEN + MAC_LEN || bytes[0] != CURSOR_VERSION {
            return Err(invalid("Invalid cursor"));
        }
        let (body, mac) = bytes.split_at(BODY_LEN);
        if !macs_equal(&self.keyring.sign_cursor(body)[..MAC_LEN], mac) {
            return Err(invalid("Invalid cursor"));
        }
        if body[34..42] != self.context {
            return Err(invalid(
                "Cursor belongs to a different query (filters, sort or connection changed)",
            ));
        }
        let key = SortKey {
            key: i64::from_le_bytes(body[2..10].try_into().expect("8 bytes")),
            id: Uuid::from_slice(&body[10..26]).map_err(|_| invalid("Invalid cursor"))?,
        };
        let aux = i64::from_le_bytes(body[26..34].try_into().expect("8 bytes"));
        let position = match body[1] {
            0 => Position::After(key),
            1 => Position::Before(key),
            _ => return Err(invalid("Invalid cursor")),
        };
        Ok((position, (aux != i64::MIN).then_some(aux)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let k = Keyring::new([1; 32]);
        let codec = CursorCodec::new(&k, "alerts:c1:updated_at");
        let pos = Position::After(SortKey {
            key: -5,
            id: Uuid::new_v4(),
        });
        let c = codec.encode(pos);
        assert_eq!(codec.decode(&c).unwrap(), pos);
        let mut bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        bytes[3] ^= 1;
        assert!(codec.decode(&URL_SAFE_NO_PAD.encode(&bytes)).is_err());
        assert!(codec.decode("eyJvZmZzZXQiOjJ9").is_err());
        let other = CursorCodec::new(&k, "alerts:c2:updated_at");
        assert!(other.decode(&c).is_err());
        let other_key = Keyring::new([2; 32]);
        assert!(CursorCodec::new(&other_key, "alerts:c1:updated_at")
            .decode(&c)
            .is_err());
    }
}
