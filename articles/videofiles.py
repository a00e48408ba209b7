"""Upload checks for the library's videos: an MP4 whose video is H.264 or a WebM, told apart by
what the file holds, never by its name.

- MP4 (ISO base media): the file starts with an `ftyp` box whose brands name an MP4 (isom,
  iso2…, mp41, mp42, avc1, dash, M4V); its `moov` box (at the start or the end) has a video track
  whose sample entry is `avc1`/`avc3` (H.264), which every browser plays. A QuickTime file (brand
  `qt  `, what phones write as .MOV) or HEVC video (`hvc1`/`hev1`) is refused with a message that
  says to export as MP4 (H.264): nothing is converted here.
- WebM: the file starts with an EBML header whose DocType is "webm", and a track is VP8, VP9 or
  AV1.

The boxes and elements are read with bounded reads (a header at a time, the `moov` box up to
MOOV_MAX_BYTES), so a 500 MB upload is never read into memory; a size that points past the end
of the file is refused as damaged. Accepted files are renamed with the extension of what they
hold, which is what nginx and the object store take their content type from.
"""

import struct
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath
from typing import IO

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.forms import Script
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MOOV_MAX_BYTES = 64 * 1024 * 1024  # an index that large would describe days of video
WEBM_HEAD_BYTES = 4 * 1024 * 1024  # where a WebM's Info and Tracks are, ahead of the clusters
MAX_BOXES = 10_000
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"dash",
    b"M4V ",
    b"mmp4",
    b"msnv",
}
H264 = {b"avc1", b"avc3"}
HEVC = {b"hvc1", b"hev1", b"dvh1", b"dvhe"}
WEBM_CODECS = {"V_VP8", "V_VP9", "V_AV1"}

EXPORT_AS_MP4 = _(
    "This video is a QuickTime (.MOV) or HEVC (H.265) file, as phones record. Export it as MP4 "
    "(H.264) — on an iPhone choose “Most Compatible” under Settings › Camera › Formats, or "
    "export from any video editor — and upload it again."
)
NOT_A_VIDEO = _("This file is not an MP4 (H.264) or WebM video. Upload an MP4 or a WebM file.")
DAMAGED = _("This video file is damaged or incomplete (%(detail)s). Export it again and upload it.")


@dataclass
class VideoFacts:
    extension: str
    content_type: str
    width: int | None = None
    height: int | None = None
    duration: timedelta | None = None


def _damaged(detail) -> ValidationError:
    return ValidationError(DAMAGED, code="damaged", params={"detail": detail})


def _past_end(kind: bytes):
    return _("the “%(box)s” box runs past the end of the file") % {"box": kind.decode("latin-1")}


def _size(upload: IO[bytes]) -> int:
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    return size


