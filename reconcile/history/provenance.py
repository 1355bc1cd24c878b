"""Where a run came from, for the audit trail: who ran it, from which commit, in which CI job.

``Provenance`` is what ``run_start`` records beside the planned changes (see ``reconcile.history``):

- ``by``: who ran it: ``--by`` when given, else the CI's actor (``CI_ACTORS``, first one set), else the
  operating-system user;
- ``ci``: the CI system's name and the link to the job (``job_url``) and to the pull or merge request
  (``pr_url``) when the environment gives them (``ci_links``); empty outside CI;
- ``git_commit`` and ``git_dirty``: the commit checked out in the configuration's directory and whether
  files there differ from it, tracked or not (files git ignores, the state directory and the plan file
  being applied do not count), or "" / None when it is not in a git repository or git is not installed.

Reading the environment and asking git is all this module does; it never fails a run: whatever cannot be
found is left empty.
"""

from __future__ import annotations

import getpass
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The variables naming who started a CI job, per CI system, tried in this order.
CI_ACTORS: tuple[tuple[str, str], ...] = (
    ("github", "GITHUB_ACTOR"),
    ("gitlab", "GITLAB_USER_LOGIN"),
    ("azure", "BUILD_REQUESTEDFOR"),
    ("bitbucket", "BITBUCKET_STEP_TRIGGERER_UUID"),
    ("circleci", "CIRCLE_USERNAME"),
    ("buildkite", "BUILDKITE_BUILD_CREATOR"),
    ("jenkins", "BUILD_USER_ID"),
)


@dataclass(frozen=True)
class CiLinks:
    """The CI system a run happened in and its links ("" when unknown)."""

    system: str = ""
    job_url: str = ""
    pr_url: str = ""

    def as_record(self) -> dict[str, str]:
        return {"system": self.system, "job_url": self.job_url, "pr_url": self.pr_url}


@dataclass(frozen=True)
class Provenance:
    """Who ran a run, in which CI job, from which commit (see the module docstring)."""

    by: str
    ci: CiLinks = field(default_factory=CiLinks)
    git_commit: str = ""
    git_dirty: bool | None = None

    def as_record(self) -> dict[str, object]:
        """The fields ``run_start`` carries for it."""
        return {
            "by": self.by,
            "ci": self.ci.as_record(),
            "git": {"commit": self.git_commit, "dirty": self.git_dirty} if self.git_commit else None,
        }


def provenance(root: Path, env: Mapping[str, str], by: str | None = None, exclude: Sequence[Path] = ()) -> Provenance:
    """The provenance of a run of the configuration in ``root``; the paths in ``exclude`` (the state
    directory, the plan file) do not count as changes to the configuration."""
    commit, dirty = git_revision(root, exclude)
    return Provenance(by=by or ci_actor(env) or os_user(), ci=ci_links(env), git_commit=commit, git_dirty=dirty)


def ci_actor(env: Mapping[str, str]) -> str:
    """The CI's name for who started the job, or ""."""
    return next((env[name] for _, name in CI_ACTORS if env.get(name)), "")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def ci_links(env: Mapping[str, str]) -> CiLinks:
    """The CI system and its job and pull-request links, from the variables each system documents."""
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_RUN_ID"):
        return _github(env)
    if env.get("GITLAB_CI"):
        mr, project = env.get("CI_MERGE_REQUEST_IID", ""), env.get("CI_PROJECT_URL", "")
        merge_request = f"{project}/-/merge_requests/{mr}" if mr and project else ""
        return CiLinks("gitlab", env.get("CI_JOB_URL", ""), merge_request)
    if env.get("TF_BUILD") or env.get("BUILD_BUILDID"):
        return _azure(env)
    if env.get("BITBUCKET_BUILD_NUMBER"):
        origin = env.get("BITBUCKET_GIT_HTTP_ORIGIN", "")
        pr = env.get("BITBUCKET_PR_ID", "")
        return CiLinks(
            "bitbucket",
            f"{origin}/pipelines/results/{env['BITBUCKET_BUILD_NUMBER']}" if origin else "",
            f"{origin}/pull-requests/{pr}" if origin and pr else "",
        )
    for system, url, pr in (
        ("circleci", "CIRCLE_BUILD_URL", "CIRCLE_PULL_REQUEST"),
        ("buildkite", "BUILDKITE_BUILD_URL", ""),
        ("jenkins", "BUILD_URL", "CHANGE_URL"),
    ):
        if env.get(url):
            return CiLinks(system, env[url], env.get(pr, "") if pr else "")
    return CiLinks()


def _github(env: Mapping[str, str]) -> CiLinks:
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    run = env.get("GITHUB_RUN_ID", "")
    job = f"{server}/{repo}/actions/runs/{run}" if repo and run else ""
    ref = env.get("GITHUB_REF", "")  # refs/pull/N/merge on a pull_request event
    parts = ref.split("/")
    pr = f"{server}/{repo}/pull/{parts[2]}" if repo and len(parts) == 4 and parts[1] == "pull" else ""
    return CiLinks("github", job, pr)


def _azure(env: Mapping[str, str]) -> CiLinks:
    collection = env.get("SYSTEM_COLLECTIONURI", "").rstrip("/")
    project = env.get("SYSTEM_TEAMPROJECT", "")
    build = env.get("BUILD_BUILDID", "")
    job = f"{collection}/{project}/_build/results?buildId={build}" if collection and project and build else ""
    pr = env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "")
    repo_url = env.get("BUILD_REPOSITORY_URI", "").rstrip("/")
    return CiLinks("azure", job, f"{repo_url}/pullrequest/{pr}" if repo_url and pr else "")


def git_revision(root: Path, exclude: Sequence[Path] = ()) -> tuple[str, bool | None]:
    """The commit checked out at ``root`` and whether anything under ``root`` (but ``exclude``) differs
    from it, tracked or untracked; ("", None) outside a git repository or without git."""
    git = shutil.which("git")
    if git is None:
        return "", None
    commit = _git(git, root, "rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return "", None
    spec = ["--", "."]
    base = root.resolve()
    for path in exclude:
        if path.resolve().is_relative_to(base) and path.resolve() != base:
            spec.append(f":(exclude){path.resolve().relative_to(base).as_posix()}")
    status = _git(git, root, "status", "--porcelain", *spec)
    return commit, None if status is None else bool(status)


def _git(git: str, root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run([git, "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
