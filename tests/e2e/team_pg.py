"""A throwaway PostgreSQL for the team e2e (issue 18): the recipe of the team crate's
`testing.rs` (initdb + pg_ctl from Debian's postgresql package, loopback, SCRAM logins),
and a studio database with one login role per designer."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("PROOFSHEET_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER, SUPERUSER_PASSWORD = "proofsheet_super", "super-secret-e2e"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-pg-"))
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self.port = 0

    def _cmd(self, tool: str, *args: str) -> list[str]:
        exe = [str(BIN / tool), *args]
        return ["runuser", "-u", "postgres", "--", *exe] if self.as_postgres else exe

    def _run(self, cmd: list[str]):
        out = subprocess.run(cmd, capture_output=True, text=True)
        assert out.returncode == 0, f"{cmd} failed: {out.stdout}{out.stderr}"

    def start(self) -> "PgServer":
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        pw = self.dir / "pw"
        pw.write_text(SUPERUSER_PASSWORD)
        if self.as_postgres:
            shutil.chown(pw, "postgres")
        self._run(self._cmd("initdb", "-D", str(self.dir / "data"), "-U", SUPERUSER, "--auth-local=trust",
                            "--auth-host=scram-sha-256", "--pwfile", str(pw), "--no-sync",
                            "--no-instructions", "-E", "UTF8"))
        for _ in range(5):
            self.port = _free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                    "-c full_page_writes=off -c shared_buffers=16MB")
            r = subprocess.run(self._cmd("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                                         "-o", opts, "-w", "-t", "30", "start"), capture_output=True)
            if r.returncode == 0:
                return self
        raise RuntimeError("the e2e PostgreSQL did not start:\n" + (self.dir / "log").read_text())

    def sql(self, db: str, statement: str):
        """Runs one statement as the superuser over the Unix socket (trust)."""
        self._run(self._cmd("psql", "-h", str(self.dir), "-p", str(self.port), "-U", SUPERUSER, "-d", db,
                            "-v", "ON_ERROR_STOP=1", "-q", "-c", statement))

    def studio(self, db: str, admin: tuple[str, str], members: list[tuple[str, str]]):
        self.sql("postgres", f"CREATE ROLE {admin[0]} LOGIN PASSWORD '{admin[1]}'")
        self.sql("postgres", f"CREATE DATABASE {db} OWNER {admin[0]}")
        self.sql("postgres", f"REVOKE CONNECT ON DATABASE {db} FROM PUBLIC")
        for m, pw in members:
            self.sql("postgres", f"CREATE ROLE {m} LOGIN PASSWORD '{pw}'")
            self.sql("postgres", f"GRANT CONNECT ON DATABASE {db} TO {m}")

    def url(self, user: str, db: str) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}"

    def stop(self):
        with contextlib.suppress(Exception):
            subprocess.run(self._cmd("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"),
                           capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