# --- MP4 ---------------------------------------------------------------------------------------


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """The (type, payload start, payload end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    position = start
    for _count in range(MAX_BOXES):
        if position >= end:
            return
        if end - position < 8:
            raise _damaged(_("a box is cut short"))
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1:
            if end - position < 16:
                raise _damaged(_("a box is cut short"))
            size = struct.unpack(">Q", data[position + 8 : position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise _damaged(_past_end(kind))
        yield kind, position + header, position + size
        position += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload, stop in _boxes(data, start, end):
        if found == kind:
            return payload, stop
    return None


def _top_level(upload: IO[bytes], length: int):
    """The (type, payload offset, box end) of each top-level box, reading only their headers."""
    position = 0
    for _count in range(MAX_BOXES):
        if position >= length:
            return
        upload.seek(position)
        head = upload.read(16)
        if len(head) < 8:
            raise _damaged(_("a box is cut short"))
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:
            if len(head) < 16:
                raise _damaged(_("a box is cut short"))
            size = struct.unpack(">Q", head[8:16])[0]
            header = 16
        elif size == 0:
            size = length - position
        if size < header or position + size > length:
            raise _damaged(_past_end(kind))
        yield kind, position + header, position + size
        position += size


def _mp4(upload: IO[bytes], length: int) -> VideoFacts:
    moov = None
    for index, (kind, payload, end) in enumerate(_top_level(upload, length)):
        if index == 0:
            if kind != b"ftyp" or end - payload < 8:
                raise ValidationError(NOT_A_VIDEO, code="not_video")
            upload.seek(payload)
            brands_data = upload.read(min(end - payload, 1024))
            major = brands_data[:4]
            brands = {major} | {brands_data[i : i + 4] for i in range(8, len(brands_data) - 3, 4)}
            if major == b"qt  ":
                raise ValidationError(EXPORT_AS_MP4, code="export_as_mp4")
            if not brands & MP4_BRANDS:
                raise ValidationError(NOT_A_VIDEO, code="not_video")
        elif kind == b"moov":
            if end - payload > MOOV_MAX_BYTES:
                raise _damaged(_("its index is larger than any video needs"))
            upload.seek(payload)
            moov = upload.read(end - payload)
            break
    if moov is None:
        raise _damaged(_("it has no index (“moov” box)"))
    return _moov_facts(moov)


def _moov_facts(moov: bytes) -> VideoFacts:
    facts = VideoFacts(".mp4", "video/mp4")
    codecs: list[bytes] = []
    for kind, payload, end in _boxes(moov):
        if kind == b"mvhd" and end - payload >= 20:
            if moov[payload] == 1 and end - payload >= 32:
                timescale, duration = struct.unpack(">IQ", moov[payload + 20 : payload + 32])
            else:
                timescale, duration = struct.unpack(">II", moov[payload + 12 : payload + 20])
            if timescale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
                facts.duration = timedelta(seconds=round(duration / timescale, 3))
        elif kind == b"trak":
            codec, size = _video_track(moov, payload, end)
            if codec is not None:
                codecs.append(codec)
                if size and facts.width is None:
                    facts.width, facts.height = size
    if any(codec in HEVC for codec in codecs):
        raise ValidationError(EXPORT_AS_MP4, code="export_as_mp4")
    if not codecs:
        raise ValidationError(
            _("This MP4 file has no video track. Upload a video exported as MP4 (H.264)."),
            code="no_video",
        )
    if not any(codec in H264 for codec in codecs):
        raise ValidationError(
            _(
                "This MP4's video is coded as “%(codec)s”, which not every browser plays. "
                "Export it as MP4 (H.264) and upload it again."
            ),
            code="codec",
            params={"codec": codecs[0].decode("latin-1").strip()},
        )
    return facts


def _video_track(moov: bytes, start: int, end: int):
    """The sample entry type of a video track and its display size; (None, None) otherwise."""
    size = None
    tkhd = _child(moov, start, end, b"tkhd")
    if tkhd is not None:
        offset = tkhd[0] + (88 if moov[tkhd[0]] == 1 else 76)
        if offset + 8 <= tkhd[1]:
            width, height = struct.unpack(">II", moov[offset : offset + 8])
            if width >> 16 and height >> 16:
                size = (width >> 16, height >> 16)
    mdia = _child(moov, start, end, b"mdia")
    if mdia is None:
        return None, None
    hdlr = _child(moov, *mdia, b"hdlr")
    if hdlr is None or moov[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
        return None, None
    stsd = None
    if (minf := _child(moov, *mdia, b"minf")) and (stbl := _child(moov, *minf, b"stbl")):
        stsd = _child(moov, *stbl, b"stsd")
    if stsd is None or stsd[1] - stsd[0] < 16:
        raise _damaged(_("its video track has no sample description"))
    for kind, payload, stop in _boxes(moov, stsd[0] + 8, stsd[1]):
        if size is None and stop - payload >= 28:
            size = struct.unpack(">HH", moov[payload + 24 : payload + 28])
        return kind, size
    raise _damaged(_("its video track has no sample description"))


# --- WebM --------------------------------------------------------------------------------------

EBML = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
DURATION = 0x4489
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
CODEC_ID = 0x86
VIDEO = 0xE0
PIXEL_WIDTH = 0xB0
PIXEL_HEIGHT = 0xBA
CLUSTER = 0x1F43B675


def _vint(data: bytes, position: int, keep_marker: bool) -> tuple[int, int, bool]:
    """A variable-length integer at `position`: (value, next position, unknown size)."""
    if position >= len(data):
        raise _damaged(_("an element is cut short"))
    first = data[position]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or position + length > len(data):
        raise _damaged(_("an element is cut short"))
    value = int.from_bytes(data[position : position + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, position + length, unknown


def _elements(data: bytes, start: int, end: int):
    """The (id, payload start, payload end) of each element in data[start:end]; an element of
    unknown size (or one cut off by the bounded read) runs to `end`."""
    position = start
    for _count in range(MAX_BOXES):
        if position >= end:
            return
        ident, position, _unknown = _vint(data, position, keep_marker=True)
        size, position, unknown = _vint(data, position, keep_marker=False)
        stop = end if unknown else min(position + size, end)
        yield ident, position, stop
        position = stop


def _webm(upload: IO[bytes], length: int) -> VideoFacts:
    data = upload.read(WEBM_HEAD_BYTES)
    header = next(_elements(data, 0, len(data)))
    ident, start, end = header
    declared, _position, _unknown = _vint(data, 4, keep_marker=False)
    if ident != EBML or start + declared > len(data):
        raise _damaged(_("its header is cut short"))
    doc_type = ""
    for child, payload, stop in _elements(data, start, end):
        if child == DOC_TYPE:
            doc_type = data[payload:stop].rstrip(b"\0").decode("ascii", "replace")
    if doc_type != "webm":
        raise ValidationError(NOT_A_VIDEO, code="not_video")
    facts = VideoFacts(".webm", "video/webm")
    codecs: list[str] = []
    for ident, payload, stop in _elements(data, end, len(data)):
        if ident != SEGMENT:
            continue
        scale, seconds = 1_000_000, None
        for child, start, finish in _elements(data, payload, stop):
            if child == CLUSTER:
                break
            if child == INFO:
                for item, a, b in _elements(data, start, finish):
                    if item == TIMECODE_SCALE:
                        scale = int.from_bytes(data[a:b], "big") or scale
                    elif item == DURATION and b - a in (4, 8):
                        seconds = struct.unpack(">f" if b - a == 4 else ">d", data[a:b])[0]
            elif child == TRACKS:
                for entry, a, b in _elements(data, start, finish):
                    if entry != TRACK_ENTRY:
                        continue
                    fields = {item: (c, d) for item, c, d in _elements(data, a, b)}
                    if VIDEO not in fields or CODEC_ID not in fields:
                        continue
                    codec = data[slice(*fields[CODEC_ID])].rstrip(b"\0").decode("ascii", "replace")
                    codecs.append(codec)
                    video = {item: data[c:d] for item, c, d in _elements(data, *fields[VIDEO])}
                    if PIXEL_WIDTH in video and PIXEL_HEIGHT in video and facts.width is None:
                        facts.width = int.from_bytes(video[PIXEL_WIDTH], "big") or None
                        facts.height = int.from_bytes(video[PIXEL_HEIGHT], "big") or None
        if seconds and seconds > 0:
            facts.duration = timedelta(seconds=round(seconds * scale / 1e9, 3))
        break
    if not codecs:
        raise _damaged(_("no video track was found at its start"))
    if not any(codec in WEBM_CODECS for codec in codecs):
        raise ValidationError(
            _("This WebM's video is coded as “%(codec)s”. Export it as MP4 (H.264) or WebM (VP9)."),
            code="codec",
            params={"codec": codecs[0]},
        )
    return facts


# --- The check and the form field ---------------------------------------------------------------


def check_video(upload) -> VideoFacts:
    """What an uploaded video holds; ValidationError, saying why, if it is not one we serve."""
    if upload.size > settings.VIDEO_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; videos may be at most %(limit)s."),
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.VIDEO_MAX_BYTES),
            },
        )
    length = _size(upload)
    start = upload.read(12)
    upload.seek(0)
    try:
        if len(start) >= 8 and start[4:8] == b"ftyp":
            return _mp4(upload, length)
        if start[:4] == EBML.to_bytes(4, "big"):
            return _webm(upload, length)
        if len(start) >= 8 and start[4:8] in {b"moov", b"mdat", b"wide", b"free"}:
            # An old QuickTime file starts straight with its boxes, without a type.
            raise ValidationError(EXPORT_AS_MP4, code="export_as_mp4")
        raise ValidationError(NOT_A_VIDEO, code="not_video")
    finally:
        upload.seek(0)


class VideoUploadWidget(AdminFileWidget):
    """The admin's file input with the video limit, checked before sending
    (static/js/upload-size-limit.js)."""

    class Media:
        js = [Script("js/upload-size-limit.js", type="module")]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"] |= {
            "accept": "video/mp4,video/webm",
            "data-max-bytes": settings.VIDEO_MAX_BYTES,
            "data-too-large": gettext(
                "This file is larger than %(limit)s, the most a video may be. Nothing was "
                "sent: export a shorter or smaller video and choose it again."
            )
            % {"limit": filesizeformat(settings.VIDEO_MAX_BYTES)},
        }
        return context


class VideoUploadField(forms.FileField):
    """A file field that accepts only what check_video does, named for what it holds."""

    widget = VideoUploadWidget

    def __init__(self, *, widget=None, **kwargs):
        if widget is None or widget in (AdminFileWidget, forms.ClearableFileInput):
            widget = VideoUploadWidget
        super().__init__(widget=widget, **kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        facts = check_video(upload)
        stem = get_valid_filename(PurePath(upload.name or "").stem) or "video"
        upload.name = f"{stem[:80]}{facts.extension}"
        upload.content_type = facts.content_type
        upload.video_facts = facts
        return upload
