"""Read a multipart upload as it streams in, and stop as soon as the file passes its limit.

FastAPI's ``UploadFile`` spools the whole body before the handler runs, so an oversized
file would be read to the end before it could be refused. Here the body is parsed chunk by
chunk: a declared ``Content-Length`` past the limit is refused before reading anything,
and an undeclared one as soon as the file part grows past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request, status
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_FIELD_BYTES = 1024


@dataclass
class Upload:
    """The uploaded file's name and bytes, and the form's text fields."""

    filename: str = ""
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    """Callbacks for the multipart parser: headers, then one part's bytes at a time."""

    def __init__(self, file_field: str, max_bytes: int) -> None:
        self.file_field = file_field
        self.max_bytes = max_bytes
        self.upload = Upload()
        self.has_file = False
        self._header = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._extend_header(data[start:end]),
            "on_header_value": lambda data, start, end: self._extend_value(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header, self._value = {}, b"", bytearray()

    def _extend_header(self, data: bytes) -> None:
        self._header += data

    def _extend_value(self, data: bytes) -> None:
        self._value += data

    def _header_end(self) -> None:
        self._headers[self._header.lower()] = bytes(self._value)
        self._header, self._value = b"", bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name == self.file_field:
            self.has_file = True
            self.upload.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.upload.content_type = self._headers.get(b"content-type", b"").decode("latin-1")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == self.file_field:
            self.upload.data += data[start:end]
            if len(self.upload.data) > self.max_bytes:
                raise too_large(self.max_bytes)
        elif len(self._value) + end - start <= MAX_FIELD_BYTES:
            self._value += data[start:end]

    def _part_end(self) -> None:
        if self._name and self._name != self.file_field:
            self.upload.fields[self._name] = self._value.decode("utf-8", "replace")


def too_large(max_bytes: int) -> HTTPException:
    """The 413 for a file past the upload limit, naming the limit."""
    megabytes = max_bytes / (1024 * 1024)
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"The file is larger than the {megabytes:g} MB upload limit; split it or ask an admin "
        "to raise QUANTDESK_MAX_UPLOAD_MB",
    )


async def read_upload(request: Request, *, file_field: str, max_bytes: int) -> Upload:
    """Parse a ``multipart/form-data`` body holding one file and a few text fields.

    Raises:
        HTTPException: 413 past ``max_bytes``; 415 when the body is not multipart; 422
            when it is malformed or the file part is missing.
    """
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Send the file as multipart/form-data with a 'file' part",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD_BYTES:
        raise too_large(max_bytes)
    collector = _Collector(file_field, max_bytes)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "The multipart body is malformed; send it as a browser or HTTP client encodes a form",
        ) from None
    if not collector.has_file:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"The form has no '{file_field}' file part"
        )
    return collector.upload
