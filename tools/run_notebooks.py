"""Run the notebooks and keep their outputs, so that they read as tutorials with their pictures wherever they are
opened: `python tools/run_notebooks.py [NOTEBOOK ...] [--flags slow] [--check]` (`make nb-outputs [NB=...]`).

Cells run as `nbdev_test` runs them, in the notebook's folder, except those flagged `slow` or `real` unless
`--flags` names them: a cell left out keeps the outputs of its last run (cells flagged `real` need `../shared/data`
and were left out: their pictures are in `docs/` and the README).
Figures are kept as JPEG (a quarter of PNG's size), progress bars are left out, a widget is kept as a still
picture of its images (its live form needs a running kernel), and printed paths are written alike on every run and
machine (a notebook's temporary folder as <tmp>, the repository's files relative to it), so a rerun's diff shows what
changed. Each notebook records a digest of its code cells in its
metadata (`camnet.outputs_of`); `--check` names every notebook whose code changed since its outputs were made, and
`tests/test_notebooks_valid.py` runs that check, so that the outputs a reader sees are those of the code beside them.
"""
import argparse, base64, hashlib, json, os, re, sys, tempfile
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent/'nbs'
# a tqdm bar, from its description to its closing ]: only the bar, for a warning may follow it on the same line
PROGRESS = re.compile(r'[^\n]*?\d+%\|[^|\n]*\|[^\[\n]*\[[^\]\n]*\]')

def code_digest(nb:dict) -> str:
    "A digest of the notebook's code cells, in order (markdown edits keep the outputs current)."
    h = hashlib.sha256()
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
            h.update(src.strip().encode() + b'\0')
    return h.hexdigest()[:16]

def stale(path:Path) -> str|None:
    "Why the notebook's outputs are not those of its code, or None when they are."
    nb = json.loads(Path(path).read_text())
    made = nb.get('metadata', {}).get('camnet', {}).get('outputs_of')
    if made is None: return f'{path.name}: no outputs recorded; run make nb-outputs NB={path.name}'
    if made != code_digest(nb):
        return f'{path.name}: code changed since its outputs were made; run make nb-outputs NB={path.name}'
    return None

def _widget_still(model_id:str) -> list:
    "The images (and status texts) of a displayed widget, as static outputs."
    from ipywidgets.widgets.widget import _instances
    images, texts = [], []
    def walk(w):
        if w is None: return
        kind = type(w).__name__
        if kind == 'Image' and w.value: images.append((w.format, w.value))
        elif kind in ('Label', 'HTML') and w.value: texts.append(re.sub('<[^>]+>', '', w.value))
        for child in getattr(w, 'children', ()): walk(child)
    walk(_instances.get(model_id))
    out = [{'output_type': 'display_data', 'metadata': {},
            'data': {f'image/{fmt}': base64.b64encode(v).decode(), 'text/plain': ['<a still of the widget>']}}
           for fmt, v in images if fmt in ('jpeg', 'png')]
    if texts: out.append({'output_type': 'stream', 'name': 'stdout', 'text': ''.join(t + '\n' for t in texts)})
    return out

ROOT = NBS.parent

def _placeholders(text:str, scratch:str|None) -> str:
    "Paths that differ from run to run and machine to machine, written alike: a notebook's temporary folder as <tmp>, the repository's own files relative to it."
    if scratch: text = re.sub(re.escape(str(scratch).rstrip('/')) + r'/[^/\s\'"]+', '<tmp>', text)
    text = text.replace(f'{ROOT.parent}/shared/', '../shared/')
    return text.replace(f'{ROOT}/', '')

def _tidy(outputs:list, scratch:str|None=None) -> list:
    "Outputs without progress bars or empty displays, with widgets as stills, and paths under `scratch` (the notebook's temporary files) or the repository written alike on every run."
    kept = []
    for o in outputs:
        if o.get('output_type') == 'stream':
            text = o['text'] if isinstance(o['text'], str) else ''.join(o['text'])
            if o.get('name') == 'stderr':
                lines = PROGRESS.sub('', text.replace('\r', '\n')).split('\n')
                text = ''.join(line + '\n' for line in lines if line.strip())   # a bar's blank clearing lines go too
            if not text: continue
            o = {**o, 'text': _placeholders(text, scratch).splitlines(keepends=True)}   # a list of lines: a rerun's diff by line
        plain = o.get('data', {}).get('text/plain')
        if plain is not None:
            plain = plain if isinstance(plain, str) else ''.join(plain)
            o = {**o, 'data': {**o['data'], 'text/plain': _placeholders(plain, scratch).splitlines(keepends=True)}}
        if o.get('output_type') in ('display_data', 'execute_result') and not o.get('data'): continue   # showed nothing
        view = o.get('data', {}).get('application/vnd.jupyter.widget-view+json')
        if view:
            kept.extend(_widget_still(view['model_id']))
            continue
        kept.append(o)
    return kept

