"""The credentials file Rasa runs with: ``bot/credentials.yml`` minus the channels that are not set up.

Rasa expands ``${VAR}`` in its credentials file and refuses to start when a
variable is unset, so the messaging channels (whose tokens come from the
environment) cannot sit in that file as they are. The launcher
(``scripts/stack.py``) and the integration tests therefore hand Rasa the file
this module writes, with every entry whose required variables are unset dropped:

* ``${VAR}`` — required: the entry is on only when ``VAR`` is set (non-empty).
* ``${VAR:-}`` / ``${VAR:-default}`` — optional: unset -> the key is left out
  (or gets ``default``); set -> ``${VAR}``.
* An entry with no variables (REST, Socket.IO, ...) is always on.
* An entry with some but not all of its required variables set is off, with a
  warning naming what is missing; so is one whose values are malformed (a
  Telegram token that is not ``<digits>:<secret>``, a non-HTTPS webhook URL).

The file keeps the ``${VAR}`` references (Rasa expands them from the same
environment), so no secret is written to disk, and nothing here logs a value.

    python -m channels.credentials [--src bot/credentials.yml] [--out .run/credentials.yml]

prints the path of the written file (status lines go to stderr), e.g. for
``rasa run --credentials "$(python -m channels.credentials)"``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT / "bot" / "credentials.yml"
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")

# Display names of entries whose class name does not say it plainly.
NAMES: Dict[str, str] = {}


def channel_name(key: str) -> str:
    """``channels.messaging.GuardedTelegramInput`` -> ``telegram``; ``rest`` -> ``rest``."""
    if key in NAMES:
        return NAMES[key]
    last = key.rsplit(".", 1)[-1]
    for pre in ("Guarded",):
        if last.startswith(pre) and len(last) > len(pre):
            last = last[len(pre) :]
    for suf in ("Input", "Channel"):
        if last.endswith(suf) and len(last) > len(suf):
            last = last[: -len(suf)]
    return {"SocketIO": "socketio", "Rest": "rest"}.get(last, last.lower())


def _is_set(env: Mapping[str, str], name: str) -> bool:
    return bool((env.get(name) or "").strip())


def _walk_strings(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk_strings(v)]
    return []


def variables(entry: Any) -> Tuple[List[str], List[str]]:
    """(required, optional) variable names used by one entry, in order of appearance."""
    required: List[str] = []
    optional: List[str] = []
    for s in _walk_strings(entry):
        for m in VAR.finditer(s):
            target = optional if m.group(2) is not None else required
            if m.group(1) not in target:
                target.append(m.group(1))
    return required, [o for o in optional if o not in required]


# Value checks per channel: key -> (check of the expanded value, what is wrong). Values are never printed.
def _telegram_token(v: str) -> bool:
    left, sep, right = v.partition(":")
    return bool(sep) and left.isdigit() and bool(right) and not any(c.isspace() for c in v)


CHECKS: Dict[str, Dict[str, Tuple[Callable[[str], bool], str]]] = {
    "telegram": {
        "access_token": (_telegram_token, "is not a bot token from @BotFather (<digits>:<secret>)"),
        "webhook_url": (lambda v: v.startswith("https://"), "must be a public https:// URL (Telegram refuses http)"),
    },
}


@dataclass
class ChannelState:
    """Whether one entry of the credentials file is on, and why."""

    key: str
    name: str
    on: bool
    required: List[str] = field(default_factory=list)
    optional: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def missing_required(self) -> List[str]:
        return [m for m in self.missing if m in self.required]

    @property
    def partial(self) -> bool:
        """Some but not all of the required variables are set (a mistake worth a warning)."""
        return 0 < len(self.missing_required) < len(self.required)

    def describe(self) -> str:
        """One line for the log; names variables, never values."""
        if not self.required and not self.optional:
            return f"channel {self.name}: on"
        opt_unset = [o for o in self.optional if o in self.missing]
        if self.on:
            line = f"channel {self.name}: ON" + (f" ({', '.join(self.required)} set)" if self.required else "")
            if opt_unset:
                line += f"; optional {', '.join(opt_unset)} unset"
            return line
        if self.problems:
            return f"channel {self.name}: OFF, misconfigured: " + "; ".join(self.problems)
        req_missing = self.missing_required
        if self.partial:
            have = [r for r in self.required if r not in req_missing]
            return (
                f"channel {self.name}: OFF, half configured: {', '.join(req_missing)} "
                f"{'is' if len(req_missing) == 1 else 'are'} unset ({', '.join(have)} "
                f"{'is' if len(have) == 1 else 'are'} set)"
            )
        return f"channel {self.name}: off (set {_and(self.required)} to turn it on)"


def _and(names: List[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _substitute(value: Any, env: Mapping[str, str]) -> Any:
    """Optional ``${VAR:-default}`` -> ``${VAR}`` (set) or the default (unset); ``_DROP`` for an unset,
    default-less optional value that is nothing but the variable."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            nv = _substitute(v, env)
            if nv is not _DROP:
                out[k] = nv
        return out
    if isinstance(value, list):
        return [v for v in (_substitute(x, env) for x in value) if v is not _DROP]
    if not isinstance(value, str):
        return value
    whole = VAR.fullmatch(value)
    if whole and whole.group(2) is not None and not _is_set(env, whole.group(1)) and not whole.group(3):
        return _DROP

    def repl(m: re.Match[str]) -> str:
        if m.group(2) is None or _is_set(env, m.group(1)):
            return "${" + m.group(1) + "}"
        return m.group(3) or ""

    return VAR.sub(repl, value)


