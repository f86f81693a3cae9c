"""Write the generated parts of docs/indicators.md from the indicator registry:

python -m tools.write_indicators          # rewrite the file
python -m tools.write_indicators --check  # exit 1 when the file is stale (CI)
"""

from __future__ import annotations

import sys

from pmhc.present import indicator_docs


def main(argv: list[str]) -> int:
    if "--check" in argv:
        text = indicator_docs.DOC.read_text(encoding="utf-8")
        if indicator_docs.render(text) != text:
            print(
                "error: docs/indicators.md is stale; run 'python -m tools.write_indicators'.",
                file=sys.stderr,
            )
            return 1
        return 0
    changed = indicator_docs.write()
    print("docs/indicators.md " + ("written." if changed else "is up to date."))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
