"""`ccwb-doctor conform` inputs: walk files and folders, classify each file, load what applies.

A file is one of: a CloudFormation template, an IAM policy document (trust or permission), a helper
``config.json`` (``{"profiles": {...}}`` or the flat shape), a Claude Code settings file, a claims file
(``*.claims.json``: identities that must be allowed and ones that must be denied), or a scope file
(``*.scope.json``: the models x regions x geographies the deployment must serve). Anything that cannot
be read or parsed becomes an :class:`InputProblem` (one clear finding, the rest continues). No network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ccwb_doctor.conform.inputs import (  # noqa: F401 - re-exported: the loader's vocabulary
    ClaimsInput,
    ConformInputs,
    HelperConfigInput,
    Identity,
    InputProblem,
    PolicyInput,
    Scope,
    SettingsInput,
    TemplateInput,
)

MAX_BYTES = 5 * 1024 * 1024
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template", ".json", ".cfn")
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", "cdk.out"}
# hidden folders are skipped, except the ones that hold inputs: project Claude Code settings
_HIDDEN_INPUT_DIRS = {".claude"}
_LINE_RX = re.compile(r":(\d+):")


# ---- walking --------------------------------------------------------------------------------------


def iter_files(paths: Sequence[str | Path]) -> Iterable[tuple[Path, bool]]:
    """(file, explicit) for each named file and each file under each named folder (sorted; all of them:
    a gate must not stop silently after some number of files). Entries under a folder that are not
    regular files (FIFOs, devices, sockets) are yielded too, and ``_load_one`` records them as ignored
    without opening them."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                parts = f.relative_to(p).parts[:-1]
                if any(x in _SKIP_DIRS or (x.startswith(".") and x not in _HIDDEN_INPUT_DIRS) for x in parts):
                    continue
                if not f.is_dir() and not f.name.startswith("."):
                    yield f, False
        else:
            yield p, True


def read_params_file(path: Path) -> dict[str, str]:
    """CloudFormation parameter files: [{"ParameterKey","ParameterValue"}], {"Parameters": {...}},
    a flat {"K": "V"} object, or K=V lines. Raises InputProblem-style ValueError with a reason."""
    if not _regular(path):
        raise ValueError("cannot read parameters file: not a regular file (a FIFO, device or socket)")
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read parameters file: {exc}") from None
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(doc, dict) and isinstance(doc.get("Parameters"), dict):
            doc = doc["Parameters"]
        if isinstance(doc, list):
            out: dict[str, str] = {}
            for item in doc:
                if not isinstance(item, dict) or "ParameterKey" not in item:
                    raise ValueError("a list entry lacks ParameterKey")
                out[str(item["ParameterKey"])] = _pval(item.get("ParameterValue", ""))
            return out
        if isinstance(doc, dict):
            return {str(k): _pval(v) for k, v in doc.items()}
        raise ValueError("expected a JSON object or list of parameters")
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"line {n}: expected KEY=VALUE")
        k, v = line.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _pval(v: Any) -> str:
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---- classification -------------------------------------------------------------------------------


def _looks_like_template_text(text: str) -> bool:
    return bool(re.search(r"^\s*[\"']?(AWSTemplateFormatVersion|Resources)[\"']?\s*:", text, re.M))


def _line_of(message: str) -> int | None:
    m = _LINE_RX.search(message)
    return int(m.group(1)) if m else None


def _json_line(text: str, needle: str) -> int | None:
    i = text.find(needle)
    return text.count("\n", 0, i) + 1 if i >= 0 else None


def classify_json(doc: Any, name: str) -> str:
    """claims | scope | template | policy | role | helper-config | settings | unknown"""
    if name.endswith(".claims.json"):
        return "claims"
    if name.endswith(".scope.json"):
        return "scope"
    if not isinstance(doc, dict):
        return "unknown"
    if "Resources" in doc or "AWSTemplateFormatVersion" in doc:
        return "template"
    if "Statement" in doc or isinstance(doc.get("PolicyDocument"), dict):
        return "policy"
    if isinstance(doc.get("Role"), dict) and "AssumeRolePolicyDocument" in doc["Role"]:
        return "role"
    if "env" in doc or any(k in doc for k in ("awsAuthRefresh", "otelHeadersHelper", "awsCredentialExport")):
        return "settings"
    if isinstance(doc.get("profiles"), dict):
        return "helper-config"
    keys = ("provider_domain", "client_id", "federated_role_arn", "okta_domain", "aws_region")
    if any(k in doc for k in keys):
        return "helper-config"
    if doc and all(isinstance(v, dict) and any(k in v for k in keys) for v in doc.values()):
        return "helper-config"
    return "unknown"


