"""Addresses made from names: Latin letters with diacritics (Romanian's cedilla ş ţ and
comma-below ș ț alike, ă â î and the others) become plain ASCII, the same way for stories,
sections, authors and tags. The admin's slug boxes do it in the browser (js/admin-slug.js);
tags get theirs from taggit, with TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING."""

from django.utils.text import slugify
from unidecode import unidecode


def ascii_slug(text: str) -> str:
    """ "Ţara şi-a închis spaţiul aerian" -> "tara-si-a-inchis-spatiul-aerian"."""
    return slugify(unidecode(text))
