"""The two distributions as users install them, from wheels or sdists into fresh virtual
environments, and the metadata each wheel carries.

A service installs `g2a-adapter` alone and must get the `g2a_adapter` package and nothing else: no
harness, no console script, no pytest plugin to change its own test run. A tester installs
`g2a-harness` next to it and every command must work from the installed files alone, package data
included; the harness's pytest plugin loads only where it is asked for (`-p harness.bdd.plugin`),
so even an environment holding both leaves a service's own test run alone. Run by `tox -e build`
(it needs the package registry, like `pip install`).
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import g2a_adapter

ROOT = Path(__file__).resolve().parents[2]
# What a run of the checklist reads from the checkout; the packages themselves are left out so
# that only the installed wheels can serve them.
CHECKOUT_PARTS = ("features", "tests", "contracts", "pyproject.toml")

pytestmark = pytest.mark.slow


def run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G2A_", "PYTHONPATH"))}
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def fresh_venv(path: Path) -> Path:
    venv.create(path, with_pip=True)
    return path / "bin"


# Byte-compiling what pip installs (a hundred packages for the harness) proves nothing here.
PIP_QUIET = ("-q", "--no-compile", "--disable-pip-version-check")


def installed(path: Path, *requirements: str | Path) -> Path:
    """A fresh venv at `path` with `requirements` installed by pip: its `bin`."""
    bin_dir = fresh_venv(path)
    run([str(bin_dir / "pip"), "install", *PIP_QUIET, *map(str, requirements)])
    return bin_dir


# Each distribution's files as `python -m build` names them, by kind.
SUFFIXES = {"wheel": "-py3-none-any.whl", "sdist": ".tar.gz"}


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Both projects built once (each sdist, then its wheel from that sdist): kind ->
    "adapter" / "harness" -> file."""
    dist = tmp_path_factory.mktemp("dist")
    for project in (ROOT, ROOT / "harness"):
        run([sys.executable, "-m", "build", "--outdir", str(dist), str(project)])
    version = g2a_adapter.__version__
    files = {
        kind: {
            "adapter": dist / f"g2a_adapter-{version}{suffix}",
            "harness": dist / f"g2a_harness-{version}{suffix}",
        }
        for kind, suffix in SUFFIXES.items()
    }
    assert {p for by_project in files.values() for p in by_project.values()} == set(dist.iterdir())
    return files


@pytest.fixture(scope="module")
def wheels(distributions: dict[str, dict[str, Path]]) -> dict[str, Path]:
    return distributions["wheel"]


INSPECT_ADAPTER = """
import importlib.metadata as md, importlib.resources, importlib.util, json
import g2a_adapter
dist = md.distribution("g2a-adapter")
ours = {"g2a_adapter", "harness", "benchmarks", "features", "tests"}
print(json.dumps({
    "all": sorted(g2a_adapter.__all__),
    "typed": importlib.resources.files("g2a_adapter").joinpath("py.typed").is_file(),
    "top_level": sorted({f.parts[0] for f in dist.files if "dist-info" not in f.parts[0]}),
    "importable": sorted(n for n in ours if importlib.util.find_spec(n) is not None),
    "entry_points": sorted(f"{e.group}:{e.name}" for e in dist.entry_points),
    "pytest11": sorted(e.name for e in md.entry_points(group="pytest11")),
}))
"""

SERVICE_TEST = """
from g2a_adapter import G2AClient, Settings


def test_the_service_builds_a_client() -> None:
    settings = Settings(
        api_url="https://sandboxapi.g2a.com/v1",
        api_hash="qdaiciDiyMaTjxMt",
        api_key="74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875",
    )
    with G2AClient(settings) as client:
        assert client is not None
"""

# A service's own test run: its conftest has a `--target` option and fixtures named like the
# harness's. With the harness's plugin auto-loaded, pytest would refuse to start
# ("argument --target: conflicting option string") or hand the tests the harness's fixtures.
SERVICE_CONFTEST = """
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--target", default="staging")


@pytest.fixture
def settings() -> dict[str, bool]:
    return {"mine": True}


@pytest.fixture
def twin() -> str:
    return "the service's own twin"
"""

