"""The ``mlrank-keras`` command: ``mlrank-keras demo [options]`` runs the main job;
``train``, ``evaluate`` and ``predict`` make and use a tagger of your own images
(:mod:`mlrank_keras.tag_commands`). ``mlrank-keras COMMAND --help`` lists a command's options.

>>> main(["--help"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
SystemExit: 0
"""

import argparse
import sys

COMMANDS = {
    "demo": "train the papers' losses on GlyphTags and print the papers' table",
    "train": "train a tagger on a folder of images and a tag file (csv, tsv, jsonl)",
    "evaluate": "the papers' table of a trained tagger on a labelled folder",
    "predict": "tags for image files or folders, by name, with scores",
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="mlrank-keras",
        description="mlrank_keras: multilabel image annotation by ranking, for Keras 3.",
        epilog="; ".join(f"{name}: {text}" for name, text in COMMANDS.items()),
    )
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("options", nargs=argparse.REMAINDER, help="the command's options")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        raise SystemExit(0)
    args = parser.parse_args(argv[:1])
    if args.command == "demo":
        from mlrank_keras import demo

        demo.main(argv[1:])
    else:
        from mlrank_keras.tag_commands import COMMANDS as RUN

        RUN[args.command](argv[1:])


if __name__ == "__main__":
    main()
