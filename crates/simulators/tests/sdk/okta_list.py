"""Lists every user and group of an Okta org with Okta's own Python SDK (PyPI `okta`),
unmodified, following its paging to the end, and prints the counts as JSON.

    python3 okta_list.py ORG_URL API_TOKEN

The simulator speaks plain http on 127.0.0.1; the SDK refuses non-https org URLs unless
its testing switch `testing.testingDisableHttpsCheck` is set. That section is read from
YAML or the environment only (a dict given to the client lands under `client`), so this
script sets the documented variable OKTA_TESTING_TESTINGDISABLEHTTPSCHECK — the one
thing it changes.
"""

import asyncio
import json
import os
import sys

os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"

from okta.client import Client as OktaClient
from okta.pagination import PaginationHelper


async def list_all(call, **params):
    """Every record of a list call, following the `after` cursor of each response's
    `Link: <…>; rel="next"` header as the SDK's PaginationHelper reads it."""
    items, pages, after = [], 0, None
    while True:
        if after is not None:
            params["after"] = after
        page, resp, err = await call(**params)
        if err:
            raise SystemExit(f"page {pages + 1} failed: {err}")
        items.extend(page)
        pages += 1
        after = PaginationHelper.extract_next_cursor(resp.headers)
        if after is None:
            return items, pages


async def main(org_url, token):
    config = {
        "orgUrl": org_url,
        "token": token,
    }
    client = OktaClient(config)
    users, user_pages = await list_all(client.list_users, limit=200)
    groups, group_pages = await list_all(client.list_groups, limit=50)
    print(json.dumps({
        "users": len(users),
        "user_pages": user_pages,
        "distinct_users": len({u.id for u in users}),
        "groups": len(groups),
        "group_pages": group_pages,
        "first_login": users[0].profile.login if users else None,
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
