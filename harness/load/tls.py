"""TLS for a load run whose twin and receiver listen on a non-loopback address.

The adapter allows plain http only to loopback (services rely on that rule), so a run that
remote workers join serves the twin and the receiver over https, with a certificate for the
bind address issued by a certificate authority made for this run alone. The CA's certificate
is public: it travels in the run plan to every Locust process (remote workers included), which
trust it and nothing else for these two servers. Its private key is never written anywhere;
the server's key lives in the report dir for the run only, and is deleted with it.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from starlette.types import ASGIApp

from g2a_adapter.wire import is_loopback
from harness.serving import bind_socket

_VALIDITY = timedelta(days=2)  # longer than any run; the CA is thrown away with it
_START_TIMEOUT_S = 10.0
SERVER_FILES = ("tls-server.pem", "tls-server.key")


def needs_tls(bind_host: str) -> bool:
    """Whether what a run serves on `bind_host` must be https for the adapter to call it (its
    rule: plain http only to a loopback host)."""
    return not is_loopback(bind_host)


@dataclass(frozen=True)
class RunCertificates:
    ca_pem: str  # public: the only authority the run's clients trust for its servers
    cert_path: Path
    key_path: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly the run's CA (hostnames checked)."""
        return ssl.create_default_context(cadata=self.ca_pem)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _subject_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue(host: str, directory: Path) -> RunCertificates:
    """A fresh CA and a server certificate for `host` (an IP address or a name), the server's
    certificate and key written into `directory` (uvicorn reads them from files)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"g2a-harness load run CA {now:%Y-%m-%dT%H:%M:%SZ}")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_subject_name(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = (directory / name for name in SERVER_FILES)
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return RunCertificates(ca_pem, cert_path, key_path)


def https_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}:{port}"


@contextmanager
def serve_asgi_tls(app: ASGIApp, host: str, certificates: RunCertificates) -> Iterator[str]:
    """Yield `https://host:port` while uvicorn serves `app` over TLS in a thread (port 0: a
    free one), as `harness.serving.serve_asgi` does over plain http."""
    sock = bind_socket(host, 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        loop="auto",
        http="auto",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
        ssl_certfile=str(certificates.cert_path),
        ssl_keyfile=str(certificates.key_path),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"asgi-tls-{port}"
    )
    thread.start()
    waiting = threading.Event()
    for _ in range(int(_START_TIMEOUT_S / 0.01)):
        if server.started or not thread.is_alive():
            break
        waiting.wait(0.01)
    try:
        if not server.started:
            raise RuntimeError(f"the TLS server on {https_url(host, port)} did not start")
        yield https_url(host, port)
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)
        sock.close()
