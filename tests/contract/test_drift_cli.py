"""`g2a-harness contracts drift` over the real OpenAPI documents and pacts, with recorded and
hand-made drifted cassettes (tests/contract/fixtures/cassettes/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from project_support import lay_out_project_root

from harness.cli import main
from harness.contracts.report import update_report

FIXTURES = Path(__file__).parent / "fixtures" / "cassettes"


def drift(cassettes: Path, report_dir: Path) -> int:
    return main(
        ["contracts", "drift", "--cassettes", str(cassettes), "--report-dir", str(report_dir)]
    )


def test_aligned_traffic_shows_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert drift(FIXTURES / "aligned", tmp_path) == 0
    out = capsys.readouterr().out
    assert "no drift" in out
    assert "7 recorded exchange(s)" in out
    assert out.splitlines()[-1] == f"report: {tmp_path / 'contracts.json'}"
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert (report["kind"], report["drift_checked"], report["drift"]) == ("contracts", True, [])
    assert report["drift_sources"]["recorded_exchanges"] == 7
    assert report["drift_sources"]["pact_interactions"] >= 15


def test_drifted_traffic_fails_with_a_table_of_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drift(FIXTURES / "drifted", tmp_path) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["operation", "kind", "field", "detail", "source"]
    report = json.loads((tmp_path / "contracts.json").read_text())
    found = {(d["operation"], d["kind"], d["field"]) for d in report["drift"]}
    assert found == {
        ("DELETE /v1/order/1530978476", "undocumented_operation", ""),
        ("GET /v1/order/details/{orderId}", "undocumented_status", ""),
        ("GET /v1/order/key/{orderId}", "missing_field", "$.key"),
        ("GET /v1/order/key/{orderId}", "missing_required_field", "$.key"),
        ("GET /v1/order/key/{orderId}", "undocumented_field", "$.code"),
        ("GET /v1/products", "missing_field", "$.docs[].minPrice"),
        ("GET /v1/products", "missing_required_field", "$.docs[].minPrice"),
        ("GET /v1/products", "type_change", "$.docs[].qty"),
        ("GET /v1/products", "undocumented_field", "$.docs[].min_price"),
    }
    assert "9 drift finding(s)" in out
    assert report["passed"] is False
    for row in ("status 418 is not documented", "documented integer, got string"):
        assert row in out


def test_recorded_cassettes_agree_with_documents_and_pacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contracts", "drift", "--report-dir", str(tmp_path)]) == 0, capsys.readouterr().out


def test_report_passes_only_with_verified_pacts_and_no_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("G2A_EVIDENCE_KEY", raising=False)
    verify, drift_1, drift_2 = ({"commit": "c", "finished_at": f"t{n}"} for n in range(3))
    assert update_report(tmp_path, "verify", verify, pacts_verified=True)["passed"] is False
    assert update_report(tmp_path, "drift", drift_1, drift_checked=True, drift=[])["passed"]
    report = update_report(tmp_path, "drift", drift_2, drift=[{"kind": "type_change"}])
    assert report["passed"] is False
    assert report["pacts_verified"] is True
    assert report["parts"] == {"verify": verify, "drift": drift_2}  # each part keeps its own
    stored = json.loads((tmp_path / "contracts.json").read_text())
    assert stored == report
    assert stored["generated_at"].endswith("+00:00")


def order_cassette(folder: Path, body: str, content_type: str) -> Path:
    """A cassette of one `POST /v1/order` answered 200 with `body`."""
    folder.mkdir()
    interaction = {
        "request": {"method": "POST", "uri": "https://sandboxapi.g2a.com/v1/order", "body": ""},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": [content_type]},
            "body": {"string": body},
        },
    }
    (folder / "order.yaml").write_text(json.dumps({"interactions": [interaction], "version": 1}))
    return folder


@pytest.mark.parametrize(
    ("body", "content_type", "found"),
    [
        pytest.param("", "application/json", {"not_json"}, id="no-body"),
        pytest.param(
            "<html>Service Unavailable</html>",
            "text/html",
            {"not_json", "undocumented_content_type"},
            id="html",
        ),
        pytest.param('"Service Unavailable"', "application/json", {"type_change"}, id="json-str"),
    ],
)
def test_an_answer_that_is_not_a_json_object_is_drift(
    tmp_path: Path, body: str, content_type: str, found: set[str]
) -> None:
    assert drift(order_cassette(tmp_path / "cassettes", body, content_type), tmp_path) == 1
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert {(d["operation"], d["field"]) for d in report["drift"]} == {("POST /v1/order", "$")}
    assert {d["kind"] for d in report["drift"]} == found
    assert report["passed"] is False


def test_no_recorded_exchange_is_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "cassettes"
    empty.mkdir()
    update_report(tmp_path, "verify", {}, pacts_verified=True)
    assert drift(empty, tmp_path) == 1
    assert capsys.readouterr().err == (
        f"g2a-harness contracts drift: no recorded exchange in {empty}: traffic was not "
        "checked, which is not a pass (record cassettes with `g2a-harness record`)\n"
    )
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert (report["drift_checked"], report["passed"]) == (False, False)
    assert report["drift_sources"]["recorded_exchanges"] == 0


def test_the_default_cassette_folder_missing_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkout without tests/cassettes: that is not "no drift"."""
    contracts = Path("contracts").resolve()
    monkeypatch.chdir(lay_out_project_root(tmp_path))
    argv = ["contracts", "drift", "--openapi", str(contracts / "openapi")]
    assert main([*argv, "--pacts", str(contracts / "pacts"), "--report-dir", "."]) == 2
    assert capsys.readouterr().err == (
        "g2a-harness contracts: cassette folder tests/cassettes does not exist\n"
    )
    assert not (tmp_path / "contracts.json").exists()


