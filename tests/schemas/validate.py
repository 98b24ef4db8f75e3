#!/usr/bin/python3
"""Validates JSONL files against the project's JSON Schemas (schemas/).

    validate.py --kind command FILE.jsonl
    validate.py --kind event FILE.jsonl
    validate.py --schema connectors/tmall.schema.json FILE.jsonl

Each non-blank line is one JSON object, checked against schemas/command.schema.json or
schemas/event.schema.json, or the schema --schema names (a path under schemas/ or any path;
for the connectors' payloads, schemas/connectors/) (which refer to the per-type schemas and common.schema.json by their
$id; every $id is mapped to its local file, nothing is fetched). Prints each failure as
"line N: PATH: message", then "N passed, M failed". Exit status: 0 when every line passed, 1 when
any failed, 2 when the schemas or the file cannot be read.

Needs the jsonschema module (Debian's python3-jsonschema, 4.10 or later).
"""

import argparse
import json
import pathlib
import sys

import jsonschema

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schemas"
UMBRELLA = {"command": "command.schema.json", "event": "event.schema.json"}


def load_schemas(root):
    """Every *.schema.json under root, by $id. Each is checked against the 2020-12 metaschema."""
    store = {}
    for path in sorted(root.rglob("*.schema.json")):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        schema_id = schema.get("$id")
        if not schema_id:
            raise ValueError(f"{path}: no $id")
        if schema_id in store:
            raise ValueError(f"{path}: $id {schema_id} is used twice")
        store[schema_id] = schema
    return store


def make_validator(root, kind, schema_path=None):
    store = load_schemas(root)
    path = root / UMBRELLA[kind] if schema_path is None else root / schema_path
    with open(path, encoding="utf-8") as f:
        umbrella = json.load(f)
    # jsonschema 4.18+ prefers the `referencing` library; Debian's 4.10 has only RefResolver.
    try:
        import referencing  # noqa: F401

        from referencing import Registry, Resource

        registry = Registry().with_resources(
            (uri, Resource.from_contents(schema)) for uri, schema in store.items()
        )
        return jsonschema.Draft202012Validator(
            umbrella,
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
    except ImportError:
        resolver = jsonschema.RefResolver(umbrella["$id"], umbrella, store=store)
        return jsonschema.Draft202012Validator(
            umbrella, resolver=resolver, format_checker=jsonschema.FormatChecker()
        )


def dotted(path):
    """deque(['items', 0, 'quantity']) -> 'items[0].quantity'; the top level is '(top)'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def leaf_errors(error):
    """The most specific errors under an if/then or $ref: the ones that name a field."""
    if error.context:
        for sub in error.context:
            yield from leaf_errors(sub)
    else:
        yield error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--kind", choices=sorted(UMBRELLA))
    which.add_argument("--schema", type=pathlib.Path,
                       help="validate against this schema instead (relative to --schemas)")
    parser.add_argument("--schemas", type=pathlib.Path, default=SCHEMAS,
                        help="the schemas folder (default: the repository's schemas/)")
    parser.add_argument("file", help="a JSONL file, or - for standard input")
    args = parser.parse_args(argv)

    try:
        validator = make_validator(args.schemas, args.kind, args.schema)
        if args.file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.file, encoding="utf-8") as f:
                lines = f.read().splitlines()
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    passed = failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            instance = json.loads(line)
        except json.JSONDecodeError as e:
            failed += 1
            print(f"line {number}: not JSON: {e}")
            continue
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        if not errors:
            passed += 1
            continue
        failed += 1
        seen = set()
        for error in errors:
            for leaf in leaf_errors(error):
                message = f"line {number}: {dotted(leaf.absolute_path)}: {leaf.message}"
                if message not in seen:
                    seen.add(message)
                    print(message)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
