"""A throwaway Dovecot IMAP server on 127.0.0.1, for the imap tests and benchmark.

Everything lives in one temporary folder: the configuration, a passwd-file of test users,
their Maildirs, a TLS certificate made by ``openssl`` when the server starts, and the log.
Ports are free ones picked at start. As root, mail is owned by ``nobody`` (Dovecot refuses
uid 0 for mail); as another user, every Dovecot process runs as that user.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

REQUIRE_ENV = "SYNCDECK_REQUIRE_SERVERS"


def find_binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")


def unavailable_reason() -> str | None:
    """Why no Dovecot can run here, or None when it can."""
    missing = [name for name in ("dovecot", "doveadm", "openssl") if find_binary(name) is None]
    if missing:
        return (
            f"{', '.join(missing)} not installed (apt-get install dovecot-imapd openssl); "
            "the IMAP tests need a real Dovecot server"
        )
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """One running server; accounts are added with :meth:`add_user` while it runs."""

    def __init__(
        self, root: Path | None = None, *, accounts: int = 60, passwords: tuple[str, ...] = ()
    ) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="syncdeck-dovecot-"))
        self.root.chmod(0o755)  # the auth and mail processes run as other users
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.conf = self.root / "dovecot.conf"
        self.log_path = self.root / "dovecot.log"
        self.passwd = self.root / "passwd"
        self.ca_file = self.root / "cert.pem"
        self.mail_root = self.root / "mail"
        self.users: dict[str, str] = {}
        self._handed_out: set[str] = set()
        self._accounts = accounts
        self._passwords = list(passwords)
        self._process_owner = os.getuid() == 0
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> None:
        self._make_certificate()
        self._write_users(self._accounts, self._passwords)
        self.passwd.chmod(0o644)
        uid, gid = self._mail_owner()
        for folder in (self.mail_root, self.root / "home"):
            folder.mkdir(exist_ok=True)
            os.chown(folder, uid, gid)
        self.conf.write_text(self._config(uid, gid))
        with (self.root / "dovecot.stderr").open("wb") as errors:
            self._process = subprocess.Popen(  # -F: in the foreground, as our child
                [find_binary("dovecot") or "dovecot", "-F", "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=errors,
                stderr=errors,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        texts = []
        for path in (self.root / "dovecot.stderr", self.log_path):
            with contextlib.suppress(OSError):
                texts.append(path.read_text(errors="replace"))
        return "".join(texts) or "(no dovecot log)"

    # -- accounts and mail ---------------------------------------------------------------

    def add_user(self, password: str | None = None) -> tuple[str, str]:
        """An unused account with an empty INBOX: (username, password). With ``password``,
        the account made at start with that password (see ``passwords``)."""
        for user, known in self.users.items():
            wanted = user.startswith("user") if password is None else known == password
            if wanted and user not in self._handed_out:
                self._handed_out.add(user)
                return user, known
        raise RuntimeError(f"no unused test account left (made {len(self.users)} at start)")

    def _write_users(self, count: int, passwords: list[str]) -> None:
        # Dovecot re-reads a passwd-file at most once a second, so every account is made
        # before the server starts.
        for n in range(1, count + 1):
            self.users[f"user{n}"] = f"pw-{secrets.token_hex(8)}"
        for n, password in enumerate(passwords, 1):
            self.users[f"special{n}"] = password
        self.passwd.write_text(
            "".join(f"{user}:{{PLAIN}}{pw}::::::\n" for user, pw in self.users.items())
        )

    def client(self, user: str) -> imaplib.IMAP4_SSL:
        """A logged-in client for setting up mail (verified against the test CA)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=20)
        token = f"\0{user}\0{self.users[user]}".encode()
        imap.authenticate("PLAIN", lambda _challenge: token)
        return imap

    def append(self, user: str, folder: str, messages: list[bytes], flags: str = "") -> None:
        imap = self.client(user)
        try:
            if folder.upper() != "INBOX":
                imap.create(f'"{folder}"')
            for raw in messages:
                typ, data = imap.append(f'"{folder}"', flags or None, None, raw)
                assert typ == "OK", data
        finally:
            imap.logout()

    def deliver_to_maildir(self, user: str, messages: list[bytes]) -> None:
        """Mail written straight into the user's INBOX Maildir (``new/``), the way a local
        delivery agent does: much faster than APPEND for thousands of messages."""
        new = self.mail_root / user / "new"
        for sub in ("new", "cur", "tmp"):
            (self.mail_root / user / sub).mkdir(parents=True, exist_ok=True)
        uid, gid = self._mail_owner()
        for folder in (self.mail_root / user, *(self.mail_root / user).iterdir()):
            os.chown(folder, uid, gid)
        stamp = int(time.time())
        for n, raw in enumerate(messages):
            path = new / f"{stamp}.M{n:06d}P{os.getpid()}.syncdeck-test"
            path.write_bytes(raw)
            os.chown(path, uid, gid)

    def expunge(self, user: str, folder: str, uids: list[int]) -> None:
        imap = self.client(user)
        try:
            imap.select(f'"{folder}"')
            for uid in uids:
                imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            imap.expunge()
        finally:
            imap.logout()

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [find_binary("doveadm") or "doveadm", "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        out = self.doveadm("mailbox", "status", "-u", user, "uidvalidity", folder)
        return int(out.split("uidvalidity=")[1].split()[0])

    def sessions(self, user: str) -> list[str]:
        """The log's "Disconnected" lines of ``user``'s IMAP sessions (one per session)."""
        return [
            line
            for line in self.log().splitlines()
            if f"imap({user})" in line and "Disconnected" in line
        ]

    def fetched_bodies(self, user: str, *, sessions: int, timeout: float = 10.0) -> list[int]:
        """Messages whose body each of ``user``'s sessions sent (Dovecot's own count),
        once the log has ``sessions`` of them."""
        deadline = time.monotonic() + timeout
        while len(lines := self.sessions(user)) < sessions and time.monotonic() < deadline:
            time.sleep(0.05)
        return [int(line.split("body_count=")[1].split()[0]) for line in lines]

    # -- pieces --------------------------------------------------------------------------

    def _mail_owner(self) -> tuple[int, int]:
        if self._process_owner:
            nobody = pwd.getpwnam("nobody")
            return nobody.pw_uid, grp.getgrgid(nobody.pw_gid).gr_gid
        return os.getuid(), os.getgid()

    def _make_certificate(self) -> None:
        key = self.root / "key.pem"
        subprocess.run(
            [
                find_binary("openssl") or "openssl",
                *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-keyout", str(key), "-out", str(self.ca_file), "-subj", "/CN=localhost"),
                *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o600)

    def _config(self, uid: int, gid: int) -> str:
        root = self.root
        unprivileged = login_chroot = anvil_chroot = ""
        if not self._process_owner:  # no chroot and no user switch without root
            me = pwd.getpwuid(os.getuid()).pw_name
            unprivileged = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
            anvil_chroot = "  chroot =\n"
            login_chroot = "  chroot =\n"
        return f"""# written by the syncdeck tests; removed with the folder
base_dir = {root}/run
state_dir = {root}/state
instance_name = syncdeck-test-{os.getpid()}
log_path = {self.log_path}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.ca_file}
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# no growing delay after the failed logins the tests make on purpose
first_valid_uid = 1
mail_location = maildir:{self.mail_root}/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
{login_chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
{anvil_chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{unprivileged}"""