def test_missing_cassette_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drift(tmp_path / "absent", tmp_path) == 2
    assert "cassette folder" in capsys.readouterr().err


BROKEN_PACTS = {
    "not JSON": (b'{"interactions": [', "cannot be parsed: Expecting value: line 1 column 19"),
    "not UTF-8": (b"\xff\xfe", "cannot be parsed: 'utf-8' codec can't decode byte 0xff"),
    "an array": (b"[1, 2]", "is not a pact file (no list of interaction objects)"),
    "no request": (
        b'{"provider": {"name": "g2a-export-api"}, "interactions": '
        b'[{"description": "x", "response": {"status": 200}}]}',
        ": interaction 0 lacks a request method and path or a response status",
    ),
}


CASES = [
    pytest.param(action, content, problem, id=f"{action}-{name}")
    for name, (content, problem) in BROKEN_PACTS.items()
    for action in ("drift", "verify")
    if (action, name) != ("verify", "no request")  # pact reads interactions itself: it fails
]


@pytest.mark.parametrize(("action", "content", "problem"), CASES)
def test_a_broken_pact_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, content: bytes, problem: str
) -> None:
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    (pacts / "broken.json").write_bytes(content)
    argv = ["contracts", action, "--pacts", str(pacts), "--report-dir", str(tmp_path)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"g2a-harness contracts: {pacts / 'broken.json'}")
    assert problem in error
    assert error.count("\n") == 1


def test_a_missing_pact_folder_is_a_usage_error_not_no_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["contracts", "drift", "--pacts", str(tmp_path / "nope"), "--report-dir", str(tmp_path)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"g2a-harness contracts: pact folder {tmp_path / 'nope'} does not exist\n"
    )
    assert not (tmp_path / "contracts.json").exists()


def test_the_committed_offer_pact_accepts_any_success_status() -> None:
    from harness.contracts.sources import load_pacts

    statuses = {exchange.source.rpartition("#")[2]: exchange.statuses for exchange in load_pacts()}
    assert statuses["a new dropshipping offer"] == range(200, 300)
    assert statuses["a request while the rate limit is exhausted"] is None  # pinned: 429


def status_rule_pact(folder: Path, accepted: object) -> Path:
    """A pact folder of one interaction whose status is a `statusCode` rule accepting
    `accepted`."""
    rule = {"": {"combine": "AND", "matchers": [{"match": "statusCode", "status": accepted}]}}
    interaction = {
        "type": "Synchronous/HTTP",
        "description": "d",
        "request": {"method": "GET", "path": "/v1/products"},
        "response": {"status": 100, "matchingRules": {"status": rule}},
    }
    folder.mkdir()
    (folder / "p.json").write_text(json.dumps({"interactions": [interaction]}))
    return folder


