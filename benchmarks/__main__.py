"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (default: all)."""
import importlib
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> None:
    found = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    for name in names or found:
        if name not in found:
            sys.exit(f"no benchmark {name!r}; available: {', '.join(found)}")
        print(f"\n## {name}\n", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
