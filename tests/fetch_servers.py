"""Loopback HTTPS test servers with a throwaway CA, and the test-only resolver and network policy."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from functions.ingest.addresses import IPAddress

Behaviour = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class LoopbackCa:
    """A CA made for one test run and a certificate for the given names signed by it."""

    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert.write_bytes(self.cert_pem)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What the fetcher is given instead of the public CAs: trusts only this CA, checks host names."""
        return ssl.create_default_context(cadata=self.ca_pem.decode())


def make_ca(names: Iterable[str]) -> LoopbackCa:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = list(names)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return LoopbackCa(
        cert_pem=cert.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ca_pem=ca_cert.public_bytes(pem),
    )


@dataclass
class Seen:
    path: str
    host: str | None
    sni: str | None
    cookie: str | None
    authorization: str | None
    accept_encoding: str | None


@dataclass
class LoopbackServer:
    """An HTTPS server on 127.0.0.1 answering each path with a behaviour; records what it saw."""

    ca: LoopbackCa
    routes: dict[str, Behaviour] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def start(self) -> LoopbackServer:
        server_context = self.ca.server_context()
        sni_by_thread: dict[int, str | None] = {}

        def remember_sni(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
            sni_by_thread[threading.get_ident()] = name

        server_context.sni_callback = remember_sni  # type: ignore[assignment]
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()

            def do_GET(self) -> None:
                owner.seen.append(
                    Seen(
                        path=self.path,
                        host=self.headers.get("Host"),
                        sni=sni_by_thread.get(threading.get_ident()),
                        cookie=self.headers.get("Cookie"),
                        authorization=self.headers.get("Authorization"),
                        accept_encoding=self.headers.get("Accept-Encoding"),
                    )
                )
                behaviour = owner.routes.get(self.path.split("?")[0])
                if behaviour is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    behaviour(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):  # type: ignore[no-untyped-def]
                sock, address = self.socket.accept()
                return server_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

            def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
                try:
                    request.do_handshake()
                except (ssl.SSLError, OSError):
                    return
                super().finish_request(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def send_bytes(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


def drip_headers(interval: float = 0.05, for_seconds: float = 60.0) -> Behaviour:
    """Headers sent one byte at a time, each byte well inside any per-read timeout, never finishing."""
    lines = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: drip\r\n" * 10_000

    def behave(handler: BaseHTTPRequestHandler) -> None:
        stop = time.monotonic() + for_seconds
        for index in range(len(lines)):
            if time.monotonic() > stop:
                return
            handler.wfile.write(lines[index : index + 1])
            handler.wfile.flush()
            time.sleep(interval)

    return behave


def endless_continue(interval: float = 0.01, for_seconds: float = 60.0) -> Behaviour:
    """`100 Continue` informational responses for ever, never the final one."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        stop = time.monotonic() + for_seconds
        while time.monotonic() < stop:
            handler.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            handler.wfile.flush()
            time.sleep(interval)

    return behave


def redirect(location: str, status: int = 302, headers: dict[str, str] | None = None) -> Behaviour:
    return send_bytes(b"", status, {"Location": location, **(headers or {})})


class LoopbackNetwork:
    """Test-only policy: exactly the listed addresses, any port, any name. Never used outside tests/devserver."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self._allowed = {ipaddress.ip_address(address) for address in allowed}

    def allows_address(self, address: IPAddress) -> bool:
        return address in self._allowed

    def allows_port(self, port: int) -> bool:
        return True

    def allows_name(self, host: str) -> bool:
        return True


class ScriptedResolver:
    """Answers from a table; each name may have a sequence of answers (one per lookup); records lookups."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = {name: list(sequence) for name, sequence in answers.items()}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        sequence = self._answers.get(host)
        if not sequence:
            raise OSError(f"no such host {host}")
        return sequence.pop(0) if len(sequence) > 1 else sequence[0]


class HangingResolver:
    """A resolver that never answers until released (a DNS server that drops our queries)."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def __call__(self, host: str, port: int) -> list[str]:
        self.released.wait(60)
        raise OSError(f"gave up on {host}")


class DrippingTlsServer:
    """A TCP server on 127.0.0.1 whose "TLS handshake" is one 16 KB record sent a byte at a time: every read of the
    handshake gets a byte in time, so only a deadline over the whole handshake ends it."""

    def __init__(self, interval: float = 0.05, for_seconds: float = 60.0) -> None:
        self._interval = interval
        self._for_seconds = for_seconds
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stopped = threading.Event()

    def start(self) -> DrippingTlsServer:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while not self._stopped.is_set():
                connection, _ = self._listener.accept()
                threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        record = b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 16383  # handshake record, 16 KB, never finished
        stop = time.monotonic() + self._for_seconds
        with connection, contextlib.suppress(OSError):
            for index in range(len(record)):
                if self._stopped.is_set() or time.monotonic() > stop:
                    return
                connection.sendall(record[index : index + 1])
                time.sleep(self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
