"""Embeds that respect the reader: a pasted link to a known provider becomes a click-to-load box.

Modules: `providers` (the allowlist: which addresses we recognise, what each provider's
documented embed is, and the origins it needs in the Content-Security-Policy), `models` (what we
learnt of each embedded item, once, at save time), `oembed` (that fetch: title and a thumbnail
kept in our own storage), `render` (the placeholders in a story's body) and `admin`.
"""
