"""Fixed configs against the real clients: after `ccwb-doctor fix --apply`, Claude Code's JS SDK and
botocore (the AWS CLI/boto3) both get the helper's credentials, with the helper's arguments intact — for
the credential_process rewrites, the EXPIRED stanza, and static keys shadowing the helper (in the config
profile, the credentials stanza, or one half in each)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ccwb_doctor.options import OFFLINE, RunOptions
from ccwb_doctor.repair import apply_plan, make_plan

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

ENV = {"AWS_PROFILE": "p"}
CASES = {
    # botocore cannot run ~ (no shell); the fix writes the absolute path
    "tilde": {"config": "[profile p]\ncredential_process = ~/bin/helper --profile p\nregion = us-east-1\n"},
    # neither client can run an unquoted path with a space; the fix quotes it
    "space": {
        "config": "# mine\r\n[profile p]\r\ncredential_process = @HOME@/my tools/helper --profile p\r\n"
        "region = us-east-1\r\n"
    },
    # the EXPIRED stanza shadows the helper in both chains; the fix deletes it
    "expired": {
        "config": "[profile p]\ncredential_process = @HOME@/bin/helper --profile p\nregion = us-east-1\n",
        "credentials": "[p]\naws_access_key_id = EXPIRED\naws_secret_access_key = EXPIRED\n"
        "aws_session_token = EXPIRED\n\n[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = k\n",
    },
    # static keys beside credential_process in [profile p] of the config: the JS SDK uses them (botocore
    # reads config keys only after credential_process); the fix drops just those lines
    "static-config": {
        "config": "[profile p]\n# mine\ncredential_process = @HOME@/bin/helper --profile p\n"
        "aws_access_key_id = AKIASTATICSTATIC0001\naws_secret_access_key = s3cr3tS3CR3Ts3cr3t\nregion = us-east-1\n",
    },
    # static keys in the same-named stanza of the credentials file: both clients use them
    "static-credentials": {
        "config": "[profile p]\ncredential_process = @HOME@/bin/helper --profile p\nregion = us-east-1\n",
        "credentials": "[p]\naws_access_key_id = AKIASTATICSTATIC0002\naws_secret_access_key = s3cr3tS3CR3Ts3cr3t\n"
        "region = us-east-1\n\n[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = k\n",
    },
    # one half in each file: the JS SDK merges them into static keys, botocore stops at PartialCredentials
    "static-split": {
        "config": "[profile p]\ncredential_process = @HOME@/bin/helper --profile p\n"
        "aws_secret_access_key = s3cr3tS3CR3Ts3cr3t\nregion = us-east-1\n",
        "credentials": "[p]\naws_access_key_id = AKIASTATICSTATIC0003\n",
    },
}
WANT = {"tilde": "ASIASTUBPLAIN", "space": "ASIASTUBSPACE", "expired": "ASIASTUBPLAIN"}
WANT.update({k: "ASIASTUBPLAIN" for k in CASES if k.startswith("static-")})


def test_fixed_configs_give_both_real_clients_the_helpers_credentials(js_sdk: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ccwb-fix-") as tmp:
        root = Path(tmp)
        names = sorted(CASES)
        mats = [harness.materialise(root, i, {**CASES[n], "env": ENV}) for i, n in enumerate(names)]
        before = harness.observe(js_sdk, mats, root)
        for name, mat in zip(names, mats, strict=True):
            got = {c: before[c][mat["id"]] for c in ("js", "boto")}
            broken = [c for c, g in got.items() if not g.get("ok") or g.get("akid") != WANT[name]]
            assert broken, f"{name}: no client misses the helper before the fix"
            if name.startswith("static-"):
                assert got["js"].get("akid", "").startswith("AKIASTATIC"), f"{name}: {got['js']}"
            opts = RunOptions(home=Path(mat["home"]), mode=OFFLINE)
            plan = make_plan(opts, only=["config"], env=mat["env"])
            assert plan.pending, f"{name}: no fix proposed\n{plan.render()}"
            done = apply_plan(plan)
            assert done.written and not done.left_alone
        after = harness.observe(js_sdk, mats, root)
        for name, mat in zip(names, mats, strict=True):
            for client in ("js", "boto"):
                got = after[client][mat["id"]]
                assert got.get("ok"), f"{name}/{client}: {got}"
                assert got.get("akid") == WANT[name], f"{name}/{client}: {got}"
                assert got.get("token") == "2|--profile|p", f"{name}/{client}: {got}"
