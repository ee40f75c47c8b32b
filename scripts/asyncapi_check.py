"""Checks web/asyncapi.json (scripts/contract.sh runs it with .venv/'s Python).

    asyncapi_check.py SCHEMA DOCUMENT

SCHEMA is the AsyncAPI project's own JSON Schema of AsyncAPI 3.0.0 (from @asyncapi/specs).
Beyond it, what a JSON Schema cannot say: every local $ref resolves, every message is a frame
whose payload names its `type` as a constant, and each operation's messages are its channel's.
"""

import json
import sys

import jsonschema


def refs(value, at):
    """Every `$ref` in value, with where it was found."""
    if isinstance(value, dict):
        for name, inner in value.items():
            if name == "$ref" and isinstance(inner, str):
                yield at, inner
            yield from refs(inner, f"{at}/{name}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from refs(inner, f"{at}/{index}")


def resolve(document, reference):
    value = document
    for part in reference.removeprefix("#/").split("/"):
        value = value[part.replace("~1", "/").replace("~0", "~")]
    return value


def main(schema_path, document_path):
    with open(schema_path, encoding="utf-8") as file:
        schema = json.load(file)
    with open(document_path, encoding="utf-8") as file:
        document = json.load(file)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(document)
    ]
    for at, reference in refs(document, "#"):
        try:
            resolve(document, reference)
        except (KeyError, IndexError, TypeError):
            problems.append(f"{at}: $ref {reference} does not resolve")
    for name, message in document.get("components", {}).get("messages", {}).items():
        frame_type = message.get("payload", {}).get("properties", {}).get("type", {}).get("const")
        if not isinstance(frame_type, str):
            problems.append(f"components/messages/{name}: its payload has no constant `type`")
    for name, operation in document.get("operations", {}).items():
        channel = operation.get("channel", {}).get("$ref", "")
        for message in operation.get("messages", []):
            if not message.get("$ref", "").startswith(f"{channel}/messages/"):
                problems.append(f"operations/{name}: {message} is not a message of {channel}")
    if problems:
        sys.exit(f"{document_path}:\n  " + "\n  ".join(problems))
    print(f"{document_path}: OK")


if __name__ == "__main__":
    main(*sys.argv[1:])
