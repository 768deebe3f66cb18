"""Command line: `python3 -m icsim report FILE.h5 -o report.html` and `python3 -m icsim info FILE.h5`."""

from __future__ import annotations

import argparse
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
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "report":
            import matplotlib

            matplotlib.use("Agg")
            from . import report as reporting

            output = arguments.output or arguments.file.rsplit(".", 1)[0] + ".html"
            reporting.write(arguments.file, output)
            print(f"wrote {output}")
        else:
            from . import open as open_file

            item = open_file(arguments.file)
            print(item)
            for key, value in item.provenance.items():
                print(f"  {key}: {value}")
            print(item.metrics().to_string())
    except (files.IcsimFileError, FileNotFoundError) as error:
        print(f"icsim: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
