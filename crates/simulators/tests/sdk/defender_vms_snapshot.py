"""Reads the whole vulnerability snapshot of a Defender tenant as a Python client does:
Microsoft publishes no SDK for the Defender API, so a token from `azure-identity`'s
ClientSecretCredential (unmodified) and plain HTTP, following `@odata.nextLink` to the
end; prints the counts as JSON.

    python3 defender_vms_snapshot.py LOGIN_BASE_URL API_BASE_URL TENANT_ID CLIENT_ID CLIENT_SECRET

The login host is put behind `ms_login_https.py`'s https proxy (azure-identity accepts
only an https authority), with `disable_instance_discovery=True`.
"""

import json
import sys
import tempfile
import urllib.request

from azure.identity import ClientSecretCredential

from ms_login_https import https_proxy, self_signed

SCOPE = "https://api.securitycenter.microsoft.com/.default"


def main(login_base, api_base, tenant, client_id, secret):
    cert_path, key_path = self_signed(tempfile.mkdtemp())
    authority = https_proxy(login_base.rstrip("/"), cert_path, key_path)
    credential = ClientSecretCredential(
        tenant, client_id, secret,
        authority=authority,
        disable_instance_discovery=True,
        connection_verify=cert_path,
    )
    token = credential.get_token(SCOPE).token
    url = api_base.rstrip("/") + "/api/vulnerabilities/machinesVulnerabilities?$top=1000"
    ids, pages = [], 0
    while url:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req) as resp:
            page = json.load(resp)
        ids.extend(r["id"] for r in page["value"])
        pages += 1
        url = page.get("@odata.nextLink")
    print(json.dumps({"findings": len(ids), "distinct": len(set(ids)), "pages": pages}))


if __name__ == "__main__":
    main(*sys.argv[1:6])
