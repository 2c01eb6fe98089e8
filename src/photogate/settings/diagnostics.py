"""What is wrong with the settings, said by variable: bad values, bad JSON and misspelled names."""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

PREFIX = "PHOTOGATE_"
# Variables of photogate's own test harness (scripts/test.sh), not of the settings.
_NOT_SETTINGS = ("PHOTOGATE_TEST_",)
# pydantic-settings names the field, not the variable: 'error parsing value for field "console"'.
_FIELD = re.compile(r'field "(\w+)"')
_JSON_TYPES = (list, dict, set, frozenset, tuple)

log = logging.getLogger(__name__)


def variables(model: type[BaseModel], prefix: str = PREFIX) -> dict[str, Any]:
    """Every variable `model` reads, a group's own (JSON for the whole group) and its fields',
    each with the annotation of the field it sets.
    """
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        variable, annotation = prefix + name.upper(), field.annotation
        found[variable] = annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= variables(annotation, variable + "__")
    return found


def describe_validation(exc: ValidationError) -> str:
    """Each refused value as `VARIABLE: what is wrong`; checks across settings name their own."""
    lines = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        loc = [str(part) for part in err["loc"]]
        if not loc:  # a check across settings: its message names the variables itself
            lines.append(message)
            continue
        lines.append(f"{PREFIX}{'__'.join(loc).upper()}: {message}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def describe_settings_error(
    exc: SettingsError, known: Mapping[str, Any], environ: Mapping[str, str]
) -> str:
    """A value pydantic-settings could not decode (JSON for lists and maps) by the variable that
    holds it, when the environment shows which; never the value itself (it may be a secret).
    """
    group = _FIELD.search(str(exc))
    cause = exc.__cause__ or exc.__context__
    why = f"not valid JSON ({cause})" if isinstance(cause, json.JSONDecodeError) else str(exc)
    if group is None:
        return f"invalid settings: {why}"
    names = list(_undecodable(PREFIX + group.group(1).upper(), known, environ))
    named = " or ".join(names) or f"{PREFIX}{group.group(1).upper()} (or one of its variables)"
    return f"invalid settings:\n  {named}: {why}"


def warn_unknown(known: Mapping[str, Any], environ: Mapping[str, str]) -> list[str]:
    """Log one warning per PHOTOGATE_ variable no setting reads (a typo is otherwise silently
    ignored), naming the closest known one; returns the unknown names.
    """
    unknown = sorted(name for name in environ if _is_unknown(name.upper(), known))
    for name in unknown:
        log.warning("%s is not a photogate setting and is ignored%s", name, _hint(name, known))
    return unknown


def _is_group(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_json(annotation: Any) -> bool:
    """True if pydantic-settings decodes the variable as JSON (lists, maps, whole groups)."""
    return _is_group(annotation) or (get_origin(annotation) or annotation) in _JSON_TYPES


def _undecodable(group: str, known: Mapping[str, Any], environ: Mapping[str, str]) -> Iterator[str]:
    for name in sorted(environ):
        variable = name.upper()
        if variable != group and not variable.startswith(group + "__"):
            continue
        if _is_json(known.get(variable)) and not _decodes(environ[name]):
            yield name


def _decodes(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _is_unknown(variable: str, known: Mapping[str, Any]) -> bool:
    if not variable.startswith(PREFIX) or variable.startswith(_NOT_SETTINGS):
        return False
    if variable in known:
        return False
    # A map's entries may be set one by one: PHOTOGATE_SCANNER__FAIL_THRESHOLDS__WEAPONS.
    return not any(
        variable.startswith(name + "__") and not _is_group(annotation)
        for name, annotation in known.items()
    )


def _hint(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
