"""Reading ``compose.yaml``, ``.env.example`` and the ``Dockerfile`` the way Docker does,
so ``integration/test_compose.py`` can run what they describe as local processes.

Only the forms these three files use are understood, and anything else is an
error rather than a guess: ``.env`` lines are plain ``NAME=value``; compose
interpolation knows ``$$``, ``${NAME}``, ``${NAME:-default}`` and
``${NAME:?message}``; the Dockerfile's final stage has one variable per ``ENV``
line and its ``CMD`` in exec (JSON) form.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_ENV_LINE = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>[^\"'$]*)")
_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}"
)


class ComposeError(ValueError):
    """A file uses a form this module does not read, or a required variable is unset."""


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an ``.env`` file: ``NAME=value`` lines, ``#`` comments, blanks.

    Quotes, ``$`` and inline comments are refused: compose would transform
    them, and an example operators copy should mean exactly what it says."""
    variables: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if match is None or " #" in line:
            raise ComposeError(f"{path.name}:{number}: not a plain NAME=value line: {line!r}")
        variables[match["name"]] = match["value"].strip()
    return variables


def required_variables(text: str) -> set[str]:
    """Names that ``text`` requires with ``${NAME:?message}``."""
    return {m["name"] for m in _VARIABLE.finditer(text) if m["op"] == ":?"}


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """``value`` (a YAML tree) with compose's interpolation applied to every string."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda match: _substitute(match, variables), value)
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    return value


def _substitute(match: re.Match[str], variables: dict[str, str]) -> str:
    if match.group(0) == "$$":
        return "$"
    name, op, arg = match["name"], match["op"], match["arg"]
    value = variables.get(name, "")
    if op == ":?" and not value:
        raise ComposeError(f"{name} is required: {arg}")
    if op == ":-" and not value:
        return str(arg)
    return value


@dataclass(frozen=True)
class Compose:
    """``compose.yaml`` after interpolation with ``variables`` (what ``.env`` holds)."""

    path: Path
    variables: dict[str, str]
    services: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        text = self.path.read_text()
        unknown = {m.group(0) for m in re.finditer(r"\$(?!\$|\{)\w*", text.replace("$$", ""))}
        if unknown:
            raise ComposeError(f"unbraced variables are not read here: {sorted(unknown)}")
        tree = interpolate(yaml.safe_load(text), self.variables)
        object.__setattr__(self, "services", tree["services"])

    def command(self, service: str) -> list[str]:
        command = self.services[service]["command"]
        if not isinstance(command, list):
            raise ComposeError(f"{service}: command must be a list (exec form)")
        return [str(part) for part in command]

    def entrypoint(self, service: str) -> list[str]:
        return [str(part) for part in self.services[service].get("entrypoint", [])]

    def healthcheck(self, service: str) -> list[str]:
        """The health check as an argv: ``CMD`` runs as is, ``CMD-SHELL`` through ``sh -c``."""
        kind, *rest = self.services[service]["healthcheck"]["test"]
        if kind == "CMD":
            return [str(part) for part in rest]
        if kind == "CMD-SHELL" and len(rest) == 1:
            return ["/bin/sh", "-c", str(rest[0])]
        raise ComposeError(f"{service}: unsupported healthcheck {kind}")

    def environment(self, service: str) -> dict[str, str]:
        """What the service's processes get: its ``env_file`` (``.env``, already read into
        :attr:`variables`), overridden by its ``environment`` mapping."""
        spec = self.services[service]
        env: dict[str, str] = {}
        if spec.get("env_file"):
            if spec["env_file"] != ".env":
                raise ComposeError(f"{service}: only env_file: .env is read here")
            env.update(self.variables)
        environment = spec.get("environment", {})
        if not isinstance(environment, dict):
            raise ComposeError(f"{service}: environment must be a mapping")
        env.update({name: str(value) for name, value in environment.items()})
        return env


@dataclass(frozen=True)
class ImageStage:
    """The final stage of a Dockerfile: what a container of the image starts with."""

    env: dict[str, str]
    workdir: str
    user: str
    cmd: list[str]
    runs: list[str]


def _instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, with continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue  # also inside a continued instruction, as Docker reads it
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage(dockerfile: Path) -> ImageStage:
    """The ``ENV``, ``WORKDIR``, ``USER``, ``CMD`` and ``RUN`` lines after the last ``FROM``."""
    instructions = _instructions(dockerfile.read_text())
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    env: dict[str, str] = {}
    workdir, user, cmd, runs = "/", "root", [], []
    for keyword, arguments in instructions[last_from + 1:]:
        if keyword == "ENV":
            name, equals, value = arguments.partition("=")
            if not equals or " " in value:
                raise ComposeError(f"ENV {arguments}: write one NAME=value per ENV line")
            env[name] = value
        elif keyword == "WORKDIR":
            workdir = arguments
        elif keyword == "USER":
            user = arguments
        elif keyword == "CMD":
            cmd = json.loads(arguments)
        elif keyword == "RUN":
            runs.append(arguments)
    return ImageStage(env=env, workdir=workdir, user=user, cmd=cmd, runs=runs)


def split_run(run: str) -> tuple[dict[str, str], list[str]]:
    """A ``RUN`` line of the form ``NAME=value ... command args`` as (assignments, argv)."""
    words = shlex.split(run)
    assignments: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words
