"""When the server's front hands a request to a worker: `RequestScan` on byte strings."""

from __future__ import annotations

import pytest

from harness.emulator.http.framing import RequestScan

MAX_HEAD = 200
MAX_BODY = 100


def _first_whole(data: bytes) -> int | None:
    """The length at which a scan fed `data` byte by byte first says whole."""
    scan = RequestScan(MAX_HEAD, MAX_BODY)
    for end in range(1, len(data) + 1):
        if scan.assess(data[:end]).whole:
            return end
    return None


def test_a_head_without_a_body_is_whole_at_its_blank_line() -> None:
    request = b"GET /datastore HTTP/1.1\r\nHost: x\r\n\r\n"
    assert _first_whole(request) == len(request)


def test_a_body_is_awaited_to_its_content_length() -> None:
    request = b"POST /datastore HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
    assert _first_whole(request) == len(request)


def test_a_leading_crlf_is_skipped_as_cheroot_skips_it() -> None:
    request = b"\r\nPOST /datastore HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
    assert _first_whole(request) == len(request)


def test_a_chunked_body_is_awaited_to_its_last_chunk_size_line() -> None:
    head = b"POST /datastore HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"2\r\n{}\r\n3;ext=1\r\nabc\r\n0\r\n"
    assert _first_whole(head + chunks + b"\r\n") == len(head + chunks)


def test_bare_lf_chunk_size_lines_are_framed_as_cheroot_reads_them() -> None:
    request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\n"
    assert _first_whole(request) == len(request)


@pytest.mark.parametrize(
    ("request_bytes", "whole_at"),
    [
        pytest.param(b"GET /\r\nHost: x\r\n", len(b"GET /\r\n"), id="http-0.9"),
        pytest.param(b"GET / HTTP/2.0\r\nHost: x", len(b"GET / HTTP/2.0\r\n"), id="version"),
        pytest.param(b"GET / HTTP/1.1\nHost: x", len(b"GET / HTTP/1.1\n"), id="bare-lf-line"),
        pytest.param(
            b"GET / HTTP/1.1\r\nA: b\nC: d", len(b"GET / HTTP/1.1\r\nA: b\n"), id="bare-lf"
        ),
        pytest.param(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 40, MAX_HEAD + 1, id="head-too-long"),
    ],
)
def test_a_head_cheroot_refuses_is_whole_as_soon_as_it_can_be_refused(
    request_bytes: bytes, whole_at: int
) -> None:
    assert _first_whole(request_bytes) == whole_at


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nX: a\r\n folded\r\nContent-Length: 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nno colon\r\nContent-Length: 5\r\n\r\n",
    ],
    ids=["too-large", "two-lengths", "negative", "unknown-coding", "folded", "no-colon"],
)
def test_a_body_refused_unread_is_not_awaited(head: bytes) -> None:
    assert _first_whole(head + b"hello") == len(head)


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n", b"2\r\n{}xx", b"65\r\n", b"f" * 2000],
    ids=["bad-size", "no-crlf-after-data", "over-the-body-limit", "endless-size-line"],
)
def test_malformed_chunks_are_whole_where_they_go_wrong(chunks: bytes) -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert _first_whole(head + chunks) is not None


def test_chunked_is_read_only_in_http_1_1_as_cheroot_does() -> None:
    request = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}"
    assert _first_whole(request) == len(request)


def test_expect_continue_names_its_line_while_the_body_is_awaited() -> None:
    head = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    arrival = RequestScan(MAX_HEAD, MAX_BODY).assess(head)
    assert not arrival.whole
    assert arrival.expect_continue is not None
    start, end = arrival.expect_continue
    assert head[start:end] == b"Expect: 100-continue\r\n"
    assert RequestScan(MAX_HEAD, MAX_BODY).assess(head + b"{}").expect_continue is None


def test_a_scan_resumes_where_it_stopped() -> None:
    """A body of many small chunks fed a piece at a time is whole exactly once at its end."""
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    request = head + b"1\r\na\r\n" * 30 + b"0\r\n"
    scan = RequestScan(MAX_HEAD, MAX_BODY)
    verdicts = [scan.assess(request[:end]).whole for end in range(1, len(request) + 1)]
    assert verdicts == [False] * (len(request) - 1) + [True]
    assert scan.chunked_total == 30


def test_chunks_too_small_to_frame_cheaply_are_handed_over() -> None:
    """Tiny chunks take many times their data in framing: past twice the body limit of
    bytes the worker reads them, so the front's work stays bounded."""
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    whole_at = _first_whole(head + b"1\r\na\r\n" * MAX_BODY)
    assert whole_at == len(head) + 2 * MAX_BODY + 1
