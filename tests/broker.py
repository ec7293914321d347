"""A real mosquitto for the tests: loopback ports, a generated config, TLS, a password file and an ACL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

USERS = {"carvoice": "car-secret", "screen": "screen-secret"}
ACL = """
user carvoice
topic readwrite carvoice/#

user screen
topic read carvoice/+/status
topic read carvoice/+/status/#
topic read carvoice/+/state/#
topic read carvoice/+/event/#
topic write carvoice/+/command/#
"""


@dataclass
class Broker:
    """A running mosquitto; ``restart()`` keeps its ports and files."""

    folder: Path
    port: int
    """Plain listener, anonymous allowed (tests of events and commands)."""
    secure_port: int
    """TLS listener with passwords and the ACL."""
    ca_file: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        with (self.folder / "log.txt").open("ab") as log:
            self.process = subprocess.Popen(["mosquitto", "-c", str(self.folder / "mosquitto.conf")],
                                            stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        for port in (self.port, self.secure_port):
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise RuntimeError((self.folder / "log.txt").read_text()[-2000:]) from None
                    time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def make_broker(folder: Path) -> Broker:
    """Generate certificates, passwords, ACL and config; the broker is not started yet."""
    if shutil.which("mosquitto") is None:
        raise RuntimeError("mosquitto is not installed (make test installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=carvoice-test-ca",
        "-keyout", str(ca_key), "-out", str(ca))
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(csr))
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "2", "-extfile", str(ext), "-out", str(cert))
    passwords = folder / "passwd"
    passwords.write_text("")
    for user, password in USERS.items():
        run("mosquitto_passwd", "-b", str(passwords), user, password)
    (folder / "acl").write_text(ACL)
    port, secure = free_port(), free_port()
    (folder / "mosquitto.conf").write_text(f"""
user root
per_listener_settings true
set_tcp_nodelay true
persistence false
log_dest stderr
listener {port} 127.0.0.1
allow_anonymous true
listener {secure} 127.0.0.1
allow_anonymous false
password_file {passwords}
acl_file {folder / "acl"}
cafile {ca}
certfile {cert}
keyfile {key}
""")
    for f in (passwords, folder / "acl", key):
        f.chmod(0o600)
    return Broker(folder, port, secure, ca)
