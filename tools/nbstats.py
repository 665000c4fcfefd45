"""How the notebooks read as tutorials, counted: `python tools/nbstats.py [nbs] [--list]`.

Counts, over the code cells of every notebook in `nbs/`:
- cells longer than 40 lines;
- statements joined with `;` in any code cell (one statement per line is the rule; a `;` that ends a line only
  silences the cell's output and joins nothing);
- lines longer than 120 characters;
- export cells that define more than one function or class;
- public exported functions with more than two parameters whose parameters are not all documented inline
  (`arg:int=3, # what it is`).
`--list` names each finding (notebook, cell, what).
"""
import ast, io, json, sys, tokenize
from pathlib import Path

MAX_CELL_LINES = 40
MAX_LINE = 120

def code_cells(nb_path:Path):
    "(index, source) of each code cell, nbdev directives included."
    nb = json.loads(nb_path.read_text())
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] == 'code': yield i, ''.join(c['source'])

def is_export(src:str) -> bool:
    return any(l.strip() in ('#| export', '#|export', '#| exports') for l in src.splitlines()[:3])

def python_only(src:str) -> str:
    "The cell without IPython magics and shell lines, for the tokenizer and the parser."
    return '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines())

def joined_statements(src:str) -> int:
    "Semicolons that join statements (not those inside strings or comments, nor one that ends its line)."
    try: toks = list(tokenize.generate_tokens(io.StringIO(python_only(src)).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError): return 0
    line_ends = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)
    return sum(1 for t, nxt in zip(toks, toks[1:]) if t.type == tokenize.OP and t.string == ';' and nxt.type not in line_ends)

def undocumented(src:str) -> list[str]:
    "Public functions and methods with more than two parameters, some without an inline comment."
    try: tree = ast.parse(python_only(src))
    except SyntaxError: return []
    lines = python_only(src).splitlines()
    out = []
    # the public API: module-level functions and the methods of module-level classes (nested helpers are private)
    nodes = [n for top in tree.body for n in ([top] + (top.body if isinstance(top, ast.ClassDef) else []))]
    for node in nodes:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith('_'): continue
        args = [a for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs if a.arg not in ('self', 'cls')]
        args += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
        if len(args) <= 2: continue
        # a parameter is documented when its line carries a comment after it (docments)
        if not all('#' in lines[a.lineno - 1][a.col_offset:] for a in args): out.append(node.name)
    return out

def definitions(src:str) -> int:
    try: tree = ast.parse(python_only(src))
    except SyntaxError: return 0
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)

def stats(nbs:Path) -> dict:
    found = dict(long_cells=[], joined=[], long_lines=[], multi_definition_cells=[], undocumented=[])
    for nb in sorted(nbs.glob('*.ipynb')):
        for i, src in code_cells(nb):
            where = f"{nb.name} cell {i}"
            n = len(src.splitlines())
            if n > MAX_CELL_LINES: found['long_cells'].append(f"{where}: {n} lines")
            found['long_lines'] += [f"{where}: {len(l)} chars" for l in src.splitlines() if len(l) > MAX_LINE]
            if (j := joined_statements(src)): found['joined'] += [where] * j
            if not is_export(src): continue
            if (d := definitions(src)) > 1: found['multi_definition_cells'].append(f"{where}: {d} definitions")
            found['undocumented'] += [f"{where}: {f}" for f in undocumented(src)]
    return found

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    found = stats(Path(args[0] if args else Path(__file__).resolve().parent.parent/'nbs'))
    for k, v in found.items():
        print(f"{k}: {len(v)}")
        if '--list' in sys.argv:
            for w in v: print(f"  {w}")
