"""Render the README's "Measured results" section from the files in bench/results/.

Every bench script that defines `readme_section(results_dir) -> str` (and `ORDER`, a number that places its section)
contributes one part; the text between `<!-- results:start -->` and `<!-- results:end -->` in README.md is replaced
by their concatenation. Nothing in that section is typed by hand.

    python bench/report.py           # rewrite the README section
    python bench/report.py --check   # exit 1 if README.md differs from what the results files give (CI runs this)
"""
import argparse, difflib, importlib.util, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = '<!-- results:start -->', '<!-- results:end -->'

def bench_modules():
    "The bench scripts that render a README section, in their ORDER."
    mods = []
    for path in sorted((ROOT/'bench').glob('*.py')):
        if path.name in ('report.py',) or path.name.startswith('_'): continue
        text = path.read_text()
        if 'def readme_section' not in text: continue
        spec = importlib.util.spec_from_file_location(f'_bench_{path.stem}', path)
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        mods.append(mod)
    return sorted(mods, key=lambda m: getattr(m, 'ORDER', 100))

def render() -> str:
    results = ROOT/'bench'/'results'
    parts = [m.readme_section(results).strip() for m in bench_modules()]
    return '\n\n'.join(p for p in parts if p)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true', help='exit 1 if README.md is not what the results files give')
    args = ap.parse_args(argv)
    readme = ROOT/'README.md'
    text = readme.read_text()
    if START not in text or END not in text: sys.exit(f'README.md has no {START} ... {END} markers')
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f'{head}{START}\n{render()}\n{END}{tail}'
    if args.check:
        if new != text:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), 'README.md', 'rendered'))
            sys.exit('README.md differs from bench/results: run python bench/report.py and commit')
        print('README results section matches bench/results'); return
    if new != text: readme.write_text(new); print('README.md updated')
    else: print('README.md already up to date')

if __name__ == '__main__': main()
