//! Falcon ids: the customer id, 32-hex AIDs and composite alert ids
//! (`<cid>:ind:<aid>:<process>-<pattern>-<n>` and the other products' forms), which
//! encode the record's index.

use crate::{
    edr::collections::{alert_device, alerts},
    fake::Rng,
    ids::{decode_guid_id, decode_hex_id, feistel, guid_id, hex_id, unfeistel},
    world::World,
};

const AID_KEY: u64 = 0xa1d0;
const ALERT_KEY: u64 = 0xa1e7;

pub(crate) use crate::vendors::falcon::gateway::cid;

pub(crate) fn device_aid(seed: u64, index: u64) -> String {
    hex_id(seed ^ AID_KEY, index, 32)
}

pub(crate) fn decode_aid(seed: u64, aid: &str) -> Option<u64> {
    decode_hex_id(seed ^ AID_KEY, aid, 32)
}

/// (product, type) of alert `index`: every product and type, the common ones often.
pub(crate) fn product(world: &World, index: u64) -> (&'static str, &'static str) {
    let mut r = Rng::for_record(world.seed, 0xc5a1, index);
    r.weighted(&[
        (("epp", "ldt"), 55),
        (("epp", "ods"), 6),
        (("epp", "ofp"), 2),
        (("epp", "windows_legacy"), 1),
        (("idp", "idp-session-source-user-endpoint-target-info"), 8),
        (("idp", "idp-user-endpoint-app-info"), 2),
        (("xdr", "xdr"), 5),
        (("overwatch", "ldt"), 4),
        (("thirdparty", "xdr"), 3),
        (("ngsiem", "xdr"), 2),
        (("cwpp", "ldt"), 2),
        (("mobile", "ssd"), 1),
        (("fcs", "cloud-ioa"), 1),
        (("data-protection", "ofp"), 1),
    ])
}

/// The composite id of alert `index`.
pub(crate) fn alert_composite_id(world: &World, index: u64) -> String {
    let cid = cid(world.seed);
    let aid = device_aid(world.seed, alert_device(world, index));
    let key = world.seed ^ ALERT_KEY;
    match product(world, index) {
        ("idp", _) => format!("{cid}:ind:{cid}:{}", guid_id(key, index, true)),
        (_, "ods") => format!("{cid}:ods:{aid}:{}", hex_id(key, index, 32)),
        (_, "xdr") => format!("{cid}:xdr:{cid}:{}", hex_id(key, index, 32)),
        ("fcs", _) => format!("{cid}:fcs:ioa-211:{}", guid_id(key, index, false)),
        _ => {
            let mut r = Rng::for_record(world.seed, 0xc5a2, index);
            let tail = feistel(index, 10_000, key);
            format!(
                "{cid}:ind:{aid}:{}-{}-{tail:08}",
                r.digits(12),
                4000 + r.below(6000)
            )
        }
    }
}

/// The alert index a composite id encodes, if it is one of this tenant's.
pub(crate) fn decode_composite_id(world: &World, id: &str) -> Option<u64> {
    let key = world.seed ^ ALERT_KEY;
    let last = id.rsplit(':').next()?;
    let parts: Vec<&str> = last.split('-').collect();
    let index = if parts.len() == 3 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        let tail: u64 = parts[2].parse().ok()?;
        (tail < 100_000_000).then(|| unfeistel(tail, 10_000, key))?
    } else if parts.len() == 5 {
        decode_guid_id(key, last)?
    } else {
        decode_hex_id(key, last, 32)?
    };
    (index < alerts(world).created() && alert_composite_id(world, index) == id).then_some(index)
}
