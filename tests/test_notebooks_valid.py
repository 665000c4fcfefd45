"""Every notebook is valid nbformat 4 (Jupyter opens it; nbdev_test runs code cells and would not notice a broken
markdown cell), and its outputs are those of its code (`make nb-outputs` made them after its code last changed)."""
import base64, importlib.util, json
from pathlib import Path
import pytest
nbformat = pytest.importorskip('nbformat')

ROOT = Path(__file__).parent.parent
NBS = sorted((ROOT/'nbs').glob('*.ipynb'))
_spec = importlib.util.spec_from_file_location('run_notebooks', ROOT/'tools'/'run_notebooks.py')
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

@pytest.mark.parametrize('path', NBS, ids=[p.name for p in NBS])
def test_notebook_is_valid(path):
    nbformat.validate(nbformat.read(path, as_version=4))

@pytest.mark.parametrize('path', NBS, ids=[p.name for p in NBS])
def test_notebook_outputs_are_those_of_its_code(path):
    why = run_notebooks.stale(path)
    assert why is None, why

def test_a_code_edit_makes_the_outputs_stale_and_a_prose_edit_does_not(tmp_path):
    nb = json.loads((ROOT/'nbs'/'06_texture.ipynb').read_text())
    copy = tmp_path/'06_texture.ipynb'
    copy.write_text(json.dumps(nb))
    assert run_notebooks.stale(copy) is None
    prose = next(c for c in nb['cells'] if c['cell_type'] == 'markdown')
    prose['source'] = ['Said otherwise.']
    copy.write_text(json.dumps(nb))
    assert run_notebooks.stale(copy) is None
    code = next(c for c in nb['cells'] if c['cell_type'] == 'code')
    code['source'] = list(code['source']) + ['\nx = 1']
    copy.write_text(json.dumps(nb))
    assert 'make nb-outputs NB=06_texture.ipynb' in run_notebooks.stale(copy)
    del nb['metadata']['camnet']
    copy.write_text(json.dumps(nb))
    assert 'no outputs recorded' in run_notebooks.stale(copy)

def test_progress_bars_and_empty_displays_are_left_out_and_warnings_kept():
    bar = 'synth:   0%|          | 0/6 [00:00<?, ?it/s]\rsynth: 100%|##########| 6/6 [00:00<00:00, 209.00it/s]\n'
    outputs = [{'output_type': 'stream', 'name': 'stderr', 'text': bar},
               {'output_type': 'stream', 'name': 'stderr', 'text': bar + 'UserWarning: look here\n'},
               {'output_type': 'display_data', 'data': {}, 'metadata': {}},
               {'output_type': 'execute_result', 'data': {}, 'metadata': {}, 'execution_count': None},
               {'output_type': 'stream', 'name': 'stdout', 'text': '50%| printed on purpose\n'}]
    kept = run_notebooks._tidy(outputs)
    assert [''.join(o['text']) for o in kept] == ['UserWarning: look here\n', '50%| printed on purpose\n']

def test_a_warning_written_right_after_a_bar_is_kept():
    # a bar left unfinished (leave=False clears it with spaces), a warning printed on its line
    text = ('bench:  86%|########5 | 6/7 [00:30<00:05,  5.0s/it, loss=0.03]x.py:9: UserWarning: im5.jpg: only 0% right\n'
            '  with warnings_named(key):\n' + ' ' * 52 + '\r')
    kept = run_notebooks._tidy([{'output_type': 'stream', 'name': 'stderr', 'text': text}])
    assert [''.join(o['text']) for o in kept] == ['x.py:9: UserWarning: im5.jpg: only 0% right\n  with warnings_named(key):\n']

def test_printed_paths_are_written_alike_on_every_run():
    root = run_notebooks.ROOT
    outputs = [{'output_type': 'stream', 'name': 'stderr', 'text': '/tmp/camnet-ab12/tmpxy9/bad.json: not a points file\n'},
               {'output_type': 'stream', 'name': 'stdout', 'text': f"base: {root}/camnet_nb/weights/m.onnx, '/tmp/camnet-ab12/tmpq/r.onnx'\n"},
               {'output_type': 'execute_result', 'metadata': {}, 'execution_count': None,
                'data': {'text/plain': [f"PosixPath('/tmp/camnet-ab12/tmpz/a.png'), '{root.parent}/shared/data'"]}}]
    kept = run_notebooks._tidy(outputs, '/tmp/camnet-ab12/')
    assert [''.join(o['text']) for o in kept[:2]] == ['<tmp>/bad.json: not a points file\n',
                                            "base: camnet_nb/weights/m.onnx, '<tmp>/r.onnx'\n"]
    assert ''.join(kept[2]['data']['text/plain']) == "PosixPath('<tmp>/a.png'), '../shared/data'"

def test_a_widget_is_kept_as_a_still_of_its_images_and_status():
    widgets = pytest.importorskip('ipywidgets')
    jpeg = b'\xff\xd8\xff\xe0 a picture'
    box = widgets.VBox([widgets.Image(value=jpeg, format='jpeg'), widgets.HBox([widgets.Label('3 clicks')])])
    view = {'output_type': 'display_data', 'metadata': {},
            'data': {'application/vnd.jupyter.widget-view+json': {'model_id': box.model_id}, 'text/plain': 'VBox(...)'}}
    still, status = run_notebooks._tidy([view])
    assert base64.b64decode(still['data']['image/jpeg']) == jpeg
    assert ''.join(status['text']) == '3 clicks\n'

def test_a_cell_ending_in_a_semicolon_keeps_what_it_printed_and_hides_its_value():
    pytest.importorskip('execnb')
    from execnb.nbio import mk_cell
    shell = run_notebooks._shell(None)
    cell = mk_cell("print('kept')\n1 + 1;")
    shell.cell(cell)
    assert [(o['output_type'], ''.join(o['text'])) for o in cell.outputs] == [('stream', 'kept\n')]
    shown = mk_cell('1 + 1')
    shell.cell(shown)
    assert shown.outputs[0]['data']['text/plain'] == ['2']

def test_a_notebook_that_is_not_there_is_one_line_and_nothing_runs(capsys):
    assert run_notebooks.main(['99_nothing', '--check']) == 2
    assert run_notebooks.main(['99_nothing']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all('no such notebook' in line and '99_nothing.ipynb' in line for line in err)