def test_a_status_rule_is_read_in_pact_s_own_words(tmp_path: Path) -> None:
    from harness.contracts.sources import load_pacts

    [informational] = load_pacts(status_rule_pact(tmp_path / "info", "info"))
    assert informational.statuses == range(100, 200)  # pact's core writes "info"
    [listed] = load_pacts(status_rule_pact(tmp_path / "listed", [200, 204]))
    assert listed.statuses == frozenset({200, 204})


@pytest.mark.parametrize("accepted", ["information", [200, "204"], [True], None])
def test_an_unreadable_status_rule_is_named(tmp_path: Path, accepted: object) -> None:
    from harness.contracts.sources import SourceError, load_pacts

    folder = status_rule_pact(tmp_path / "pacts", accepted)
    with pytest.raises(SourceError) as refused:
        load_pacts(folder)
    assert str(refused.value) == (
        f"{folder / 'p.json'}: interaction 0: its statusCode rule accepts {json.dumps(accepted)}: "
        "neither one of info, success, redirect, clientError, serverError, nonError, error nor "
        "a list of statuses"
    )


def test_documents_are_read_as_yaml_1_2(tmp_path: Path) -> None:
    """YAML 1.1 (PyYAML's) reads `yes` as true and a timestamp as a datetime: an enum of them
    would never equal the text traffic carries."""
    from harness.contracts.drift import detect_drift
    from harness.contracts.exchanges import Exchange
    from harness.contracts.sources import load_openapi

    (tmp_path / "d.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /v1/flags:\n"
        "    get:\n"
        "      responses:\n"
        "        '200':\n"
        "          description: flags\n"
        "          content:\n"
        "            application/json:\n"
        "              schema:\n"
        "                type: object\n"
        "                properties:\n"
        "                  answer: {type: string, enum: [yes, no]}\n"
        "                  since: {type: string, enum: [2024-01-01T10:00:00Z]}\n"
        "                  on: {type: boolean}\n"
    )
    documents = load_openapi(tmp_path)
    body = {"answer": "yes", "since": "2024-01-01T10:00:00Z", "on": True}
    recorded = Exchange("GET", "/v1/flags", 200, body, "cassette:c#0")
    assert detect_drift(documents, [], [recorded]) == []
    wrong = Exchange("GET", "/v1/flags", 200, {**body, "answer": True}, "cassette:c#1")
    assert [d.detail for d in detect_drift(documents, [], [wrong])] == [
        "documented string, got boolean"
    ]


def test_numbers_of_documents_are_read_as_yaml_1_2(tmp_path: Path) -> None:
    """YAML 1.1 reads `010` as 8, `1_000` as 1000 and `1:30` as 90, and leaves `1e3` text;
    YAML 1.2's core schema (OpenAPI 3.1's) reads 10, text, text and 1000, and `0o10` as 8."""
    from harness.contracts.sources import load_openapi

    (tmp_path / "d.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n"
        "x-numbers: [010, 0o10, 0x1F, -7, +3, 1_000, '1:30', 1:30, 1e3, 1.5E-1, .5, -.inf]\n"
    )
    [document] = load_openapi(tmp_path)
    assert document["x-numbers"] == [
        10,
        8,
        31,
        -7,
        3,
        "1_000",
        "1:30",
        "1:30",
        1000.0,
        0.15,
        0.5,
        float("-inf"),
    ]
    assert [type(n) for n in document["x-numbers"][:5]] == [int] * 5


@pytest.mark.parametrize(
    ("tag", "text", "kind"),
    [
        *(("int", text, "an integer") for text in ("0b1", "-0x1F", "1:30", "1_000", "0o8", "ten")),
        *(("float", text, "a float") for text in ("1:30", "1_000.5", "0x10", "inf", "ten")),
        *(("bool", text, "a boolean") for text in ("yes", "on", "n", "1")),
    ],
)
def test_an_explicit_scalar_that_yaml_1_2_does_not_read_names_its_line(
    tmp_path: Path, tag: str, text: str, kind: str
) -> None:
    """YAML 1.1 reads `!!float 1:30` as 90.0 and `!!bool yes` as true; YAML 1.2 has neither."""
    from harness.contracts.sources import SourceError, load_openapi

    (tmp_path / "d.yaml").write_text(
        f"openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nx-count: !!{tag} {text}\n"
    )
    with pytest.raises(SourceError) as refused:
        load_openapi(tmp_path)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'd.yaml'} cannot be parsed: ")
    assert f"{text!r} is not {kind} of YAML 1.2's core schema" in message
    assert "line 3, column 10" in message


