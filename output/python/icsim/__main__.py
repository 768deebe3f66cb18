"""Command line: `python3 -m icsim report FILE.h5 [-o report.html]`, `python3 -m icsim info FILE.h5`
and `python3 -m icsim export FILE.h5 --csv DIR`. Errors are one line on stderr (exit code 2);
ICSIM_DEBUG=1 shows the traceback of an unexpected one."""

from __future__ import annotations

import argparse
import os
import sys

from . import files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m icsim", description="Read icsim outputs.")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="one self-contained HTML page about a run or sweep")
    report.add_argument("file", help="an icsim run or sweep file (HDF5)")
    report.add_argument("-o", "--output", help="HTML file to write (default: FILE with .html)")
    info = commands.add_parser("info", help="provenance and contents of a run or sweep")
    info.add_argument("file")
    export = commands.add_parser("export", help="one tidy CSV per group, for R and spreadsheets")
    export.add_argument("file")
    export.add_argument("--csv", required=True, metavar="DIR", help="directory to write the CSV files in")
    arguments = parser.parse_args(argv)
    try:
        return run(arguments)
    except BrokenPipeError:  # `python3 -m icsim info F | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (files.IcsimFileError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"icsim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("icsim: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - a command-line user gets one line, not a traceback
        if os.environ.get("ICSIM_DEBUG"):
            raise
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"icsim: {arguments.file}: {type(error).__name__}: {first} (ICSIM_DEBUG=1 shows where)",
              file=sys.stderr)
        return 2


def run(arguments) -> int:
    if arguments.command == "report":
        import matplotlib

        matplotlib.use("Agg")
        from . import report as reporting

        output = arguments.output or os.path.splitext(arguments.file)[0] + ".html"
        reporting.write(arguments.file, output)
        print(f"wrote {output}")
        return 0
    from . import open as open_file

    item = open_file(arguments.file)
    if arguments.command == "export":
        from . import export

        written = export.write_csv(item, arguments.csv)
        print(f"wrote {len(written)} CSV files to {arguments.csv}: "
              + ", ".join(os.path.basename(p) for p in written))
        return 0
    print(item)
    for key, value in item.provenance.items():
        print(f"  {key}: {value}")
    print(item.metrics().to_string())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