SERVICE_OWN_OPTIONS_TEST = """
import sys

import pytest


def test_the_service_keeps_its_option_and_fixtures(
    request: pytest.FixtureRequest, settings: dict[str, bool], twin: str
) -> None:
    assert request.config.getoption("--target") == "staging"
    assert settings == {"mine": True}
    assert twin == "the service's own twin"
    assert "harness.bdd.plugin" not in sys.modules
"""

_CLIENT_ON = (
    "from g2a_adapter import G2AClient, Settings; G2AClient(Settings("
    "api_url='https://sandboxapi.g2a.com/v1', api_hash='qdaiciDiyMaTjxMt', "
    "api_key='74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875', "
    "idempotency_url='{url}'))"
)
# Each part of the adapter used without its extra: a ModuleNotFoundError naming the extra, at
# once (the client's store is opened at its first purchase, but its driver is checked when the
# client is built).
WITHOUT_EXTRAS = [
    *((f"from g2a_adapter.receiver import {name}", "receiver")
      for name in ("create_receiver_app", "ServerLimits", "uvicorn_config")),
    (_CLIENT_ON.format(url="redis://127.0.0.1:6379/0"), "redis"),
    (_CLIENT_ON.format(url="postgresql://me@127.0.0.1/test"), "postgres"),
    ("from g2a_adapter.logformat import json_formatter; json_formatter()", "json-logs"),
]  # fmt: skip

ADMIN_DOCUMENT = """
import importlib.resources
print(importlib.resources.files("harness.twin").joinpath("twin-admin.yaml").read_text(), end="")
"""
# Each file named in the harness's package data, as an installed copy finds it: name -> found.
PACKAGE_DATA = """
import importlib.resources, json, sys
harness = importlib.resources.files("harness")
print(json.dumps({name: harness.joinpath(name).is_file() for name in sys.argv[1:]}))
"""


def assert_the_harness_data_is_installed(bin_dir: Path, cwd: Path) -> str:
    """Every package data file of the harness is installed and its command reads it (the twin's
    admin document, the load profiles), from `cwd`: the `g2a-harness` command's path."""
    with (ROOT / "harness" / "pyproject.toml").open("rb") as f:
        data = tomllib.load(f)["tool"]["setuptools"]["package-data"]["harness"]
    found = run([str(bin_dir / "python"), "-c", PACKAGE_DATA, *data], cwd).stdout
    assert json.loads(found) == dict.fromkeys(data, True)
    # The twin serves its admin document from the installed package, wherever it runs.
    admin = run([str(bin_dir / "python"), "-c", ADMIN_DOCUMENT], cwd).stdout
    assert admin == (ROOT / "contracts" / "openapi" / "twin-admin.yaml").read_text()
    harness = str(bin_dir / "g2a-harness")
    profiles = run([harness, "load", "--list-profiles"], cwd)
    assert "smoke" in profiles.stdout
    return harness


def assert_the_adapter_alone_is_installed(bin_dir: Path, cwd: Path) -> None:
    """The venv of `bin_dir` holds the `g2a_adapter` package, typed, and nothing else of ours:
    no harness, no command, no entry point, no pytest plugin."""
    # Never from the checkout: `python -c` puts the working directory on sys.path.
    facts = json.loads(run([str(bin_dir / "python"), "-c", INSPECT_ADAPTER], cwd).stdout)
    assert facts["all"] == sorted(g2a_adapter.__all__)
    assert facts["typed"] is True
    assert facts["top_level"] == ["g2a_adapter"]
    assert facts["importable"] == ["g2a_adapter"]
    assert facts["entry_points"] == []
    assert "g2a_bdd" not in facts["pytest11"]
    assert not (bin_dir / "g2a-harness").exists()


