"""Run every notebook in nbs/ as one pytest case, with nbdev's own notebook runner (as `nbdev_test` does).

Cells flagged with a word from settings.ini's `tst_flags` (e.g. `#| slow`) are skipped unless that word is listed
in the environment variable MINGPT_NB_TEST_FLAGS (space-separated), e.g. MINGPT_NB_TEST_FLAGS=slow pytest.
"""
import os
from pathlib import Path

import pytest
import nbdev.test as nbt
from nbdev.config import get_config

cfg = get_config()
NBS = sorted(p for p in Path(cfg.config_path / cfg.nbs_path).rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(cfg.config_path / cfg.nbs_path).parts))


@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    force = os.environ.get('MINGPT_NB_TEST_FLAGS', '').split()
    skip = [f for f in cfg.tst_flags.split() if f not in force]
    ok, secs = nbt.test_nb(nb, skip_flags=skip, force_flags=force, basepath=cfg.config_path)
    assert ok, f'{nb.name} failed (see the traceback above)'