def _trust_like(doc: Mapping[str, Any]) -> bool:
    stmts = doc.get("Statement")
    stmts = [stmts] if isinstance(stmts, dict) else stmts if isinstance(stmts, list) else []
    for st in stmts:
        if not isinstance(st, dict):
            continue
        acts = st.get("Action", [])
        acts = [acts] if isinstance(acts, str) else acts if isinstance(acts, list) else []
        if "Principal" in st or any(str(a).lower().startswith("sts:assumerole") for a in acts):
            return True
    return False


def collect(
    paths: Sequence[str | Path],
    params: Mapping[str, str] | None = None,
    param_files: Sequence[str | Path] = (),
) -> ConformInputs:
    """Walk, classify and load every input; never raises for a bad file (it becomes a problem)."""
    out = ConformInputs(paths=[str(p) for p in paths])
    merged: dict[str, str] = {}
    for pf in param_files:
        try:
            merged.update(read_params_file(Path(pf)))
        except ValueError as exc:
            out.problems.append(InputProblem(str(pf), str(exc), kind="params"))
    merged.update(params or {})
    out.params = merged
    for path, explicit in iter_files(paths):
        _load_one(out, path, explicit)
    return out


def _regular(path: Path) -> bool:
    """A regular file (after symlinks); never opens it, so a FIFO cannot block the walk."""
    import stat

    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return True  # missing or unreadable: the read below says why


def _load_one(out: ConformInputs, path: Path, explicit: bool) -> None:
    sp = str(path)
    if not _regular(path):
        if explicit:
            out.problems.append(
                InputProblem(sp, "not a regular file (a FIFO, device or socket)", kind="unknown")
            )
        else:
            out.ignored.append(sp)
        return
    try:
        if path.stat().st_size > MAX_BYTES:
            out.problems.append(InputProblem(sp, f"larger than {MAX_BYTES} bytes"))
            return
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        out.problems.append(InputProblem(sp, "no such file or folder", kind="unknown"))
        return
    except (OSError, UnicodeDecodeError) as exc:
        if explicit:
            out.problems.append(InputProblem(sp, f"cannot read: {exc}"))
        else:
            out.ignored.append(sp)
        return
    name = path.name.lower()
    if name.endswith(".json"):
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            if explicit or _looks_like_template_text(text) or name.endswith((".claims.json", ".scope.json")):
                out.problems.append(InputProblem(sp, f"not valid JSON: {getattr(exc, 'msg', exc)}", line))
            else:
                out.ignored.append(sp)
            return
        kind = classify_json(doc, name)
        _load_json(out, sp, kind, doc, text, explicit)
        return
    if name.endswith(TEMPLATE_SUFFIXES):
        if not _looks_like_template_text(text):
            if explicit:
                out.problems.append(InputProblem(sp, "not a CloudFormation template (no Resources section)"))
            else:
                out.ignored.append(sp)
            return
        _load_template(out, sp, text)
        return
    if explicit:
        out.problems.append(InputProblem(sp, "unrecognised file type", kind="unknown"))
    else:
        out.ignored.append(sp)


def _load_template(out: ConformInputs, sp: str, text: str) -> None:
    from ccwb_doctor.analyzers.cfn.template import TemplateError, load_template_text

    region = out.params.get("AWS::Region") or "us-east-1"
    try:
        tpl = load_template_text(text, out.params, where=sp, region=region)
    except TemplateError as exc:
        msg = str(exc)
        reason = msg[len(sp) :].lstrip(": ") if msg.startswith(sp) else msg
        reason = re.sub(r"^\d+:\s*", "", reason)
        out.problems.append(InputProblem(sp, reason, _line_of(msg[len(sp) :] if msg.startswith(sp) else msg)))
        return
    out.templates.append(TemplateInput(sp, tpl))


