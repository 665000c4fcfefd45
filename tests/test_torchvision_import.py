"import_torchvision: torchvision with or without its C++ operators (a CPU-only torch beside PyPI's torchvision)."
import os, subprocess, sys
import pytest, torch
from camnet_nb.teacher import import_torchvision

# A stand-in torchvision that fails the way PyPI's does beside a CPU-only torch: it needs the nms schema defined.
FAKE = '''
import torch
try: torch.ops.torchvision.{op}.default
except (AttributeError, RuntimeError): raise RuntimeError("operator torchvision::{op} does not exist")
__version__ = "stand-in"
'''

def _run(tmp_path, op):
    (tmp_path/'torchvision').mkdir(); (tmp_path/'torchvision'/'__init__.py').write_text(FAKE.format(op=op))
    code = "from camnet_nb.teacher import import_torchvision as f; print(f().__version__)"
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env={**os.environ, 'PYTHONPATH': str(tmp_path)}, timeout=120)

def test_missing_nms_schema_is_defined_and_import_retried(tmp_path):
    r = _run(tmp_path, 'nms')
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == 'stand-in'

def test_other_import_errors_are_not_hidden(tmp_path):
    r = _run(tmp_path, 'roi_align')
    assert r.returncode != 0 and 'operator torchvision::roi_align does not exist' in r.stderr