def _shell(path:Path):
    "execnb's shell, keeping what a cell printed when its last line ends in `;` (execnb drops it; Jupyter does not)."
    from execnb.shell import CaptureShell
    from fastcore.basics import AttrDict
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    class Shell(CaptureShell):
        def _run(self, raw_cell, store_history=False, silent=False, shell_futures=True, cell_id=None,
                 stdout=True, stderr=True, display=True, verbose=False):
            with capture_output(display=display, stdout=stdout and not verbose, stderr=stderr and not verbose) as c:
                result = InteractiveShell.run_cell(self, raw_cell, store_history, silent, shell_futures=shell_futures,
                                                   cell_id=cell_id)
            return AttrDict(result=result, stdout=c.stdout, stderr=c.stderr, display_objects=c.outputs,
                            exception=result.error_in_exec or result.error_before_exec,
                            quiet=raw_cell.rstrip().endswith(';'))   # the `;` hides the cell's value, as in Jupyter
    return Shell(path, mpl_format='jpeg')

def run(path:Path, flags:set=frozenset()):
    "Run the notebook (cells flagged in tst_flags and not in `flags` left out) and write it back with its outputs."
    from execnb.nbio import read_nb, write_nb
    from fastcore.xtras import working_directory
    from nbdev.clean import clean_nb
    from nbdev.config import get_config
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    path = Path(path).resolve()
    cfg = get_config()
    skip = set(cfg.tst_flags.split()) - set(flags)   # the cells nbdev_test skips unless asked
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    def no_eval(cell):   # as nbdev_test decides
        if cell.cell_type != 'code': return True
        if 'nbdev_export(' in cell.source: return True
        return bool(skip & (getattr(cell, 'directives_', {}) or {}).keys())
    shell = _shell(path)
    with working_directory(path.parent):
        shell.run_all(nb, exc_stop=True, preproc=no_eval)
    raw = read_nb(path)   # the notebook as written (NBProcessor's copy has its directives parsed)
    for cell, ran in zip(raw.cells, nb.cells):
        if cell.cell_type == 'code': cell['outputs'] = _tidy(ran.get('outputs', []), tempfile.gettempdir())
    clean_nb(raw, allowed_metadata_keys=cfg.allowed_metadata_keys.split(),   # what nbdev_clean does to a file
             allowed_cell_metadata_keys=cfg.allowed_cell_metadata_keys.split(), clean_ids=cfg.clean_ids)
    raw.metadata['camnet'] = {'outputs_of': code_digest(raw)}
    write_nb(raw, path)

def _run_apart(path:Path, flags:list) -> int:
    "Run one notebook in a fresh process (no state carried between notebooks), temporary files in a folder of its own."
    import shutil, subprocess
    scratch = tempfile.mkdtemp(prefix='camnet-')
    env = {**os.environ, 'TMPDIR': scratch, 'TQDM_DISABLE': '1'}
    try: return subprocess.call([sys.executable, __file__, '--one', str(path), '--flags', *flags], env=env)
    finally: shutil.rmtree(scratch, ignore_errors=True)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('notebooks', nargs='*', type=Path, help='notebooks to run (default: every one in nbs/)')
    p.add_argument('--flags', nargs='*', default=[], help='also run the cells flagged so (slow, real)')
    p.add_argument('--check', action='store_true', help='only name the notebooks whose outputs are not current')
    p.add_argument('--one', type=Path, help=argparse.SUPPRESS)   # the child process of one notebook
    a = p.parse_args(argv)
    if a.one:
        run(a.one, set(a.flags))
        return 0
    paths = [q if q.suffix else NBS/f'{q}.ipynb' for q in a.notebooks] or sorted(NBS.glob('[0-9]*.ipynb'))
    paths = [q if q.exists() else NBS/q.name for q in paths]
    missing = [str(q) for q in paths if not q.is_file()]
    if missing:
        print(f"run_notebooks: no such notebook: {', '.join(missing)} (names in {NBS}, or paths)", file=sys.stderr)
        return 2
    if a.check:
        found = [m for m in map(stale, paths) if m]
        print('\n'.join(found) or f"{len(paths)} notebook{'s' if len(paths) > 1 else ''}: outputs current")
        return 1 if found else 0
    failed = []
    for q in paths:
        print(f'running {q.name}', flush=True)
        if _run_apart(q, a.flags): failed.append(q.name)
    if failed: print('failed (outputs left as they were): ' + ', '.join(failed))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
