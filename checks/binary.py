"""BINARY-*: can this host run the helper programs (architecture), and can it execute them (exec checks).

One result per analysed file: ``binary PATH`` alone, else the credential_process program, the
programs of the settings commands awsAuthRefresh / awsCredentialExport / otelHeadersHelper, and the
installed OTel helper binary.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from ccwb_doctor import subproc
from ccwb_doctor.model import Outcome, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_ARCH = "https://github.com/aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock"
DOCS_EXEC = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
VERSION_TIMEOUT = 5.0
NO_TARGETS = (
    "no program to analyse: no credential_process program, no settings helper commands, no binary PATH"
)
_SECRETISH = re.compile(r"eyJ[\w-]{8,}|bearer\s|[A-Za-z0-9+/_=-]{40,}|[{}]", re.IGNORECASE)


def _host_summary(host: Any) -> dict[str, Any]:
    keys = ("os", "machine", "process_machine", "translated", "rosetta", "windows_x64_emulation", "libc")
    return {k: getattr(host, k) for k in keys if getattr(host, k, None) not in (None, False)}


def _evidence(a: Any, host: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "file": str(a.target.path) if a.target.path else None,
        "used_by": list(a.target.used_by),
    }
    if a.info is not None:
        ev["analysis"] = a.info.to_dict()
    if a.verdict is not None:
        ev["verdict"] = a.verdict.to_dict()
    ev["host"] = _host_summary(host)
    return ev


@check(
    "BINARY-ARCH",
    title="The helper programs' architectures can run on this host",
    area="binary",
    severity="high",
    remediation="Install the helper build for this OS and CPU (credential-process-macos-arm64, -macos-intel, "
    "-linux-x64, -linux-arm64 or -windows.exe), or the pure-Python reference helper ccwb-credential-process.",
    docs=DOCS_ARCH,
    needs=("credential_process", "claude_settings", "binary_analyses", "host"),
)
def binary_arch(facts: Any) -> list[Outcome]:
    analyses = facts.binary_analyses
    if not analyses:
        return [skip(NO_TARGETS)]
    host = facts.host
    outs: list[Outcome] = []
    for a in analyses:
        ev = _evidence(a, host)
        if a.info is None or a.verdict is None:
            outs.append(skip(f"{a.target.label}: {a.target.skip_reason}", evidence=ev))
            continue
        v = a.verdict
        msg = f"{a.target.path} ({a.target.label}): {a.info.describe()}: {v.message}{_judged(host)}"
        if a.info.format == "script" and host.os != "windows":
            if a.interpreter is None or a.interpreter.verdict is None:
                outs.append(
                    skip(f"{msg}; a #! script has no architecture of its own (see BINARY-EXEC)", evidence=ev)
                )
                continue
            it = a.interpreter
            ev["interpreter"] = {
                "file": str(it.target.path),
                "analysis": it.info.to_dict(),
                "verdict": it.verdict.to_dict(),
            }
            chain = []  # interpreters that are themselves #! scripts
            while it.info is not None and it.info.format == "script" and it.interpreter is not None:
                chain.append(it)
                it = it.interpreter
            if chain and it.verdict is None:
                it = chain.pop()
            v = it.verdict
            via = "".join(f"{c.target.path} (itself a #! script), then " for c in chain)
            if chain:
                ev["interpreter_chain"] = [str(c.target.path) for c in [*chain, it]]
            msg = f"{a.target.path} ({a.target.label}): #! script run by {via}{it.target.path}, {it.info.describe()}: {v.message}{_judged(host)}"
            if chain and host.os == "darwin":
                outs.append(
                    fail(
                        f"{a.target.path} ({a.target.label}): its #! interpreter {chain[0].target.path} is itself "
                        f"a #! script; macOS does not run a script as another script's interpreter (exec fails)"
                        f"{_judged(host)}",
                        fix=f"Point the #! line at a real program (the interpreter of {chain[0].target.path}), "
                        "or use `#!/usr/bin/env` with that program.",
                        evidence=ev,
                    )
                )
                continue
        if v.kind == "native":
            outs.append(ok(msg, evidence=ev))
        elif v.kind in ("emulated", "uncertain"):
            outs.append(warn(msg, fix=v.fix, evidence=ev))
        else:
            outs.append(fail(msg, fix=v.fix, evidence=ev))
    return outs


def _judged(host: Any) -> str:
    """' — judged for macos-arm64 (inferred from ...)' when the verdict is not about this machine."""
    source = str(getattr(host, "source", "detected"))
    return f" — {source}" if source.startswith("judged for") else ""


def _foreign(host: Any) -> bool:
    return str(getattr(host, "source", "detected")).startswith("judged for")


# --- BINARY-EXEC ---------------------------------------------------------------------------------------


def clean_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """A minimal environment: PATH and HOME, plus what Windows needs to start a process. No AWS_*, no tokens."""
    out = {"PATH": env.get("PATH", os.defpath), "HOME": str(home), "LANG": "C.UTF-8"}
    for key in ("SYSTEMROOT", "SystemRoot", "WINDIR", "TEMP", "TMP", "USERPROFILE"):
        if key in env:
            out[key] = env[key]
    return out


def _version_line(out: bytes) -> str | None:
    for raw in out.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line:
            if len(line) > 120 or _SECRETISH.search(line):
                return None
            return line
    return None


def run_version(
    path: Path, env: dict[str, str], home: Path, timeout: float = VERSION_TIMEOUT
) -> dict[str, Any]:
    """Run ``PATH --version`` with a clean env and a timeout; report the version line or the OS error."""
    import subprocess

    try:
        proc = subproc.run(
            [str(path), "--version"],
            env=clean_env(env, home),
            cwd=str(home) if home.is_dir() else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "timeout_s": timeout}
    except OSError as exc:
        code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        return {"outcome": "os-error", "errno": code, "error": f"[{code}] {exc.strerror or exc}"}
    res: dict[str, Any] = {"outcome": "ran", "exit_code": proc.returncode}
    line = _version_line(proc.stdout) or _version_line(proc.stderr)
    if line:
        res["version"] = line
    elif proc.stdout or proc.stderr:
        res["output"] = f"withheld ({len(proc.stdout) + len(proc.stderr)} bytes; not a version line)"
    return res


def _static_problems(path: Path, facts: Any, host: Any) -> list[tuple[str, str]]:
    """(message, fix) for exec bit, noexec mount and quarantine; empty when none apply."""
    from ccwb_doctor.analyzers.binary.hostcap import mount_for, read_xattr

    problems: list[tuple[str, str]] = []
    if os.name != "nt" and host.os != "windows":
        mode = path.stat().st_mode
        if not os.access(path, os.X_OK):
            problems.append((f"not executable (mode {stat.filemode(mode)})", f"chmod +x {_q(path)}"))
        mount = None if _foreign(host) else mount_for(os.path.realpath(path), facts.peek("mounts") or [])
        if mount is not None and mount.noexec:
            problems.append(
                (
                    f"on a noexec mount ({mount.mount_point}, {mount.fstype}): the kernel refuses to execute it",
                    "move the helper to a filesystem mounted without noexec (e.g. ~/claude-code-with-bedrock) "
                    "and update the command that runs it",
                )
            )
    if host.os == "darwin":
        attr = read_xattr(str(path), host.quarantine_attr)
        if attr is not None:
            problems.append(
                (
                    "carries the macOS quarantine attribute (downloaded file): Gatekeeper blocks unsigned helpers",
                    f"xattr -d com.apple.quarantine {_q(path)}",
                )
            )
    return problems


def _q(path: Path) -> str:
    import shlex

    return shlex.quote(str(path)) if sys.platform != "win32" else f'"{path}"'


def _exec_one(a: Any, facts: Any, host: Any) -> Outcome:
    ev = {"file": str(a.target.path), "used_by": list(a.target.used_by)}
    path: Path = a.target.path
    if not path.exists():
        return fail(f"{path} ({a.target.label}) does not exist", evidence=ev)
    if not path.is_file():
        return fail(f"{path} ({a.target.label}) is not a regular file", evidence=ev)
    problems = _static_problems(path, facts, host)
    if a.info is not None:
        ev["format"] = a.info.format
    verdict = a.verdict
    if (
        a.info is not None
        and (a.info.status != "ok" or a.info.format == "script")
        and verdict
        and verdict.kind == "cannot-run"
    ):
        problems.append((verdict.message, verdict.fix or ""))
    blocked = any(m.startswith(("not executable", "on a noexec")) for m, _ in problems)
    if _foreign(host):
        # a copy of another machine (or --platform): judged from what the file is, never run here
        ev["version_run"] = {"outcome": "not-run", "reason": host.source}
    elif not blocked and not any("quarantine" in m for m, _ in problems):
        env = facts.peek("claude_env") or facts.env
        home = Path(facts.home)
        timeout = float(facts.options.extra.get("version_timeout", VERSION_TIMEOUT))  # type: ignore[arg-type]
        run = run_version(path, env, home, timeout)
        ev["version_run"] = run
        if run["outcome"] == "os-error":
            why = ""
            if verdict and verdict.kind == "cannot-run" and all(verdict.message != m for m, _ in problems):
                why = f": {verdict.message} (the architecture: see BINARY-ARCH)"
            item = (f"exec failed: {run['error']}{why}", verdict.fix if verdict and verdict.fix else "")
            problems.append(item)
        elif run["outcome"] == "timeout":
            if not problems:
                return warn(
                    f"{path} ({a.target.label}): `--version` did not finish within {run['timeout_s']:g} s and was "
                    "killed (is it waiting for a browser login or for input?)",
                    fix="run it by hand with --version to see what it waits for",
                    evidence=ev,
                )
        elif run["exit_code"] < 0:
            sig = -run["exit_code"]
            problems.insert(
                0, (f"killed by signal {sig} when started (macOS: code signature / Gatekeeper)", "")
            )
    label = f"{path} ({a.target.label})"
    ev["problems"] = [m for m, _ in problems]
    if problems:
        msg, fix = problems[0]
        more = (
            f" (+{len(problems) - 1} more: {'; '.join(m for m, _ in problems[1:])})"
            if len(problems) > 1
            else ""
        )
        return fail(f"{label}: {msg}{more}", fix=fix or None, evidence=ev)
    run = ev.get("version_run", {})
    if run.get("outcome") == "not-run":
        return ok(
            f"{label}: {a.info.describe() if a.info else 'a file'}, not run here{_judged(host)}", evidence=ev
        )
    if run.get("version"):
        return ok(f"{label} runs: {run['version']}", evidence=ev)
    return ok(f"{label} runs (exit {run.get('exit_code')} for --version)", evidence=ev)


@check(
    "BINARY-EXEC",
    title="The helper programs are executable here (format, exec bit, mount, quarantine, a --version run)",
    area="binary",
    severity="high",
    remediation="Make the helper executable (chmod +x), keep it off noexec mounts, clear the macOS quarantine "
    "attribute (xattr -d com.apple.quarantine PATH), and make sure a #! interpreter exists.",
    docs=DOCS_EXEC,
    needs=("credential_process", "claude_settings", "binary_analyses", "host", "mounts"),
)
def binary_exec(facts: Any) -> list[Outcome]:
    analyses = facts.binary_analyses
    if not analyses:
        return [skip(NO_TARGETS)]
    host = facts.host
    outs: list[Outcome] = []
    for a in analyses:
        if a.target.path is None:
            outs.append(
                skip(
                    f"{a.target.label}: {a.target.skip_reason}", evidence={"used_by": list(a.target.used_by)}
                )
            )
        else:
            outs.append(_exec_one(a, facts, host))
    return outs
