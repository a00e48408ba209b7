"""The admin's history lines in the site's language.

Django stores the changed fields of a log entry under their English labels ("Publish at") and
translates them when shown; our catalogs translate field names as their models spell them
("publish at"), so each label is looked up with a small first letter, then as written.
"""

import json

from django.contrib.admin.models import LogEntry
from django.utils.translation import gettext


def field_label(label: str) -> str:
    """A stored field label as our catalogs know it."""
    if not label:
        return label
    # The model's own spelling first: a capitalised msgid may be some other page's heading.
    lowered = label[0].lower() + label[1:]
    return lowered if gettext(lowered) != lowered else label


def change_message(entry: LogEntry) -> str:
    """The entry's message, as LogEntry.get_change_message(), with its field names translated."""
    try:
        parts = json.loads(str(entry.change_message or ""))
    except json.JSONDecodeError:
        return entry.get_change_message()
    if not isinstance(parts, list):
        return entry.get_change_message()
    for part in parts:
        changed = part.get("changed") if isinstance(part, dict) else None
        if isinstance(changed, dict) and isinstance(changed.get("fields"), list):
            changed["fields"] = [field_label(str(name)) for name in changed["fields"]]
    return LogEntry(change_message=json.dumps(parts)).get_change_message()
