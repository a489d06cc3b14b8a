"""Write the data dictionary, docs/data-dictionary.html and docs/data-dictionary.csv.

    .venv/bin/python scripts/data_dictionary.py
    .venv/bin/python scripts/data_dictionary.py --root /path/to/project --out /tmp/dictionary

Generated from config/contract.yaml, schemas/sdtm.py, schemas/adam.py and the derivations of
src/inoflow/adam/ (inoflow.dictionary); tests/test_dictionary.py fails when the committed files
are out of date, so rerun this after changing any of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inoflow.dictionary import write_dictionary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder (default: here)")
    parser.add_argument("--out", type=Path, help="where to write (default: <root>/docs)")
    args = parser.parse_args(argv)
    for path in write_dictionary(args.root, args.out):
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
