"""multipart/form-data bodies (audio transcriptions): the caller's bytes are read once, under the same body limit
as JSON, and forwarded unchanged; only the small text fields are kept, and the uploaded file is measured (size,
audio duration) and never stored. Werkzeug parses the copy of the file part into a spooled temporary file
(memory up to 500 KB, disk above), which mutagen reads for the duration and which is closed at once."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import IO, Any

import mutagen
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

log = logging.getLogger(__name__)

MIN_AUDIO_BYTES_PER_S = 750
"""6 kbit/s, below any codec's speech setting: a file whose duration cannot be read lasts at most
size / this many seconds (the admission bound)."""
_MAX_FIELD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """What the gateway knows about an uploaded file: never its content."""

    field: str
    filename: str
    size: int
    duration_ms: int | None
    """Read from the file's own headers; None: not an audio format mutagen knows, or unreadable."""

    @property
    def duration_bound_ms(self) -> int:
        """The duration if known, else the most the file can hold at the lowest bitrate."""
        return self.duration_ms if self.duration_ms is not None else -(-self.size * 1000 // MIN_AUDIO_BYTES_PER_S)


@dataclass(frozen=True, slots=True)
class FormRefused:
    """Why a body is not an upload Tollgate forwards (a domain value: the gateway maps it to OpenAI's shape)."""

    message: str
    param: str | None = None
    code: str = "invalid_multipart"
    status: int = 400


class FormBody(dict[str, Any]):
    """The text fields of a multipart body (what routing, budgets and adapters read), and its file."""

    upload: Upload | None = None
    content_type: str = ""
    """The caller's Content-Type with its boundary: the body is forwarded as it came, so it goes along."""


def parse_form(raw: bytes, content_type: str | None) -> FormBody | FormRefused:
    """The fields and the measured file of a multipart body, or why it is not one Tollgate forwards. A text
    field sent twice is refused (array fields, `name[]`, excepted), and so is a second file: Tollgate reads the
    first, a provider may read the last, so `model=whisper-1` then `model=<another>` would be checked against
    the key and priced as one model and served as the other."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        return FormRefused("The request must be multipart/form-data (with a boundary).")
    parser = MultiPartParser(max_form_memory_size=_MAX_FIELD_BYTES)
    try:
        fields, files = parser.parse(io.BytesIO(raw), boundary.encode("latin-1"), len(raw))
    except RequestEntityTooLarge:
        limit = f"{_MAX_FIELD_BYTES // 1024} KiB"
        return FormRefused(f"A text field of the form exceeds the limit of {limit}.", None, "request_too_large", 413)
    except ValueError as exc:
        return FormRefused(f"The multipart body could not be parsed ({exc}).")
    except Exception as exc:  # noqa: BLE001 - whatever else werkzeug raises on a malformed body
        return FormRefused(f"The multipart body could not be parsed ({type(exc).__name__}).")
    counts = [(name, len(values)) for name, values in fields.lists()]
    counts += [(name, len(values)) for name, values in files.lists()]
    for name, count in counts:
        if count > 1 and not name.endswith("[]"):
            for storage in files.values():
                storage.close()
            return FormRefused(f"The field '{name}' appears more than once.", name, "duplicate_field")
    if len(files) > 1:
        for storage in files.values():
            storage.close()
        return FormRefused("Send one file per request.", "file", "duplicate_field")
    body = FormBody((name, value) for name, value in fields.items(multi=False))
    body.content_type = content_type or ""
    for name, storage in files.items(multi=False):
        body.upload = _measure(name, storage)
        break
    for storage in files.values():
        storage.close()
    return body


def _measure(name: str, storage: FileStorage) -> Upload:
    stream: IO[bytes] = storage.stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return Upload(name, storage.filename or "", size, audio_duration_ms(stream))


def audio_duration_ms(stream: IO[bytes]) -> int | None:
    """The duration an audio file's headers state, in milliseconds; None when mutagen cannot tell."""
    try:
        found = mutagen.File(stream)
    except Exception:  # mutagen raises its own errors for damaged files; either way the length is unknown
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    if not isinstance(length, int | float) or length <= 0:
        return None
    return int(length * 1000 + 0.5)


def replace_field(raw: bytes, content_type: str, name: str, old: str, new: str) -> bytes | None:
    """The multipart body with text field `name` changed from `old` to `new` (a model alias resolved before the
    body is forwarded), every other byte as it came; None when the field is not there exactly once."""
    boundary = parse_options_header(content_type)[1].get("boundary", "").encode("latin-1")
    pattern = re.compile(
        rb'(content-disposition:\s*form-data;\s*name="'
        + re.escape(name.encode())
        + rb'"[^\r\n]*(?:\r\n[^\r\n]+)*\r\n\r\n)'
        + re.escape(old.encode())
        + rb"(\r\n--"
        + re.escape(boundary)
        + rb")",
        re.IGNORECASE,
    )
    changed, count = pattern.subn(lambda m: m.group(1) + new.encode() + m.group(2), raw)
    return changed if count == 1 else None
