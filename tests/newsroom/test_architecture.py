"""The rooms' imports go one way, and import-linter (`make lint`) notices when one does not."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from tests.helpers import BASE_DIR

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


class ImportContractTests(SimpleTestCase):
    def copy_of_the_code(self) -> Path:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        for package in ("newsroom", "articles"):
            shutil.copytree(BASE_DIR / package, root / package)
        shutil.copy(BASE_DIR / "pyproject.toml", root)
        return root

    def add_import(self, root: Path, module: str, line: str) -> None:
        path = root / (module.replace(".", "/") + ".py")
        path.write_text(path.read_text() + f"\n{line}\n")

    def test_the_code_keeps_the_contracts(self):
        result = lint_imports(self.copy_of_the_code())
        assert result.returncode == 0, result.stdout + result.stderr

    def test_a_model_in_the_page_cache_breaks_them(self):
        root = self.copy_of_the_code()
        self.add_import(root, "newsroom.pagecache.keys", "from articles.models import Article")
        result = lint_imports(root)
        assert result.returncode != 0
        assert "newsroom.pagecache.keys -> articles.models" in result.stdout

    def test_content_importing_the_chrome_breaks_them(self):
        root = self.copy_of_the_code()
        self.add_import(root, "articles.views", "from newsroom.chrome import menus")
        result = lint_imports(root)
        assert result.returncode != 0
        assert "articles.views -> newsroom.chrome.menus" in result.stdout

    def test_the_weather_importing_content_breaks_them(self):
        root = self.copy_of_the_code()
        self.add_import(root, "newsroom.weather.header", "from articles import models")
        result = lint_imports(root)
        assert result.returncode != 0
        assert "newsroom.weather.header -> articles.models" in result.stdout