def sdists_installed(path: Path, sdists: dict[str, Path]) -> Path:
    """A fresh venv at `path` with the adapter's sdist installed alone, as a service installs
    it (checked so), then the harness's beside it: its `bin`."""
    bin_dir = installed(path, sdists["adapter"])
    assert_the_adapter_alone_is_installed(bin_dir, path.parent)
    run([str(bin_dir / "pip"), "install", *PIP_QUIET, str(sdists["harness"])])
    return bin_dir


@pytest.fixture(scope="module")
def venvs(
    distributions: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Path]]]:
    """The three fresh venvs the tests below use, installed side by side from the first test
    on: pip waits on the package index for much of an install, so the three overlap instead of
    following each other. Name -> its `bin`, once installed: "adapter" (the adapter's wheel and
    pytest), "both" (both wheels, as README command 1 installs them), "sdists" (see
    `sdists_installed`). A failed install or check fails each test that uses its venv."""
    wheels, sdists = distributions["wheel"], distributions["sdist"]
    root = tmp_path_factory.mktemp("venvs")
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            "adapter": pool.submit(installed, root / "adapter", wheels["adapter"], "pytest"),
            "both": pool.submit(installed, root / "both", wheels["adapter"], wheels["harness"]),
            "sdists": pool.submit(sdists_installed, root / "sdists", sdists),
        }


