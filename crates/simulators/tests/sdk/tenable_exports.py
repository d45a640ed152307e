"""Drives the Tenable simulator with the unmodified pyTenable SDK.

Usage: python3 tenable_exports.py '<credentials JSON>'
Prints one JSON line of counts: findings per state (a full export with `since`), findings
of the default export (no time filter: the last 30 days, open and reopened), and assets.
pyTenable takes the simulator's URL as `url=`; plain http works unchanged.
"""
import collections
import json
import sys

from tenable.io import TenableIO

creds = json.loads(sys.argv[1])
tio = TenableIO(
    access_key=creds["access_key"],
    secret_key=creds["secret_key"],
    url=creds["base_url"],
    retries=1,
)
states = collections.Counter()
ids = set()
for finding in tio.exports.vulns(since=1, num_assets=50):
    states[finding["state"]] += 1
    ids.add(finding["finding_id"])
default = sum(1 for _ in tio.exports.vulns())
assets = [a["id"] for a in tio.exports.assets(chunk_size=100)]
print(json.dumps({
    "findings": sum(states.values()),
    "distinct_findings": len(ids),
    "states": dict(states),
    "default_export": default,
    "assets": len(assets),
    "distinct_assets": len(set(assets)),
}))
