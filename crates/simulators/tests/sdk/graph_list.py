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
  that, so this script puts a small local https proxy (a self-signed certificate made
  here with `cryptography`, which MSAL already depends on) in front of the simulator's
  login host, and trusts that certificate with `connection_verify`.
"""

import asyncio
import datetime
import http.server
import ipaddress
import json
import os
import ssl
import sys
import tempfile
import threading
import urllib.error
import urllib.request

from azure.identity import ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient


def self_signed(folder):
    """A certificate and key for 127.0.0.1, written to `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(folder, "cert.pem")
    key_path = os.path.join(folder, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def https_proxy(target, cert_path, key_path):
    """An https server on 127.0.0.1 that forwards every request to `target` (http)."""

    class Forward(http.server.BaseHTTPRequestHandler):
        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
            # The simulator names this proxy (not itself) in OpenID discovery.
            headers["X-Forwarded-Proto"] = "https"
            req = urllib.request.Request(target + self.path, data=body, headers=headers, method=self.command)
            try:
                resp = urllib.request.urlopen(req)
            except urllib.error.HTTPError as e:
                resp = e
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = forward
        do_POST = forward

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"https://127.0.0.1:{server.server_address[1]}"


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