def test_the_adapter_wheel_alone_is_what_a_service_needs(
    venvs: dict[str, Future[Path]], tmp_path: Path
) -> None:
    bin_dir = venvs["adapter"].result()
    assert_the_adapter_alone_is_installed(bin_dir, tmp_path)

    service = tmp_path / "service"
    service.mkdir()
    (service / "test_service.py").write_text(SERVICE_TEST)
    result = run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], service)
    assert "1 passed" in result.stdout

    for code, extra in WITHOUT_EXTRAS:
        used = subprocess.run(
            [str(bin_dir / "python"), "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert used.returncode == 1, code
        last_line = used.stderr.strip().splitlines()[-1]
        assert last_line.startswith("ModuleNotFoundError: "), used.stderr
        assert last_line.endswith(f"install g2a-adapter[{extra}]"), used.stderr


@pytest.fixture
def both_wheels(venvs: dict[str, Future[Path]]) -> Path:
    """A fresh venv holding both wheels, as README command 1 installs them: its `bin`."""
    return venvs["both"].result()


def test_both_wheels_leave_a_service_s_own_test_run_untouched(
    both_wheels: Path, tmp_path: Path
) -> None:
    """The harness in a service's environment (against the README's advice) registers no pytest
    plugin: a service whose conftest has its own `--target` runs its tests as before."""
    service = tmp_path / "service"
    (service / "tests").mkdir(parents=True)
    (service / "tests" / "conftest.py").write_text(SERVICE_CONFTEST)
    (service / "tests" / "test_own_options.py").write_text(SERVICE_OWN_OPTIONS_TEST)
    (service / "tests" / "test_service.py").write_text(SERVICE_TEST)
    result = run(
        [str(both_wheels / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], service
    )
    assert "2 passed" in result.stdout, result.stdout
    facts = json.loads(run([str(both_wheels / "python"), "-c", INSPECT_ADAPTER], tmp_path).stdout)
    assert "g2a_bdd" not in facts["pytest11"]
    harness_entry_points = run(
        [
            str(both_wheels / "python"),
            "-c",
            "import importlib.metadata as md; "
            "print(sorted(e.group for e in md.distribution('g2a-harness').entry_points))",
        ],
        tmp_path,
    )
    assert harness_entry_points.stdout.strip() == "['console_scripts']"


def test_both_wheels_run_the_smoke_checklist_from_installed_files(
    both_wheels: Path, tmp_path: Path
) -> None:
    bin_dir = both_wheels
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for part in CHECKOUT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, checkout / part)
    # The handoff checklist scans the repository's files with git, as in a real clone.
    run(["git", "init", "-q"], checkout)
    run(["git", "add", "-A"], checkout)

    harness = assert_the_harness_data_is_installed(bin_dir, checkout)
    report_dir = tmp_path / "reports"
    run([harness, "run", "--suite", "smoke", "--report-dir", str(report_dir)], checkout)
    checklist = json.loads((report_dir / "checklist.json").read_text())
    assert checklist["summary"]["failed"] == 0
    assert checklist["summary"]["passed"] > 0


def test_each_wheel_is_typed(wheels: dict[str, Path]) -> None:
    """Both packages ship their PEP 561 marker: a service type-checking against the adapter, or
    tooling against the harness's APIs, gets their types."""
    for project, package in (("adapter", "g2a_adapter"), ("harness", "harness")):
        with zipfile.ZipFile(wheels[project]) as archive:
            markers = [n for n in archive.namelist() if n.endswith("py.typed")]
        assert markers == [f"{package}/py.typed"]


def test_each_wheel_carries_the_mit_licence_text(wheels: dict[str, Path]) -> None:
    """MIT asks for its notice in every copy: each wheel ships the repository's LICENSE."""
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    assert (ROOT / "harness" / "LICENSE").read_text() == licence
    for wheel in wheels.values():
        with zipfile.ZipFile(wheel) as archive:
            [shipped] = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
            assert archive.read(shipped).decode() == licence


def test_the_sdists_install_the_adapter_alone_then_both(
    venvs: dict[str, Future[Path]], tmp_path: Path
) -> None:
    """What each sdist holds is enough for pip to build and install it: the adapter's alone, as
    a service installs it, then the harness's beside it (`sdists_installed`), whose command runs
    from the installed files, package data included. (The wheels, built from these sdists, prove
    the rest.)"""
    bin_dir = venvs["sdists"].result()
    harness = assert_the_harness_data_is_installed(bin_dir, tmp_path)
    installed_steps = json.loads(run([harness, "steps", "--format", "json"], tmp_path).stdout)
    checkout_steps = json.loads(
        run([sys.executable, "-m", "harness", "steps", "--format", "json"], ROOT).stdout
    )
    assert installed_steps == checkout_steps


def test_the_adapter_sdist_holds_the_adapter_and_its_own_readme_alone(
    distributions: dict[str, dict[str, Path]],
) -> None:
    """The repository's README.md (the harness, tox, CI) describes nothing the adapter's sdist
    holds: setuptools adds it by default, MANIFEST.in leaves it out."""
    with tarfile.open(distributions["sdist"]["adapter"]) as archive:
        names = {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}
    assert sorted(n for n in names if not n.startswith(("g2a_adapter/", "g2a_adapter."))) == [
        "LICENSE",
        "MANIFEST.in",
        "PKG-INFO",
        "docs/adapter-readme.md",
        "pyproject.toml",
        "setup.cfg",
    ]


PYTHON_CLASSIFIERS = [
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.11",
]
# What each wheel's METADATA says of it: its classifiers and the README it is described by.
# The licence is the PEP 639 `License-Expression` (setuptools refuses a licence classifier beside
# it); the repository states no homepage, so no `Project-URL` is made up.
DESCRIBED = {
    "adapter": (
        [
            "Intended Audience :: Developers",
            *PYTHON_CLASSIFIERS,
            "Topic :: Software Development :: Libraries :: Python Modules",
            "Typing :: Typed",
        ],
        ROOT / "docs" / "adapter-readme.md",
    ),
    "harness": (
        [
            "Framework :: Pytest",
            "Intended Audience :: Developers",
            *PYTHON_CLASSIFIERS,
            "Topic :: Software Development :: Testing",
            "Typing :: Typed",
        ],
        ROOT / "harness" / "README.md",
    ),
}


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(name).decode()
    return email.parser.Parser(policy=email.policy.compat32).parsestr(text)


@pytest.mark.parametrize("project", list(DESCRIBED))
def test_each_wheel_is_described_by_its_own_readme_and_classifiers(
    wheels: dict[str, Path], project: str
) -> None:
    classifiers, readme = DESCRIBED[project]
    metadata = wheel_metadata(wheels[project])
    assert metadata.get_all("Classifier") == classifiers
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("Project-URL") is None
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == readme.read_text()