_DROP = object()


def _expanded(value: str, env: Mapping[str, str]) -> str:
    return VAR.sub(lambda m: env.get(m.group(1)) or (m.group(3) or ""), value)


def assess(key: str, entry: Any, env: Mapping[str, str]) -> ChannelState:
    """Is one credentials entry on in ``env``?"""
    required, optional = variables(entry)
    missing = [v for v in required + optional if not _is_set(env, v)]
    state = ChannelState(key, channel_name(key), on=False, required=required, optional=optional, missing=missing)
    if state.missing_required:
        return state
    for cred, (ok, what) in CHECKS.get(state.name, {}).items():
        raw = entry.get(cred) if isinstance(entry, dict) else None
        if isinstance(raw, str) and not ok(_expanded(raw, env).strip()):
            names = [m.group(1) for m in VAR.finditer(raw)]
            state.problems.append(f"{' / '.join(names) or cred} {what}")
    state.on = not state.problems
    return state


def filter_credentials(
    creds: Mapping[str, Any], env: Optional[Mapping[str, str]] = None
) -> Tuple[Dict[str, Any], List[ChannelState]]:
    """(the entries that are on, with optional variables resolved; the state of every entry)."""
    env = os.environ if env is None else env
    out: Dict[str, Any] = {}
    states = []
    for key, entry in (creds or {}).items():
        state = assess(str(key), entry, env)
        states.append(state)
        if state.on:
            out[key] = _substitute(entry, env)
    return out, states


class _Loader(yaml.SafeLoader):
    """Plain YAML: ``${VAR}`` stays text (whatever resolvers other libraries registered)."""


class _Dumper(yaml.SafeDumper):
    """Writes ``${VAR}`` as a plain scalar, which is what Rasa expands."""


for _cls in (_Loader, _Dumper):
    _cls.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "!env_var"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_Loader)  # a SafeLoader subclass
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of channel -> credentials, got {type(data).__name__}")
    return data


def dump(data: Mapping[str, Any]) -> str:
    if not data:
        return "{}\n"
    text = yaml.dump(dict(data), Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True)
    # an entry without settings reads better as `key:` than `key: null`
    return re.sub(r": null$", ":", text, flags=re.M)


def write_effective(
    out: Path,
    src: Path = DEFAULT_SRC,
    env: Optional[Mapping[str, str]] = None,
    log: Optional[Callable[[str], None]] = None,
) -> Tuple[Path, List[ChannelState]]:
    """Write the credentials Rasa should use to ``out`` (a file, or a folder: ``<out>/credentials.yml``).

    Every channel's state goes to ``log`` when given, else to this module's logger
    (half configured or misconfigured channels at WARNING). Returns (path, states).
    """
    out = Path(out)
    if out.is_dir():
        out = out / "credentials.yml"
    data, states = filter_credentials(load(Path(src)), env)
    off = [s.name for s in states if not s.on]
    header = (
        f"# Written by channels.credentials from {src} — do not edit; edit that file instead.\n"
        f"# Channels on: {', '.join(s.name for s in states if s.on) or 'none'}."
        + (f" Off (variables unset or invalid): {', '.join(off)}." if off else "")
        + "\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(header + dump(data), encoding="utf-8")
    os.replace(tmp, out)
    for s in states:
        line = s.describe()
        if log is not None:
            log(line)
        elif s.problems or s.partial:
            logger.warning(line)
        else:
            logger.info(line)
    return out, states


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m channels.credentials", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--src", type=Path, default=DEFAULT_SRC, help="credentials with ${VARS} (default bot/credentials.yml)"
    )
    ap.add_argument("--out", type=Path, default=None, help="where to write (default $SHOPGUIDE_RUN_DIR or .run)")
    args = ap.parse_args(argv)
    from config import get_settings

    out = args.out or get_settings().dialogue.run_dir / "credentials.yml"
    path, _ = write_effective(out, args.src, log=lambda line: print(line, file=sys.stderr))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