def test_an_explicit_int_that_yaml_1_2_reads_is_that_integer(tmp_path: Path) -> None:
    from harness.contracts.sources import load_openapi

    (tmp_path / "d.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "x-counts: [!!int 010, !!int 0o10, !!int 0x1F, !!int -7, !!int '+3']\n"
    )
    [document] = load_openapi(tmp_path)
    assert document["x-counts"] == [10, 8, 31, -7, 3]


def test_an_explicit_float_or_bool_that_yaml_1_2_reads_is_that_value(tmp_path: Path) -> None:
    from harness.contracts.sources import load_openapi

    (tmp_path / "d.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "x-floats: [!!float 10, !!float '1.5', !!float -.5e1, !!float -.inf, !!float .NaN]\n"
        "x-flags: [!!bool true, !!bool False, !!bool TRUE]\n"
    )
    [document] = load_openapi(tmp_path)
    *floats, nan = document["x-floats"]
    assert floats == [10.0, 1.5, -5.0, float("-inf")]
    assert [type(f) for f in floats] == [float] * 4
    assert nan != nan
    assert document["x-flags"] == [True, False, True]


def test_unquoted_response_codes_are_documented_statuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """YAML reads `200:` as a number: the status is documented all the same."""
    openapi, pacts = tmp_path / "openapi", tmp_path / "pacts"
    openapi.mkdir()
    pacts.mkdir()
    (openapi / "d.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /v1/order:\n"
        "    post:\n"
        "      responses:\n"
        "        200:\n"
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        "              schema: {type: object, properties: {id: {type: string}}}\n"
        "        4XX: {description: refused}\n"
    )
    cassettes = order_cassette(tmp_path / "cassettes", '{"id": 1}', "application/json")
    argv = ["contracts", "drift", "--openapi", str(openapi), "--pacts", str(pacts)]
    argv += ["--cassettes", str(cassettes), "--report-dir", str(tmp_path)]
    assert main(argv) == 1
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert [(d["kind"], d["field"], d["detail"]) for d in report["drift"]] == [
        ("type_change", "$.id", "documented string, got integer")
    ]
    (cassettes / "order.yaml").write_text(
        (cassettes / "order.yaml").read_text().replace('"code": 200', '"code": 500')
    )
    assert main(argv) == 1
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert [(d["kind"], d["detail"]) for d in report["drift"]] == [
        ("undocumented_status", "status 500 is not documented (documented: 200, 4XX)")
    ]
    capsys.readouterr()


PET_DOCUMENT = (
    "openapi: 3.0.3\n"
    "info: {title: pets, version: '1'}\n"
    "paths:\n"
    "  /v1/order:\n"
    "    post:\n"
    "      responses:\n"
    "        '200':\n"
    "          description: ok\n"
    "          content:\n"
    "            application/json:\n"
    "              schema: {$ref: '#/components/schemas/Pet'}\n"
    "components:\n"
    "  schemas:\n"
    "    Pet:\n"
    "      type: object\n"
    "      properties: {petType: {type: string}}\n"
    "      discriminator: {propertyName: petType}\n"
    "      oneOf: {oneOf}\n"
    "    Cat: {allOf: [{$ref: '#/components/schemas/Pet'}]}\n"
)


@pytest.mark.parametrize(
    ("one_of", "problem"),
    [
        pytest.param(
            "[{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Nope'}]",
            "#/components/schemas/Pet/oneOf/1: $ref '#/components/schemas/Nope' points to nothing",
            id="missing-ref",
        ),
        pytest.param("3", "#/components/schemas/Pet/oneOf: not a list", id="not-a-list"),
    ],
)
def test_a_malformed_document_is_one_line_naming_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], one_of: str, problem: str
) -> None:
    openapi = tmp_path / "openapi"
    openapi.mkdir()
    (openapi / "pets.yaml").write_text(PET_DOCUMENT.replace("{oneOf}", one_of))
    cassettes = order_cassette(tmp_path / "cassettes", '{"petType": "Cat"}', "application/json")
    argv = ["contracts", "drift", "--openapi", str(openapi), "--cassettes", str(cassettes)]
    assert main([*argv, "--report-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f'g2a-harness contracts: OpenAPI document "pets": {problem}\n'
    )
    assert not (tmp_path / "contracts.json").exists()
