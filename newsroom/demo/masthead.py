"""The demo site's sections, staff and the tags they file under, from `data/masthead.json`."""

from .datafiles import load

_masthead = load("masthead")

# (name, slug, description); the list order is the position.
SECTIONS: list[tuple[str, str, str]] = [
    (section["name"], section["slug"], section["description"]) for section in _masthead["sections"]
]

# (name, job title, beat sections, bio)
AUTHORS: list[tuple[str, str, list[str], str]] = [
    (author["name"], author["job_title"], author["beats"], author["bio"])
    for author in _masthead["authors"]
]

# The only bylines on the opinion section: staff who write a column, never a reporter or an agency.
COLUMNISTS: list[str] = [
    author["name"] for author in _masthead["authors"] if author.get("columnist")
]

SECTION_TAGS: dict[str, list[str]] = {
    section["slug"]: section["tags"] for section in _masthead["sections"]
}
COMMON_TAGS: list[str] = _masthead["common_tags"]

# Credited on the pictures the newsroom took itself.
PHOTOGRAPHERS: list[str] = _masthead["photographers"]
