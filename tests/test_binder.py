"""The files that rebuild the environment elsewhere — Binder's and CI's — agree with ``pyproject.toml``.

Binder builds from ``binder/`` alone, long after the change that broke it, so a renamed extra, a pin
outside the declared range or a notebook the index no longer links shows up here instead of in a failed
build or a dead link.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
NOTEBOOKS = ROOT / "notebooks"
INDEX = NOTEBOOKS / "00_index.ipynb"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _declared() -> dict[str, list[Requirement]]:
    """Every requirement pyproject declares (core and every extra), by normalised name."""
    declared: dict[str, list[Requirement]] = {}
    for line in itertools.chain(PROJECT["dependencies"], *PROJECT["optional-dependencies"].values()):
        requirement = Requirement(line)
        declared.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return declared


def _satisfiable(*specifiers: SpecifierSet) -> bool:
    """Whether some version satisfies every specifier (tried at each bound and just past it)."""
    bounds = {Version(spec.version.replace(".*", "")) for s in specifiers for spec in s}
    candidates = bounds | {Version(f"{v.base_version}.1") for v in bounds} | {Version("0")}
    return any(all(s.contains(v, prereleases=True) for s in specifiers) for v in candidates)


def _binder_requirements() -> list[Requirement]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in (raw.split("#")[0].strip() for raw in lines) if line]


def _post_build_installs() -> list[list[str]]:
    """The arguments after ``pip install`` of each such command in ``postBuild``."""
    commands = []
    for line in (BINDER / "postBuild").read_text().splitlines():
        words = shlex.split(line, comments=True)
        if "pip" in words and "install" in words[words.index("pip") :]:
            commands.append(words[words.index("install", words.index("pip")) + 1 :])
    return commands


def _links(notebook: Path) -> set[str]:
    cells: list[dict[str, Any]] = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(re.findall(r"\]\(([^)\s]+?\.ipynb)(?:#[^)]*)?\)", text))


def test_binder_requirements_are_declared_in_pyproject_with_a_compatible_version() -> None:
    declared = _declared()
    requirements = _binder_requirements()
    assert requirements, "binder/requirements.txt lists nothing"
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in declared, (
            f"binder/requirements.txt installs {name}, which pyproject.toml does not declare"
        )
        for ours in declared[name]:
            assert _satisfiable(requirement.specifier, ours.specifier), (
                f"binder/requirements.txt wants {requirement}, outside pyproject.toml's {ours}"
            )


def test_satisfiable_tells_overlapping_ranges_from_disjoint_ones() -> None:
    assert _satisfiable(SpecifierSet("==4.6.6"), SpecifierSet(">=4.1,<5"))
    assert _satisfiable(SpecifierSet(">4.1"), SpecifierSet("<4.2"))
    assert not _satisfiable(SpecifierSet("==5.0"), SpecifierSet(">=4.1,<5"))
    assert not _satisfiable(SpecifierSet("<4"), SpecifierSet(">=4.1"))


def test_post_build_stops_at_the_first_failure_and_is_executable() -> None:
    post_build = BINDER / "postBuild"
    assert post_build.read_text().startswith("#!/"), "postBuild needs a shebang line"
    assert re.search(r"^set -[a-z]*e", post_build.read_text(), re.MULTILINE), "postBuild must `set -e`"
    assert os.access(post_build, os.X_OK), "postBuild must be executable (git update-index --chmod=+x)"


def test_post_build_installs_this_checkout_with_the_lab_extra_and_only_declared_extras() -> None:
    installs = [
        arg for args in _post_build_installs() for arg in args if re.fullmatch(r"\.(\[[^\]]*\])?", arg)
    ]
    assert installs, "postBuild does not pip install this checkout"
    extras = {e.strip() for arg in installs for e in arg.strip(".[]").split(",") if e.strip()}
    assert "lab" in extras, "postBuild must install the lab extra (JupyterLab, ipywidgets, matplotlib)"
    unknown = extras - set(PROJECT["optional-dependencies"])
    assert not unknown, f"postBuild installs extras pyproject.toml does not define: {sorted(unknown)}"


def test_every_notebook_linked_from_the_index_exists() -> None:
    missing = sorted(link for link in _links(INDEX) if not (NOTEBOOKS / link).is_file())
    assert not missing, f"00_index links notebooks that do not exist: {missing}"


def test_every_notebook_is_linked_from_the_index() -> None:
    notebooks = {p.name for p in NOTEBOOKS.glob("*.ipynb")} - {INDEX.name}
    unlinked = sorted(notebooks - {Path(link).name for link in _links(INDEX)})
    assert not unlinked, f"00_index does not link: {unlinked}"


def test_readme_binder_badge_opens_the_index_in_jupyterlab() -> None:
    readme = (ROOT / "README.md").read_text()
    badges = re.findall(r"https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/[^?\s)]+\?urlpath=([^)\s]+)", readme)
    assert badges, "README.md has no Binder badge"
    for repository, urlpath in badges:
        assert urlpath == "lab/tree/notebooks/00_index.ipynb", urlpath
        assert (ROOT / urlpath.removeprefix("lab/tree/")).is_file()
        url = PROJECT.get("urls", {}).get("Repository", "")
        if url.startswith("https://github.com/"):
            assert repository == url.removeprefix("https://github.com/").removesuffix(".git").strip("/")


def test_ci_installs_chromium_requires_the_browser_tests_and_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"## Tests\n\n```bash\n(.+)\n```", readme)
    assert command, "README.md has no test command under ## Tests"
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == command.group(1), "the last line of .ci/run is not the README's"
    assert "apt-get install" in ci and "chromium" in ci
    assert re.search(r"^export CI=1$", ci, re.MULTILINE), ".ci/run must set CI=1 so browser tests cannot skip"
