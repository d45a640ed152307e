//! The fault grammar and the rule table.
use super::*;

fn spec(s: &str) -> FaultSpec {
    s.parse().unwrap()
}

#[test]
fn grammar_round_trips() {
    for s in [
        "threats:403",
        "alerts:429x3",
        "all:503",
        "agents:hang",
        "token:401",
        "cred-2/threats:403",
        "all:slow=250",
        "devices:slow=100x2",
        "all:reset",
        "alerts:truncated",
        "alerts:malformed",
        "alerts:duplicatex1",
        "all:unknown_enum",
        "all:revoke",
        "all:revoke_after=3",
        "all:expire_in=500",
        "all:quota=5/1000ms",
    ] {
        assert_eq!(spec(s).to_string(), s, "{s}");
    }
    assert_eq!(
        spec("all:quota=100/60s").fault,
        Fault::Quota {
            limit: 100,
            window_ms: 60_000
        }
    );
    assert_eq!(spec("all:429").endpoint, None);
    for bad in [
        "threats",
        "threats:999",
        "threats:sideways",
        ":403",
        "threats:429x0",
        "token:revoke",
        "all:quota=5",
        "all:quota=5/0s",
        "x/:403",
        "all:quotax2",
    ] {
        assert!(bad.parse::<FaultSpec>().is_err(), "{bad} should not parse");
    }
}

#[test]
fn rules_match_count_down_and_clear() {
    let t = FaultTable::default();
    t.add(spec("threats:429x2"));
    t.add(spec("cred/agents:403"));
    t.add(spec("all:slow=10"));
    let now = Instant::now();
    let d = t.decide(None, "threats", now);
    assert_eq!(
        d.action,
        Some(Action::Status {
            code: 429,
            retry_after_secs: 1
        })
    );
    assert_eq!(d.delay, Duration::from_millis(10));
    assert!(
        t.decide(None, "agents", now).action.is_none(),
        "other credential"
    );
    assert!(t.decide(Some("cred"), "agents", now).action.is_some());
    assert!(t.decide(None, "threats", now).action.is_some());
    assert!(
        t.decide(None, "threats", now).action.is_none(),
        "429x2 used up"
    );
    assert_eq!(t.clear(Some("cred"), None), 1);
    assert_eq!(t.clear(None, Some("all")), 1);
    assert!(t.list().is_empty());
}

#[test]
fn quota_refuses_after_limit_until_window_ends() {
    let t = FaultTable::default();
    t.add(spec("all:quota=2/60s"));
    let now = Instant::now();
    assert_eq!(t.decide(None, "x", now).quota.unwrap().remaining, 1);
    assert!(t.decide(None, "x", now).action.is_none());
    let d = t.decide(None, "x", now);
    assert!(matches!(
        d.action,
        Some(Action::Status {
            code: 429,
            retry_after_secs: 60
        })
    ));
    let later = now + Duration::from_secs(61);
    assert!(t.decide(None, "x", later).action.is_none());
}

#[test]
fn vendor_faults_are_snake_case_names_taken_where_they_fit() {
    assert_eq!(
        spec("vulns:export_errorx2").to_string(),
        "vulns:export_errorx2"
    );
    assert!(
        matches!(spec("vulns:export_error").fault, Fault::Named(n) if n.as_str() == "export_error")
    );
    assert!(
        "vulns:exporterror".parse::<FaultSpec>().is_err(),
        "no underscore"
    );
    assert!("vulns:Export_Error".parse::<FaultSpec>().is_err());
    let t = FaultTable::default();
    t.add(spec("ro/vulns:export_errorx1"));
    let now = Instant::now();
    let d = t.decide(Some("ro"), "vulns", now);
    assert!(
        d.action.is_none() && d.applied.is_empty(),
        "the pipeline leaves it alone"
    );
    assert!(
        !t.take_named(None, "vulns", "export_error"),
        "another credential"
    );
    assert!(!t.take_named(Some("ro"), "assets", "export_error"));
    assert!(t.take_named(Some("ro"), "vulns", "export_error"));
    assert!(
        !t.take_named(Some("ro"), "vulns", "export_error"),
        "x1 used up"
    );
    assert!(t.list().is_empty());
}

#[test]
fn silent_failure_faults_parse_and_apply() {
    for s in [
        "threats:error200=401",
        "all:empty",
        "agents:shrink=50",
        "cred/all:token_expires_in=5",
    ] {
        assert_eq!(spec(s).to_string(), s, "{s}");
    }
    assert_eq!(spec("alerts:error200").fault, Fault::Error200(500));
    for bad in [
        "all:shrink=101",
        "all:error200=200",
        "all:token_expires_in=x",
    ] {
        assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
    }
    let t = FaultTable::default();
    t.add(spec("threats:error200=503"));
    t.add(spec("agents:shrink=30"));
    t.add(spec("agents:empty"));
    t.add(spec("cred/all:token_expires_in=5"));
    let now = Instant::now();
    let d = t.decide(None, "threats", now);
    assert_eq!(d.action, Some(Action::Error200 { code: 503 }));
    let d = t.decide(None, "agents", now);
    assert!(d.body.empty && d.body.shrink == Some(30) && d.body.rewrites_records());
    assert_eq!(t.token_expires_in(Some("cred")), Some(5));
    assert_eq!(t.token_expires_in(Some("other")), None);
}

#[test]
fn an_outage_is_fleet_wide() {
    assert_eq!(spec("outage"), spec("all:outage"));
    assert_eq!(spec("outage").to_string(), "all:outage");
    assert_eq!(spec("all:outagex2").times, Some(2));
    for bad in ["primary/all:outage", "threats:outage", "cred/outage"] {
        assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
    }
    let table = FaultTable::default();
    table.add(spec("outage"));
    let now = Instant::now();
    for (credential, endpoint) in [
        (Some("a"), "threats"),
        (Some("b"), "agents"),
        (None, "token"),
    ] {
        assert_eq!(
            table.decide(credential, endpoint, now).action,
            Some(Action::Status {
                code: 503,
                retry_after_secs: RETRY_AFTER_SECS
            }),
            "{credential:?} {endpoint}"
        );
    }
}
