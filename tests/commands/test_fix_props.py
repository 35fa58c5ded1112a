"""The fix engine's properties over the new fixers end to end (checks -> fixer -> plan -> apply -> undo): apply
then --undo is the identity (bytes, modes, the quarantine attribute's value), and applying twice equals
applying once (after an apply the plan has nothing left to do)."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.facts import Facts
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.options import OFFLINE, RunOptions
from ccwb_doctor.repair import apply_plan, make_plan, undo_last

sys.path.insert(0, str(Path(__file__).parent))
from test_fix_binary_exec import ATTR, _mac, _setup  # noqa: E402

FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY_LINES = st.sampled_from(
    [
        "aws_access_key_id = AKIAEXAMPLEEXAMPLE01",
        "aws_secret_access_key = " + sc.FAKE_SECRET,
        "aws_session_token=IQoJb3JpZ2luX2VjEXAMPLE",
        "AWS_ACCESS_KEY_ID = AKIAEXAMPLEEXAMPLE02",
    ]
)
OTHER_LINES = st.sampled_from(["region = us-east-1", "# a comment", "; another", "", "output = json"])


@FEW
@given(
    st.lists(st.one_of(KEY_LINES, OTHER_LINES), min_size=1, max_size=8),
    st.lists(st.one_of(KEY_LINES, OTHER_LINES), max_size=6),
    st.sampled_from(["\n", "\r\n"]),
)
def test_static_keys_fix_apply_undo_identity_and_idempotent(
    cfg: list[str], creds: list[str], nl: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = sc.guidance_install(Path(tmp) / "home")
        head = [f"[profile {s.profile}]", f"credential_process = {s.helper_path} --profile {s.profile}"]
        sc.write(s.aws_config, nl.join(["# mine", *head, *cfg, "", "[profile keep]", *cfg]) + nl)
        sc.write(s.aws_credentials, nl.join([f"[{s.profile}]", *creds, "[keep]", *creds]) + nl, 0o600)
        before = {
            p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in (s.aws_config, s.aws_credentials)
        }
        plan = make_plan(s.options(), only=["CONFIG-SHADOWED-CREDS"], env=s.env)
        done = apply_plan(plan)
        assert not done.left_alone
        if (
            "aws_access_key_id = AKIAEXAMPLEEXAMPLE01" in cfg
            and f"aws_secret_access_key = {sc.FAKE_SECRET}" in cfg
        ):
            assert done.written  # the JS SDK would use those keys: the fix must act
        again = make_plan(s.options(), only=["CONFIG-SHADOWED-CREDS"], env=s.env)
        assert not again.todo, again.render()  # twice == once
        for p, (data, _) in before.items():  # the other profiles keep their lines
            kept = p.read_bytes().split(b"[keep]" if p == s.aws_credentials else b"[profile keep]")[1]
            assert kept == data.split(b"[keep]" if p == s.aws_credentials else b"[profile keep]")[1]
        if done.written:
            assert undo_last(s.home).restored
        for p, (data, mode) in before.items():
            assert p.read_bytes() == data and stat.S_IMODE(p.stat().st_mode) == mode


@pytest.mark.skipif(sys.platform != "linux", reason="user xattrs on Linux")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=40) | st.text(min_size=1, max_size=40).map(str.encode))
def test_quarantine_command_apply_undo_identity_and_idempotent(value: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home, helper, env, _ = _setup(Path(tmp), value)
        opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)

        def plan():  # type: ignore[no-untyped-def]
            return make_plan(
                opts, ["BINARY-EXEC"], env=env, facts=Facts(opts, env=env, overrides={"host": _mac()})
            )

        done = apply_plan(plan())
        assert len(done.ran) == 1 and not done.left_alone
        assert ATTR not in os.listxattr(helper)
        assert not plan().todo  # twice == once
        res = undo_last(home, env=env)
        assert res.restored == [str(helper)] and not res.left_alone
        assert os.getxattr(helper, ATTR) == value
