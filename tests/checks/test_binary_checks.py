"""BINARY-ARCH and BINARY-EXEC over real files, real subprocesses and injected host profiles."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.analyzers.binary.analyze import canonical_arch
from ccwb_doctor.analyzers.binary.hostcap import HostProfile, parse_mountinfo, preset
from ccwb_doctor.app import run_report
from ccwb_doctor.facts import Facts
from ccwb_doctor.fixtures import binaries as B
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status
from ccwb_doctor.options import RunOptions

IDS = ["BINARY-ARCH", "BINARY-EXEC"]
HOST_ARCH = canonical_arch(platform.machine())
FOREIGN = "arm64" if HOST_ARCH == "x86_64" else "x86_64"
NATIVE_BUILD = {"x86_64": "credential-process-linux-x64", "arm64": "credential-process-linux-arm64"}.get(
    HOST_ARCH
)
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="exec semantics asserted for Linux")


def run(
    options: RunOptions,
    env: dict[str, str] | None = None,
    host: HostProfile | None = None,
    mounts: list[Any] | None = None,
    only: list[str] = IDS,
) -> dict[str, list[Any]]:
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if mounts is not None:
        overrides["mounts"] = mounts
    env = env if env is not None else {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(options.home)}
    facts = Facts(options, env=env, overrides=overrides)
    report = run_report(options, only=only, facts=facts)
    out: dict[str, list[Any]] = {}
    for r in report.results:
        out.setdefault(r.id, []).append(r)
    return out


def one(tmp_path: Path, path: Path, **kw: Any) -> dict[str, Any]:
    res = run(RunOptions(home=tmp_path, binary_path=path), **kw)
    return {k: v[0] for k, v in res.items()}


# --- real executables ------------------------------------------------------------------------------------


@linux_only
@pytest.mark.parametrize("path", ["/bin/ls", sys.executable])
def test_real_executables_pass_with_their_version(tmp_path: Path, path: str) -> None:
    r = one(tmp_path, Path(path))
    assert r["BINARY-ARCH"].status == Status.PASS, r["BINARY-ARCH"].message
    assert "natively" in r["BINARY-ARCH"].message
    assert r["BINARY-ARCH"].evidence["analysis"]["architectures"] == [HOST_ARCH]
    assert r["BINARY-EXEC"].status == Status.PASS, r["BINARY-EXEC"].message
    version = r["BINARY-EXEC"].evidence["version_run"]["version"]
    assert (
        ("coreutils" in version or "ls" in version) if path == "/bin/ls" else version.startswith("Python 3.")
    )


@linux_only
def test_foreign_architecture_fails_both_checks_with_the_build_to_install(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "credential-process", B.elf(FOREIGN, None))
    r = one(tmp_path, helper)
    arch, ex = r["BINARY-ARCH"], r["BINARY-EXEC"]
    assert arch.status == Status.FAIL and f"{FOREIGN} code on a {HOST_ARCH} host" in arch.message
    if NATIVE_BUILD:
        assert NATIVE_BUILD in arch.remediation
    assert "ccwb-credential-process" in arch.remediation and "pure Python" in arch.remediation
    assert ex.status == Status.FAIL and "Exec format error" in ex.message
    assert ex.evidence["version_run"]["errno"] == "ENOEXEC"


@linux_only
def test_missing_dynamic_loader_is_explained(tmp_path: Path) -> None:
    if HOST_ARCH not in B.ELF_ARCHS:
        pytest.skip("no ELF builder for this architecture")
    helper = B.write(tmp_path / "credential-process", B.elf(HOST_ARCH, "/lib/ld-ccwb-missing.so.1"))
    r = one(tmp_path, helper)
    assert (
        r["BINARY-ARCH"].status == Status.FAIL
        and "dynamic loader /lib/ld-ccwb-missing.so.1" in r["BINARY-ARCH"].message
    )
    ex = r["BINARY-EXEC"]
    assert ex.status == Status.FAIL and ex.evidence["version_run"]["errno"] == "ENOENT"
    assert "dynamic loader" in ex.message  # the confusing ENOENT is explained


# --- injected host profiles (architecture verdicts; the file is real) -----------------------------------


@pytest.mark.parametrize(
    ("host", "data", "status", "words"),
    [
        ("macos-arm64", B.fat(["x86_64", "arm64"]), Status.PASS, "picks arm64"),
        ("macos-arm64", B.macho("x86_64"), Status.WARN, "Rosetta"),
        ("macos-arm64-no-rosetta", B.macho("x86_64"), Status.FAIL, "not installed"),
        ("macos-x86_64", B.macho("arm64"), Status.FAIL, "Intel Mac"),
        ("macos-x86_64", B.fat(["i386", "x86_64", "arm64"]), Status.PASS, "picks x86_64"),
        ("windows-arm64", B.pe("x86_64"), Status.WARN, "emulation"),
        ("windows10-arm64", B.pe("x86_64"), Status.FAIL, "Windows 11"),
        ("windows-amd64", B.pe("arm64"), Status.FAIL, "Windows on Arm"),
        ("windows-amd64", B.pe("x86_64"), Status.PASS, "natively"),
        ("linux-aarch64", B.elf("x86_64", None), Status.FAIL, "ENOEXEC"),
        ("linux-aarch64", B.elf("arm64", None), Status.PASS, "natively"),
        ("linux-x86_64", B.elf("x86_64"), Status.PASS, "natively"),
        ("linux-x86_64-musl", B.elf("x86_64"), Status.FAIL, "gcompat"),
        ("linux-x86_64-musl", B.elf("x86_64", None), Status.PASS, "natively"),
    ],
)
def test_arch_verdicts_per_host(tmp_path: Path, host: str, data: bytes, status: Status, words: str) -> None:
    helper = B.write(tmp_path / "credential-process", data)
    r = run(RunOptions(home=tmp_path, binary_path=helper), host=preset(host), only=["BINARY-ARCH"])[
        "BINARY-ARCH"
    ][0]
    assert r.status == status and words in r.message, r.message
    assert r.evidence["file"] == str(helper) and r.evidence["host"]["os"] == preset(host).os
    if status == Status.FAIL:
        assert r.remediation


def test_rosetta_missing_fix_names_the_install_command_and_the_arm_build(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "credential-process", B.macho("x86_64"))
    host = preset("macos-arm64-no-rosetta")
    r = run(RunOptions(home=tmp_path, binary_path=helper), host=host, only=["BINARY-ARCH"])["BINARY-ARCH"][0]
    assert "softwareupdate --install-rosetta" in r.remediation
    assert "credential-process-macos-arm64" in r.remediation


# --- BINARY-EXEC -----------------------------------------------------------------------------------------


@linux_only
def test_not_executable_fails_with_chmod(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "helper", B.script(), mode=0o644)
    r = one(tmp_path, helper)["BINARY-EXEC"]
    if os.access(helper, os.X_OK):
        pytest.skip("running with privileges that ignore the exec bit")
    assert r.status == Status.FAIL and "not executable" in r.message
    assert r.remediation == f"chmod +x {helper}"
    assert "version_run" not in r.evidence


@linux_only
def test_noexec_mount_fails(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "helper", B.script())
    mounts = parse_mountinfo(
        f"27 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 27 0:30 / {tmp_path} rw,nosuid,noexec - tmpfs tmpfs rw\n"
    )
    r = one(tmp_path, helper, mounts=mounts)["BINARY-EXEC"]
    assert r.status == Status.FAIL and "noexec" in r.message and "claude-code-with-bedrock" in r.remediation
    ok = one(tmp_path, helper, mounts=parse_mountinfo("27 1 8:1 / / rw - ext4 /dev/sda1 rw\n"))["BINARY-EXEC"]
    assert ok.status == Status.PASS and ok.evidence["version_run"]["version"] == "helper 1.2.3"


@linux_only
def test_quarantine_attribute_fails_with_xattr_command(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "helper", B.script())
    host = preset("linux-x86_64", os="darwin", quarantine_attr="user.com.apple.quarantine")
    clean = one(tmp_path, helper, host=host)["BINARY-EXEC"]
    assert clean.status == Status.PASS
    try:
        os.setxattr(helper, "user.com.apple.quarantine", b"0083;65000000;Safari;")
    except OSError:
        pytest.skip("no user xattrs on this filesystem")
    r = one(tmp_path, helper, host=host)["BINARY-EXEC"]
    assert r.status == Status.FAIL and "quarantine" in r.message
    assert r.remediation == f"xattr -d com.apple.quarantine {helper}"


@linux_only
@pytest.mark.parametrize(
    ("data", "words", "errno"),
    [
        (B.script("/nonexistent/python3"), "interpreter /nonexistent/python3 not found", "ENOENT"),
        (B.script("/bin/sh", crlf=True), "ends in CR", "ENOENT"),
        (
            B.script("/usr/bin/env", "ccwb-no-such-interpreter"),
            "cannot find 'ccwb-no-such-interpreter'",
            None,
        ),
        (b"echo no shebang\n", "without a #! line", "ENOEXEC"),
    ],
)
def test_scripts_that_cannot_start(tmp_path: Path, data: bytes, words: str, errno: str | None) -> None:
    helper = B.write(tmp_path / "helper", data)
    r = one(tmp_path, helper)
    ex = r["BINARY-EXEC"]
    assert ex.status == Status.FAIL and words in ex.message, ex.message
    if errno:
        assert ex.evidence["version_run"]["errno"] == errno


@linux_only
def test_version_run_uses_a_clean_env_and_withholds_non_version_output(tmp_path: Path) -> None:
    leaky = B.write(tmp_path / "leaky", B.script(body='echo "helper ${LEAK:-clean} 2.0"\n'))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LEAK": "dirty"}
    r = one(tmp_path, leaky, env=env)["BINARY-EXEC"]
    assert r.evidence["version_run"]["version"] == "helper clean 2.0"
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    chatty = B.write(tmp_path / "chatty", B.script(body=f'echo \'{{"Authorization": "Bearer {token}"}}\'\n'))
    report = run_report(RunOptions(home=tmp_path, binary_path=chatty), only=IDS, env=env)
    ex = [x for x in report.results if x.id == "BINARY-EXEC"][0]
    assert ex.status == Status.PASS and "withheld" in ex.evidence["version_run"]["output"]
    assert token not in json.dumps(report.to_dict())


@linux_only
def test_version_timeout_warns(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "helper", B.script(body="exec sleep 30\n"))
    opts = RunOptions(home=tmp_path, binary_path=helper, extra={"version_timeout": 0.5})
    r = run(opts)["BINARY-EXEC"][0]
    assert r.status == Status.WARN and "did not finish" in r.message


@linux_only
def test_killed_by_signal_fails(tmp_path: Path) -> None:
    helper = B.write(tmp_path / "helper", B.script(body="kill -9 $$\n"))
    r = one(tmp_path, helper)["BINARY-EXEC"]
    assert r.status == Status.FAIL and "signal 9" in r.message


def test_directory_and_unknown_format(tmp_path: Path) -> None:
    r = one(tmp_path, tmp_path)
    assert r["BINARY-ARCH"].status == Status.FAIL and "is a directory" in r["BINARY-ARCH"].message
    assert r["BINARY-EXEC"].status == Status.FAIL and "not a regular file" in r["BINARY-EXEC"].message
    junk = B.write(tmp_path / "junk", b"\x00\x01\x02\x03" * 16)
    rj = one(tmp_path, junk)["BINARY-ARCH"]
    assert rj.status == Status.FAIL and "offset 0" in rj.message


def test_skip_when_there_is_nothing_to_analyse(tmp_path: Path) -> None:
    res = run(RunOptions(home=tmp_path), env={"PATH": os.defpath, "HOME": str(tmp_path)})
    for cid in IDS:
        assert [r.status for r in res[cid]] == [Status.SKIP]
        assert "no program to analyse" in res[cid][0].message


# --- through real scenario files (credential_process + settings commands) -------------------------------


@linux_only
def test_guidance_install_one_result_per_file(guidance: sc.Scenario) -> None:
    res = run(guidance.options(), env=guidance.env)
    arch, ex = res["BINARY-ARCH"], res["BINARY-EXEC"]
    assert len(arch) == len(ex) == 1  # credential_process and awsAuthRefresh run the same file
    assert arch[0].evidence["used_by"] == ["credential_process", "awsAuthRefresh"]
    assert arch[0].status == Status.PASS and "#! script run by /bin/sh" in arch[0].message
    assert ex[0].status == Status.PASS and "credential-process 2.5.2 (test)" in ex[0].message
    assert ex[0].evidence["file"] == str(guidance.helper_path)


@linux_only
def test_reference_install_runs_its_python_helper(reference: sc.Scenario) -> None:
    res = run(reference.options(), env=reference.env)
    assert res["BINARY-ARCH"][0].status == Status.PASS
    assert res["BINARY-EXEC"][0].status == Status.PASS, res["BINARY-EXEC"][0].message


@linux_only
def test_wrong_arch_otel_helper_in_settings_is_reported_separately(guidance: sc.Scenario) -> None:
    otel = B.write(guidance.home / "claude-code-with-bedrock" / "otel-helper", B.elf(FOREIGN, None))
    guidance.write_settings({**guidance.read_settings(), "otelHeadersHelper": f"{otel} --profile ClaudeCode"})
    res = run(guidance.options(), env=guidance.env)
    arch = {tuple(r.evidence["used_by"]): r for r in res["BINARY-ARCH"]}
    assert arch[("credential_process", "awsAuthRefresh")].status == Status.PASS
    bad = arch[("otelHeadersHelper",)]
    assert bad.status == Status.FAIL and bad.evidence["file"] == str(otel)
    if NATIVE_BUILD:
        assert NATIVE_BUILD.replace("credential-process", "otel-helper") in bad.remediation
    ex = {tuple(r.evidence["used_by"]): r for r in res["BINARY-EXEC"]}
    assert ex[("otelHeadersHelper",)].evidence["version_run"]["errno"] == "ENOEXEC"


def test_placeholder_and_missing_program_are_skipped_with_reasons(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "placeholder")
    sc.apply(guidance, "missing-program")
    res = run(guidance.options(), env=guidance.env)
    reasons = sorted(r.message for r in res["BINARY-ARCH"])
    assert all(r.status == Status.SKIP for r in res["BINARY-ARCH"])
    assert any(
        "awsAuthRefresh: unreplaced installer placeholder __CREDENTIAL_PROCESS_PATH__" in m for m in reasons
    )
    assert any(m.startswith("credential_process: ") and "not found" in m for m in reasons)


@linux_only
def test_settings_commands_expand_tilde_and_report_parse_errors(guidance: sc.Scenario) -> None:
    rel = guidance.helper_path.relative_to(guidance.home)
    doc = guidance.read_settings()
    doc["awsAuthRefresh"] = f"~/{rel} --profile ClaudeCode"  # a shell expands ~ for settings commands
    doc["otelHeadersHelper"] = '"unterminated --profile x'
    guidance.write_settings(doc)
    res = run(guidance.options(), env=guidance.env)
    by = {tuple(r.evidence["used_by"]): r for r in res["BINARY-ARCH"]}
    assert by[("credential_process", "awsAuthRefresh")].status == Status.PASS
    bad = by[("otelHeadersHelper",)]
    assert bad.status == Status.SKIP and "does not parse" in bad.message


@linux_only
def test_not_executable_break_in_a_scenario(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "not-executable")
    if os.access(guidance.helper_path, os.X_OK):
        pytest.skip("running with privileges that ignore the exec bit")
    res = run(guidance.options(), env=guidance.env)
    assert any(r.status == Status.FAIL and "chmod +x" in r.remediation for r in res["BINARY-EXEC"])


# --- `ccwb-doctor binary PATH` -------------------------------------------------------------------------


def test_binary_command_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from ccwb_doctor.cli import main

    fat = B.write(tmp_path / "helper", B.fat(["i386", "x86_64", "arm64"]))
    code = main(["binary", str(fat)])
    text = capsys.readouterr().out
    assert code == 1 and "slice 2: arm64" in text and "Verdict: cannot-run" in text and "BINARY-ARCH" in text
    code = main(["binary", str(fat), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    schema = json.loads(
        (Path(__import__("ccwb_doctor").__file__).parent / "schema" / "report-v1.json").read_text()
    )
    jsonschema.validate(doc, schema)
    assert [r["id"] for r in doc["results"]] == IDS
    ev = doc["results"][0]["evidence"]
    assert (
        ev["analysis"]["architectures"] == ["i386", "x86_64", "arm64"]
        and ev["verdict"]["verdict"] == "cannot-run"
    )
    out = tmp_path / "report.json"
    assert main(["binary", "/bin/ls", "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["pass"] == 2


def test_binary_command_missing_path_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ccwb_doctor.cli import main

    assert main(["binary", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err


@linux_only
def test_installed_otel_helper_is_analysed_even_when_no_setting_names_it(guidance: sc.Scenario) -> None:
    otel = B.write(guidance.home / "claude-code-with-bedrock" / "otel-helper", B.elf(FOREIGN, None))
    res = run(guidance.options(), env=guidance.env)
    arch = {tuple(r.evidence["used_by"]): r for r in res["BINARY-ARCH"]}
    bad = arch[("installed OTel helper",)]
    assert bad.status == Status.FAIL and bad.evidence["file"] == str(otel)
    if NATIVE_BUILD:
        assert NATIVE_BUILD.replace("credential-process", "otel-helper") in bad.remediation
    ex = {tuple(r.evidence["used_by"]): r for r in res["BINARY-EXEC"]}
    assert ex[("installed OTel helper",)].status == Status.FAIL
    # a healthy one passes, and is one target with the setting that runs it
    B.write(otel, B.script(body='echo "otel-helper 1.0"\n'))
    guidance.write_settings({**guidance.read_settings(), "otelHeadersHelper": f"{otel} --profile ClaudeCode"})
    res = run(guidance.options(), env=guidance.env)
    by = {tuple(r.evidence["used_by"]): r for r in res["BINARY-EXEC"]}
    assert set(by) == {("credential_process", "awsAuthRefresh"), ("otelHeadersHelper",)}
    assert (
        by[("otelHeadersHelper",)].status == Status.PASS
        and "otel-helper 1.0" in by[("otelHeadersHelper",)].message
    )


@linux_only
def test_aws_credential_export_command_is_analysed(guidance: sc.Scenario) -> None:
    export = B.write(guidance.home / "bin" / "export-creds", B.script("/nonexistent/bash"))
    guidance.write_settings({**guidance.read_settings(), "awsCredentialExport": str(export)})
    res = run(guidance.options(), env=guidance.env)
    ex = {tuple(r.evidence["used_by"]): r for r in res["BINARY-EXEC"]}
    bad = ex[("awsCredentialExport",)]
    assert bad.status == Status.FAIL and "interpreter /nonexistent/bash not found" in bad.message
    assert ex[("credential_process", "awsAuthRefresh")].status == Status.PASS


def test_binary_command_text_neutralises_escapes_read_from_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ccwb_doctor.cli import main

    evil = B.write(tmp_path / "helper", b"#!/bin/sh\x1b]0;pwned\x07 -x\necho hi\n")
    main(["binary", str(evil)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;pwned\\x07" in out
