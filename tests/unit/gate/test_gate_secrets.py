"""The secret scan: configured values and key-shaped strings, tree and history, never echoed."""

from __future__ import annotations

import dataclasses
import secrets

import pytest

from harness.gate.checks.secrets import check_repository_secrets, scan
from harness.gate.collect import sandbox_credentials
from harness.gate.evidence import Allowlist, Evidence, RepoScan, TextSource
from harness.gate.model import Status
from harness.gate.sources import parse_history, unquoted_path
from harness.twin.credentials import SANDBOX_API_KEY

NO_ALLOW = Allowlist()


def with_sources(evidence: Evidence, *sources: TextSource, shallow: bool = False) -> Evidence:
    repo = dataclasses.replace(evidence.repo, sources=sources, shallow=shallow)
    return dataclasses.replace(evidence, repo=repo)


def test_clean_tree_is_go(clean: Evidence) -> None:
    result = check_repository_secrets(clean)
    assert (result.status, result.reason) == (
        Status.GO,
        "none found in 1 files (tracked, new, .env) and 0 commits",
    )


def test_configured_live_key_in_a_tracked_file(clean: Evidence) -> None:
    key = clean.live.api_key
    text = f"# deploy notes\nG2A_API_KEY={key}\n"
    result = check_repository_secrets(with_sources(clean, TextSource("deploy/live.env", text)))
    assert result.status is Status.NO_GO
    assert result.reason == (
        "1 secret(s) found in /repo: deploy/live.env:2: the configured G2A_API_KEY value"
    )
    assert key not in result.reason + result.fix + "".join(result.details)
    assert result.fix == (
        "remove them and rotate the exposed credentials; "
        "values public by design go in harness/gate/allowlist.txt"
    )


def test_secret_only_in_history_asks_for_a_rewrite(clean: Evidence) -> None:
    source = TextSource("config.py", f"WEBHOOK = {clean.live.secret_values[-1]!r}", "abc1234")
    result = check_repository_secrets(with_sources(clean, source))
    assert result.details == (
        "commit abc1234 config.py: the configured live secret #1 of Settings.secret_values()",
    )
    assert "rewrite it (git filter-repo) after rotating" in result.fix


def test_key_shapes_are_found_and_counted(clean: Evidence) -> None:
    hex_key, token = secrets.token_hex(32), "t0k" + secrets.token_urlsafe(32)
    text = f'api_key = "{hex_key}"\nheaders = {{"Authorization": "Bearer {token}"}}\n'
    result = check_repository_secrets(with_sources(clean, TextSource("app/settings.py", text)))
    assert result.details == (
        "app/settings.py:1: 64-hex key next to a credential name",
        "app/settings.py:2: bearer token",
    )
    assert result.reason == (
        "2 secret(s) found in /repo: "
        "app/settings.py:1: 64-hex key next to a credential name (+1 more)"
    )


def test_assigned_g2a_credential_in_an_env_file() -> None:
    value = "s3" + secrets.token_urlsafe(18)
    findings = scan(TextSource(".env", f"G2A_WEBHOOK_SECRET='{value}'\n"), {}, NO_ALLOW)
    assert [str(f) for f in findings] == [".env:1: credential assigned in a G2A_* variable"]


def test_what_is_not_a_secret() -> None:
    text = "\n".join(
        [
            f"api_key = '{SANDBOX_API_KEY}'",  # published sandbox key, allowlisted
            f"token = '{'0' * 64}'",  # placeholder
            "Authorization: Bearer ***",  # masked
            'auth = f"Bearer {token}"',  # code, not a token
            "G2A_API_KEY: ${{ secrets.G2A_LIVE_API_KEY }}",  # CI secret reference
            "export G2A_API_KEY=...",  # documentation
            '"G2A_API_KEY": "live-key-value",',  # an obvious fake: no digit
            '"G2A_API_KEY": SANDBOX_API_KEY,',  # code, not a value
            f"signature = '{secrets.token_hex(32)}'",  # 64 hex without a credential word
        ]
    )
    allow = Allowlist(frozenset({SANDBOX_API_KEY}))
    assert scan(TextSource("docs.md", text), {}, allow) == []


def test_allowlisted_paths_skip_key_shapes_only_for_those_files() -> None:
    text = f"api_key = '{secrets.token_hex(32)}'"
    allow = Allowlist(path_globs=("tests/vectors/*",))
    assert scan(TextSource("tests/vectors/sig.txt", text), {}, allow) == []
    assert len(scan(TextSource("app/sig.txt", text), {}, allow)) == 1


def test_path_globs_never_hide_a_configured_value() -> None:
    """allowlist.txt: `path:` globs exempt files from key shapes, never from configured values."""
    live_key = secrets.token_hex(32)
    text = f"api_key = '{live_key}'\nother_key = '{secrets.token_hex(32)}'\n"
    allow = Allowlist(path_globs=("tests/vectors/*",))
    findings = scan(
        TextSource("tests/vectors/sig.txt", text, "c0ffee1"), {"G2A_API_KEY value": live_key}, allow
    )
    assert [(str(f), f.in_history) for f in findings] == [
        ("commit c0ffee1 tests/vectors/sig.txt: the configured G2A_API_KEY value", True)
    ]  # the second, unconfigured key is exempt there


def test_configured_value_is_found_even_when_allowlisted() -> None:
    allow = Allowlist(frozenset({SANDBOX_API_KEY}))
    findings = scan(
        TextSource("a.txt", SANDBOX_API_KEY), {"G2A_API_KEY value": SANDBOX_API_KEY}, allow
    )
    assert [str(f) for f in findings] == ["a.txt:1: the configured G2A_API_KEY value"]


