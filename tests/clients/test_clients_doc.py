"""docs/clients.md is the generator's output, and its rows hold against the real clients."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ccwb_doctor.analyzers.clientconfig import consumers_doc

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def test_doc_matches_generator() -> None:
    doc = (REPO / "docs" / "clients.md").read_text()
    assert doc == consumers_doc.render(), (
        "docs/clients.md is stale: python -m ccwb_doctor.analyzers.clientconfig.consumers_doc > docs/clients.md"
    )


def _as_case(row: consumers_doc.Row) -> dict:
    """A doc row on a real HOME: the helper path becomes the stub at @HOME@/bin/helper."""

    def sub(text: str | None) -> str | None:
        if text is None:
            return None
        return (
            text.replace(consumers_doc.HELPER, "@HOME@/bin/helper")
            .replace("~/claude-code-with-bedrock/credential-process", "~/bin/helper")
            .replace("$HOME/claude-code-with-bedrock/credential-process", "$HOME/bin/helper")
            .replace("/home/dev/my tools/credential-process", "@HOME@/my tools/helper")
            .replace("/usr/bin/false", "@HOME@/missing/helper")
        )

    return {"config": sub(row.config), "credentials": sub(row.credentials), "env": dict(row.env)}


def test_doc_rows_hold_against_real_clients(js_sdk: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ccwb-doc-") as tmp:
        root = Path(tmp)
        mats = [harness.materialise(root, i, _as_case(r)) for i, r in enumerate(consumers_doc.ROWS)]
        obs = harness.observe(js_sdk, mats, root)
        wrong = []
        for row, mat in zip(consumers_doc.ROWS, mats, strict=True):
            pred = harness.predict(mat)
            for client in ("js", "boto"):
                got = harness.compare(pred[client], obs[client][mat["id"]])
                if got != pred[client]:
                    wrong.append((row.what, client, pred[client], got))
        assert not wrong, wrong
    # and the rows show the disagreements the doc is about
    differ = [r.what for r in consumers_doc.ROWS if len({c.summary() for c in consumers_doc.evaluate(r)}) > 1]
    assert len(differ) >= 10, differ


def test_a_wrong_model_is_caught(js_sdk: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The comparison can fail: a model that believes botocore's rule (env keys first even under
    AWS_PROFILE) for Claude Code disagrees with the real JS SDK on the doc rows."""
    from ccwb_doctor.analyzers.clientconfig import consumers

    def env_first(env, platform, read, is_exec):  # type: ignore[no-untyped-def]
        out = consumers.claude_code(env, platform, read, is_exec)
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            out.source, out.ok, out.access_key_id = "env", True, env["AWS_ACCESS_KEY_ID"]
        return out

    monkeypatch.setattr(harness, "claude_code", env_first)
    with tempfile.TemporaryDirectory(prefix="ccwb-doc-") as tmp:
        root = Path(tmp)
        mats = [harness.materialise(root, i, _as_case(r)) for i, r in enumerate(consumers_doc.ROWS)]
        obs = harness.observe(js_sdk, mats, root)
        wrong = [
            row.what
            for row, mat in zip(consumers_doc.ROWS, mats, strict=True)
            if harness.compare(p := harness.predict(mat)["js"], obs["js"][mat["id"]]) != p
        ]
    assert wrong == ["env keys **and** AWS_PROFILE set"]
