"""The wire desk: agency copy read from files and feeds, kept version by version, used as stories.

Modules: `models` (sources, items and every version received), `parsers` (ninjs 1.x/2.x,
NewsML-G2, RSS and Atom, with format detection and hostile-XML refusal), `ingest` (storing a
document item by item: new, updated, unchanged, killed or refused), `polling` (drop folders and
HTTP(S) feeds, with an overall deadline), `stories` (an item made into a draft, its updates
applied, its embargo kept), `admin` (the desk) and `api` (our stories out as ninjs 2.x).
"""
