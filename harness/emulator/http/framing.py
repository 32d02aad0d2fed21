"""Whether the bytes buffered for one HTTP/1.x request let the server answer it now.

The server's front reads requests without a thread (see `front.py`) and hands a
connection to a worker once `RequestScan.assess` says `whole`: the head and the body it
announces have arrived, or the bytes already received are enough for cheroot to refuse
them (a malformed request line, a head past the size limit, an unknown transfer coding,
a body past the limit the application answers 413). Whatever this module cannot frame
with certainty is `whole` too, so a worker sees it at once rather than never: the worker
then waits on the socket as cheroot always did, up to the server's timeout.

A scan resumes where the last one stopped, so a request costs one pass over its bytes
however finely they are split.
"""

from __future__ import annotations

from dataclasses import dataclass

CRLF = b"\r\n"
SIZE_LINE_LIMIT = 1024
"""Bytes a chunk-size line may take before it is treated as malformed."""
PROTOCOLS = (b"HTTP/1.0", b"HTTP/1.1")

Buffer = bytes | bytearray


@dataclass(frozen=True)
class Arrival:
    """What the front does with a request's buffered bytes."""

    whole: bool
    """Hand them to a worker now."""
    expect_continue: tuple[int, int] | None = None
    """Where the head's `Expect: 100-continue` line lies (start, end) while its body is
    still awaited: the front answers `100 Continue` itself and removes the line."""


WAIT = Arrival(whole=False)
WHOLE = Arrival(whole=True)


@dataclass
class RequestScan:
    """Progress through the bytes of one request, which start at the buffer's start."""

    max_head: int
    max_body: int
    head_end: int = 0
    """Index just past the blank line ending the head; 0 until it has arrived."""
    searched: int = 0
    length: int | None = None
    """The `Content-Length` awaited; None for a chunked body."""
    chunk_at: int = 0
    chunked_total: int = 0

    def assess(self, buffer: Buffer) -> Arrival:
        """Assess `buffer`: the request's bytes received so far (and maybe the next's)."""
        if not self.head_end:
            return self._assess_head(buffer)
        if self.length is not None:
            whole = len(buffer) - self.head_end >= self.length
            return Arrival(whole=whole)
        return self._assess_chunks(buffer)

    def _assess_head(self, buffer: Buffer) -> Arrival:
        start = 2 if buffer[:2] == CRLF else 0  # cheroot skips one CRLF before a request
        end = buffer.find(b"\r\n\r\n", max(start, self.searched - 3))
        if end < 0:
            refusable = _refusable_partial_head(buffer, start, self.searched, self.max_head)
            self.searched = len(buffer)
            return WHOLE if refusable else WAIT
        self.head_end = end + 4
        if self.head_end - start > self.max_head:
            return WHOLE
        lines = bytes(buffer[start:end]).split(CRLF)
        headers = _headers(lines[1:]) if _valid_request_line(lines[0]) else None
        if headers is None or not self._frame_body(lines[0], headers):
            return WHOLE
        arrived = self.assess(buffer)
        if arrived.whole:
            return arrived
        return Arrival(whole=False, expect_continue=_expect_line(start, lines, headers))

    def _frame_body(self, request_line: bytes, headers: dict[bytes, list[bytes]]) -> bool:
        """Set how the body is framed; False when the head alone settles the answer (no
        body, or one cheroot or the application refuses unread)."""
        codings = [
            coding.strip().lower()
            for value in headers.get(b"transfer-encoding", [])
            for coding in value.split(b",")
            if coding.strip()
        ]
        if codings and request_line.endswith(b"HTTP/1.1"):  # cheroot reads codings in 1.1
            self.chunk_at = self.head_end
            return codings == [b"chunked"]
        lengths = headers.get(b"content-length", [])
        if len(lengths) != 1 or not lengths[0].isdigit() or int(lengths[0]) > self.max_body:
            return False
        self.length = int(lengths[0])
        return self.length > 0

    def _assess_chunks(self, buffer: Buffer) -> Arrival:
        """Chunks up to the last chunk-size line (cheroot reads no further: a trailer is
        read as the next request's leading bytes)."""
        if len(buffer) - self.head_end > 2 * self.max_body:  # chunks too small to frame here
            return WHOLE
        while True:
            newline = buffer.find(b"\n", self.chunk_at)
            if newline < 0:
                return WHOLE if len(buffer) - self.chunk_at > SIZE_LINE_LIMIT else WAIT
            size_text = bytes(buffer[self.chunk_at : newline]).strip().split(b";", 1)[0]
            try:
                size = int(size_text, 16)
            except ValueError:
                return WHOLE
            if size <= 0 or self.chunked_total + size > self.max_body:
                return WHOLE
            data_end = newline + 1 + size
            if len(buffer) < data_end + 2:
                return WAIT
            if buffer[data_end : data_end + 2] != CRLF:
                return WHOLE
            self.chunked_total += size
            self.chunk_at = data_end + 2


def _refusable_partial_head(buffer: Buffer, start: int, searched: int, max_head: int) -> bool:
    """An unfinished head that cheroot refuses from what has arrived: too long, a bare LF
    (looked for in the bytes after `searched` only), a request line it cannot parse."""
    if len(buffer) - start > max_head:
        return True
    position = max(start, searched)
    while (newline := buffer.find(b"\n", position)) >= 0:
        if newline == start or buffer[newline - 1] != CRLF[0]:
            return True
        position = newline + 1
    first = buffer.find(b"\n", start)
    return first >= 0 and not _valid_request_line(bytes(buffer[start : first - 1]))


def _valid_request_line(line: bytes) -> bool:
    parts = line.split(b" ")
    return len(parts) == 3 and all(parts) and parts[2] in PROTOCOLS


def _headers(lines: list[bytes]) -> dict[bytes, list[bytes]] | None:
    """Header values by lower-case name; None for a line this module does not frame
    (continuation lines, a line without a colon)."""
    headers: dict[bytes, list[bytes]] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name.strip() or line[:1] in (b" ", b"\t"):
            return None
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def _expect_line(
    start: int, lines: list[bytes], headers: dict[bytes, list[bytes]]
) -> tuple[int, int] | None:
    """The span of the one `Expect: 100-continue` line, as cheroot matches it."""
    if headers.get(b"expect") != [b"100-continue"]:
        return None
    offset = start
    for line in lines:
        if line.partition(b":")[0].strip().lower() == b"expect":
            return offset, offset + len(line) + 2
        offset += len(line) + 2
    return None
