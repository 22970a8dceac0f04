"""A throwaway PostgreSQL server for the delivery tests, from the binaries Debian's `postgresql` installs.

PostgreSQL refuses to run as root (and CI runs as root), so when root the server runs as the
`postgres` system user, in a temporary folder that user owns. Local (Unix socket) connections are
trusted, so the fixture can set a password; TCP on 127.0.0.1 asks for it (scram), so a wrong
password is refused as it would be in production. The port is a free one found at start.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "postgresql"
PASSWORD = "s3cret-pg-pass"


def pg_bindir() -> Path | None:
    """Debian puts the server binaries outside PATH: /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int = 0
    user: str | None = None  # the system user the server runs as (None: the current one)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # cwd: the postgres user may not be allowed into the caller's working directory
        return subprocess.run(
            list(args),
            user=self.user,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        """Start (again) on a free port; after `stop` it may be another one."""
        for _ in range(5):
            self.port = _free_port()
            options = f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
            started = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                                "-l", str(self.root / "log"), "-w", "start", check=False)  # fmt: skip
            if started.returncode == 0:
                return
        raise RuntimeError(f"PostgreSQL did not start: {(self.root / 'log').read_text()[-2000:]}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL over the trusted Unix socket (as the superuser) and return psql's unaligned output."""
        done = self._run(str(self.bindir / "psql"),
                         "-h", str(self.root), "-p", str(self.port), "-U", "postgres", "-d", database,
                         "-v", "ON_ERROR_STOP=1", "-At", "-c", sql)  # fmt: skip
        return done.stdout

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"


def start_server() -> PostgresServer:
    bindir = pg_bindir()
    if bindir is None:
        raise FileNotFoundError(PACKAGE)
    server = PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="syncscope-pg-")))
    server.init()
    server.start()
    server.psql(f"alter user postgres password '{PASSWORD}'")
    return server


def remove(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
