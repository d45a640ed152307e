"""Lists every user and group of an Entra tenant with Microsoft's own Python SDKs —
`msgraph-sdk` on `azure-identity`'s ClientSecretCredential — unmodified, following
`@odata.nextLink` to the end and running a users delta query to its deltaLink, and
prints the counts as JSON.

    python3 graph_list.py LOGIN_BASE_URL GRAPH_BASE_URL TENANT_ID CLIENT_ID CLIENT_SECRET

How it is pointed at the simulator (plain http on 127.0.0.1), with documented settings:
- Graph: `GraphRequestAdapter.base_url` (the national-cloud setting) and the auth
  provider's `allowed_hosts`; kiota sends tokens over http only to localhost, which the
  simulator is.
- Login: `ClientSecretCredential(authority=…, disable_instance_discovery=True)`.
  azure-identity and MSAL accept only an https authority, and there is no switch for
  that, so this script puts a small local https proxy (`ms_login_https.py`: a
  self-signed certificate made with `cryptography`, which MSAL already depends on) in
  front of the simulator's login host, and trusts that certificate with
  `connection_verify`.
"""

import asyncio
import json
import sys
import tempfile

from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient

from ms_login_https import https_proxy, self_signed


async def list_all(builder):
    """Every object of a collection, following `@odata.nextLink`; (count, pages, ids)."""
    page = await builder.get()
    ids, pages = [o.id for o in page.value], 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        ids.extend(o.id for o in page.value)
        pages += 1
    return ids, pages


async def delta_all(client):
    """A users delta query from the start to its deltaLink; (objects, pages, deltaLink)."""
    page = await client.users.delta.get()
    count, pages = len(page.value), 1
    while page.odata_next_link:
        page = await client.users.delta.with_url(page.odata_next_link).get()
        count += len(page.value)
        pages += 1
    return count, pages, page.odata_delta_link


async def main(login_base, graph_base, tenant, client_id, secret):
    folder = tempfile.mkdtemp()
    cert_path, key_path = self_signed(folder)
    authority = https_proxy(login_base.rstrip("/"), cert_path, key_path)
    credential = ClientSecretCredential(
        tenant, client_id, secret,
        authority=authority,
        disable_instance_discovery=True,
        connection_verify=cert_path,
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=["127.0.0.1"]
    )
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = graph_base.rstrip("/") + "/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    users, user_pages = await list_all(client.users)
    groups, group_pages = await list_all(client.groups)
    delta_count, delta_pages, delta_link = await delta_all(client)
    print(json.dumps({
        "users": len(users),
        "user_pages": user_pages,
        "distinct_users": len(set(users)),
        "groups": len(groups),
        "group_pages": group_pages,
        "delta_users": delta_count,
        "delta_pages": delta_pages,
        "delta_link": bool(delta_link and "$deltatoken=" in delta_link),
    }))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