def _load_json(out: ConformInputs, sp: str, kind: str, doc: Any, text: str, explicit: bool) -> None:
    if kind == "template":
        _load_template(out, sp, text)
    elif kind in ("policy", "role"):
        _load_policy(out, sp, kind, doc)
    elif kind == "helper-config":
        from ccwb_doctor.analyzers.clientconfig.helper_config import HelperConfigError, parse_helper_config

        try:
            out.helper_configs.append(HelperConfigInput(sp, parse_helper_config(text)))
        except HelperConfigError as exc:
            out.problems.append(InputProblem(sp, f"helper config: {exc}"))
    elif kind == "settings":
        from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsError, parse_settings

        try:
            out.settings.append(SettingsInput(sp, parse_settings(text)))
        except SettingsError as exc:
            out.problems.append(InputProblem(sp, f"Claude Code settings: {exc}"))
    elif kind == "claims":
        _load_claims(out, sp, doc, text)
    elif kind == "scope":
        _load_scope(out, sp, doc)
    elif explicit:
        out.problems.append(
            InputProblem(
                sp,
                "unrecognised JSON file (not a template, policy, config, settings, claims or scope file)",
                kind="unknown",
            )
        )
    else:
        out.ignored.append(sp)


def _load_policy(out: ConformInputs, sp: str, kind: str, doc: dict[str, Any]) -> None:
    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    msd: int | None = None
    arn: str | None = None
    if kind == "role":  # `aws iam get-role` output
        role = doc["Role"]
        msd = role.get("MaxSessionDuration") if isinstance(role.get("MaxSessionDuration"), int) else None
        arn = role.get("Arn") if isinstance(role.get("Arn"), str) else None
        doc = role["AssumeRolePolicyDocument"]
        if isinstance(doc, str):
            try:
                from urllib.parse import unquote

                doc = json.loads(unquote(doc))
            except json.JSONDecodeError as exc:
                out.problems.append(InputProblem(sp, f"AssumeRolePolicyDocument is not JSON: {exc.msg}"))
                return
    elif isinstance(doc.get("PolicyDocument"), dict):
        doc = doc["PolicyDocument"]
    try:
        pol = parse_policy(doc, name=Path(sp).name)
    except PolicyError as exc:
        out.problems.append(InputProblem(sp, f"IAM policy: {exc}"))
        return
    pkind = "trust" if kind == "role" or _trust_like(pol.document) else "permission"
    out.policies.append(PolicyInput(sp, pkind, pol.document, pol, msd, arn))


def _load_claims(out: ConformInputs, sp: str, doc: Any, text: str) -> None:
    """{"provider_url": optional, "allow": [{"name", "claims"} | claims], "deny": [...]}"""
    if not isinstance(doc, dict) or not any(k in doc for k in ("allow", "deny")):
        out.problems.append(InputProblem(sp, 'claims file: expected {"allow": [...], "deny": [...]}'))
        return
    url = doc.get("provider_url")
    ids: list[Identity] = []
    for expect in ("allow", "deny"):
        items = doc.get(expect, [])
        if not isinstance(items, list):
            out.problems.append(InputProblem(sp, f'claims file: "{expect}" must be a list'))
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                out.problems.append(InputProblem(sp, f'claims file: "{expect}"[{i}] must be an object'))
                return
            claims = item.get("claims", item)
            if not isinstance(claims, dict):
                out.problems.append(
                    InputProblem(sp, f'claims file: "{expect}"[{i}].claims must be an object')
                )
                return
            name = item.get("name") if isinstance(item.get("name"), str) else f"{expect}[{i}]"
            claims = {k: v for k, v in claims.items() if k != "name"} if "claims" not in item else claims
            line = _json_line(text, f'"{name}"') if isinstance(item.get("name"), str) else None
            ids.append(Identity(str(name), dict(claims), expect, sp, line))
    out.claims.append(ClaimsInput(sp, url if isinstance(url, str) else None, ids))


def _load_scope(out: ConformInputs, sp: str, doc: Any) -> None:
    if not isinstance(doc, dict):
        out.problems.append(InputProblem(sp, "scope file: expected a JSON object"))
        return
    vals: dict[str, list[str]] = {}
    for key in ("models", "regions", "geographies"):
        v = doc.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            out.problems.append(InputProblem(sp, f'scope file: "{key}" must be a list of strings'))
            return
        vals[key] = v
    out.scope = Scope(vals["models"], vals["regions"], vals["geographies"], sp)