def test_shallow_clone_cannot_be_trusted(clean: Evidence) -> None:
    result = check_repository_secrets(with_sources(clean, shallow=True))
    assert result.reason == "/repo is a shallow clone: history cannot be scanned"


def test_not_a_repository(clean: Evidence) -> None:
    repo = RepoScan(None, error="/tmp/x is not inside a git repository")
    result = check_repository_secrets(dataclasses.replace(clean, repo=repo))
    assert result.reason == (
        "cannot scan the working directory: /tmp/x is not inside a git repository"
    )


def test_parse_history_keeps_added_lines_per_commit_and_file() -> None:
    log = "\n".join(
        [
            "\0c0ffee1",
            "diff --git a/a.env b/a.env",
            "--- /dev/null",
            "+++ b/a.env",
            "@@ -0,0 +1,2 @@",
            "+ONE=1",
            "+TWO=2",
            "\0beef002",
            "diff --git a/a.env b/a.env",
            "--- a/a.env",
            "+++ /dev/null",
            "@@ -1,2 +0,0 @@",
            "-ONE=1",
            "diff --git a/b.py b/b.py",
            "--- a/b.py",
            "+++ b/b.py",
            "@@ -1 +1 @@",
            "-x = 1",
            "+x = 2",
        ]
    )
    sources = [(s.commit, s.path, s.text) for s in parse_history(log)]
    assert sources == [("c0ffee1", "a.env", "ONE=1\nTWO=2"), ("beef002", "b.py", "x = 2")]


@pytest.mark.parametrize(
    ("printed", "path"),
    [
        ("b/plain name.env", "b/plain name.env"),
        ('"b/caf\\303\\251.env"', "b/café.env"),  # non-ASCII bytes in octal
        ('"b/say \\"hi\\"\\tnow\\\\x"', 'b/say "hi"\tnow\\x'),
    ],
)
def test_diff_header_paths_are_unquoted_as_git_quotes_them(printed: str, path: str) -> None:
    assert unquoted_path(printed) == path


def test_an_added_line_that_looks_like_a_header_is_content() -> None:
    log = "\n".join(
        [
            "\0c0ffee1",
            'diff --git "a/caf\\303\\251 x.txt" "b/caf\\303\\251 x.txt"',
            "--- /dev/null",
            '+++ "b/caf\\303\\251 x.txt"\t',
            "@@ -0,0 +1,2 @@",
            "+++ counter",
            "+KEY=1",
        ]
    )
    sources = [(s.commit, s.path, s.text) for s in parse_history(log)]
    assert sources == [("c0ffee1", "café x.txt", "++ counter\nKEY=1")]


def test_private_key_block() -> None:
    header = "-----BEGIN " + "RSA PRIVATE KEY-----"  # split so this file is not a finding
    findings = scan(TextSource("deploy/key.pem", f"{header}\nMIIE...\n"), {}, NO_ALLOW)
    assert [str(f) for f in findings] == ["deploy/key.pem:1: private key block"]


def test_shipped_allowlist_holds_exactly_the_public_sandbox_set_and_known_fakes() -> None:
    from harness.gate.sources import DEFAULT_ALLOWLIST, read_allowlist
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_SECRET

    allowlist = read_allowlist(DEFAULT_ALLOWLIST)
    assert {SANDBOX_API_HASH, SANDBOX_API_SECRET, SANDBOX_API_KEY} <= allowlist.values
    # + the pact example token, one test fake and the adapter tests' three 64-hex keys
    assert len(allowlist.values) == 8
    assert allowlist.path_globs == ()


def test_the_evidence_key_and_the_team_s_own_sandbox_key_are_searched(
    sandbox_clean: Evidence,
) -> None:
    team_key = secrets.token_hex(32)
    evidence = dataclasses.replace(
        sandbox_clean,
        sandbox_credentials=sandbox_credentials(
            {"G2A_SANDBOX_API_HASH": "TeamSandbox1", "G2A_SANDBOX_API_KEY": team_key}
        ),
        other_secrets={"G2A_EVIDENCE_KEY": "correct-horse-battery-staple-gate"},
    )
    sources = (
        TextSource("ops/sign.env", "export G2A_EVIDENCE_KEY=correct-horse-battery-staple-gate\n"),
        TextSource("config/sandbox.json", f'{{"sbx": "{team_key}"}}\n'),
    )
    result = check_repository_secrets(with_sources(evidence, *sources))
    assert result.details == (
        "ops/sign.env:1: the configured G2A_EVIDENCE_KEY value",
        "config/sandbox.json:1: the configured G2A_SANDBOX_API_KEY value",
    )


def test_the_published_sandbox_key_given_as_the_team_s_own_is_not_a_finding(
    sandbox_clean: Evidence,
) -> None:
    """G2A's published sandbox set is public by design (the twin's source holds it)."""
    evidence = dataclasses.replace(
        sandbox_clean,
        sandbox_credentials=sandbox_credentials(
            {"G2A_SANDBOX_API_HASH": "h", "G2A_SANDBOX_API_KEY": SANDBOX_API_KEY}
        ),
    )
    source = TextSource("harness/twin/credentials.py", f'SANDBOX_API_KEY = "{SANDBOX_API_KEY}"\n')
    assert check_repository_secrets(with_sources(evidence, source)).status is Status.GO
