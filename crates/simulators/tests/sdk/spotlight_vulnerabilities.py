"""Drives the Spotlight simulator with the unmodified falconpy SDK.

Usage: python3 spotlight_vulnerabilities.py '<credentials JSON>'
Pages `query_vulnerabilities_combined` with `after` to the end (all statuses, then open
only) and prints one JSON line of counts. falconpy takes the simulator's URL as
`base_url=`; plain http works, and the simulator sends no `X-Cs-Region` header, so
falconpy's region autodiscovery keeps the URL it was given.
"""
import json
import sys

from falconpy import SpotlightVulnerabilities

creds = json.loads(sys.argv[1])
spotlight = SpotlightVulnerabilities(
    client_id=creds["client_id"],
    client_secret=creds["client_secret"],
    base_url=creds["base_url"],
)


def walk(fql, limit):
    """Every record of `fql`, following meta.pagination.after until it is empty."""
    records, after, pages = [], None, 0
    while True:
        kwargs = {"filter": fql, "limit": limit, "sort": "updated_timestamp|asc", "facet": ["cve", "host_info"]}
        if after:
            kwargs["after"] = after
        resp = spotlight.query_vulnerabilities_combined(**kwargs)
        if resp["status_code"] != 200 or resp["body"]["errors"]:
            raise SystemExit(f"page failed: {resp}")
        pages += 1
        records.extend(resp["body"]["resources"])
        after = resp["body"]["meta"]["pagination"].get("after")
        if not after:
            return records, pages


everything, pages = walk("updated_timestamp:>'2000-01-01T00:00:00Z'", 70)
open_only, _ = walk("updated_timestamp:>='2000-01-01T00:00:00Z'+status:['open','reopen']", 5000)
statuses = {}
for r in everything:
    statuses[r["status"]] = statuses.get(r["status"], 0) + 1
print(json.dumps({
    "vulnerabilities": len(everything),
    "distinct": len({r["id"] for r in everything}),
    "pages": pages,
    "statuses": statuses,
    "open_or_reopen": len(open_only),
    "with_cve_facet": sum(1 for r in everything if "cve" in r and "host_info" in r),
}))
