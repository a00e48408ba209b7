"""Tests that need a program outside Python skip on a bare machine, but never in CI."""

import os
import shutil

import pytest


def need_program(path_or_name: str) -> str:
    """The program's path; skips the test when it is missing, or fails it when running in CI."""
    found = shutil.which(path_or_name)
    if found:
        return found
    message = f"{path_or_name} is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run this test.")
    pytest.skip(message)
