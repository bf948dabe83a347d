"""Refresh the vendored OpenAI API description that the fake service is checked against.

    python tests/fakes/specs/refresh_openai.py SOURCE

SOURCE is a path or an https URL of OpenAI's full description (OpenAPI 3.1 YAML, published at
https://github.com/openai/openai-openapi and as the "documented" spec of the openai-python SDK).
The copy kept here holds only the operations the fakes serve (``PREFIXES``) and every component
they reference, so the project stays small and never reads a file outside its own tree. The
header of ``openai-openapi.yaml`` says where it came from, its version and the date it was taken.
"""

from __future__ import annotations

import datetime
import sys
import urllib.request
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TARGET = HERE / "openai-openapi.yaml"
# The operations the fake OpenAI/Azure service answers (tests/fakes/openai_routes.py).
PREFIXES = ("/models", "/files", "/uploads", "/fine_tuning/jobs", "/chat/completions")
ALWAYS = ("ErrorResponse", "Error")  # errors are documented once, not per operation


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def trim(spec: dict) -> dict:
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith(PREFIXES)}
    components = spec.get("components", {})
    wanted: set[str] = {f"#/components/schemas/{name}" for name in ALWAYS}
    _refs(paths, wanted)
    done: set[str] = set()
    while wanted - done:
        ref = sorted(wanted - done)[0]
        done.add(ref)
        _, _, section, name = ref.split("/", 3)
        _refs(components.get(section, {}).get(name), wanted)
    kept: dict = {}
    for ref in sorted(done):
        _, _, section, name = ref.split("/", 3)
        if name in components.get(section, {}):
            kept.setdefault(section, {})[name] = components[section][name]
    if "securitySchemes" in components:
        kept["securitySchemes"] = components["securitySchemes"]
    out = {key: spec[key] for key in ("openapi", "info", "servers", "security") if key in spec}
    out["paths"] = paths
    out["components"] = kept
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = argv[0]
    if source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310 (a URL the user gives)
            text = response.read().decode("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(text, Loader=loader)
    trimmed = trim(spec)
    header = (
        "# OpenAI API description, trimmed to the operations the project's fakes serve.\n"
        f"# Source: {source if source.startswith('https://') else 'https://github.com/openai/openai-openapi'}"
        f" (OpenAPI {spec.get('openapi')}, API version {spec['info'].get('version')})\n"
        f"# Taken: {datetime.date.today().isoformat()} by tests/fakes/specs/refresh_openai.py; do not edit by hand.\n"
    )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    TARGET.write_text(header + yaml.dump(trimmed, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120),
                      encoding="utf-8")
    print(f"wrote {TARGET} ({len(trimmed['paths'])} paths, "
          f"{sum(len(v) for v in trimmed['components'].values())} components)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
