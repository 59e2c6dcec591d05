"""`orche lsp` driven by pytest-lsp, a third-party client (pygls and lsprotocol underneath).

The server is `$ORCHE_BIN lsp`, started once per test and per position encoding the client
offers, with `XDG_CACHE_HOME` in a temporary directory (the server copies the standard library
there). Every session ends as an editor ends it: `shutdown`, then `exit`, and the process must
exit 0. Helpers here turn code-point columns into the negotiated unit and back, apply text
edits, and wait for the diagnostics of one document.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# One cache directory for the run: the server writes the standard library copies into it.
CACHE = Path(tempfile.mkdtemp(prefix="orche-lsp-client-cache-"))

# How long one wait for the server lasts before the test fails.
TIMEOUT = 20.0


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("ORCHE_BIN"):
        raise pytest.UsageError(
            "ORCHE_BIN is not set: point it at the orche binary, e.g. "
            "ORCHE_BIN=target/release/orche python -m pytest tests/lsp_client"
        )
    if not Path(os.environ["ORCHE_BIN"]).is_file():
        raise pytest.UsageError(f"ORCHE_BIN={os.environ['ORCHE_BIN']} is not a file")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(CACHE, ignore_errors=True)


# The encodings the client offers in `general.positionEncodings`, by test id.
OFFERS = {
    "utf8-offered": [types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16],
    "utf16-only": [types.PositionEncodingKind.Utf16],
}


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[os.environ.get("ORCHE_BIN", "orche"), "lsp"],
        server_env={**os.environ, "XDG_CACHE_HOME": str(CACHE)},
    ),
    params=list(OFFERS),
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    offered = OFFERS[request.param]
    result = await asyncio.wait_for(
        lsp_client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    general=types.GeneralClientCapabilities(position_encodings=offered),
                    text_document=types.TextDocumentClientCapabilities(
                        hover=types.HoverClientCapabilities(
                            content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
                        ),
                        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                            related_information=True
                        ),
                    ),
                ),
                root_uri=None,
            )
        ),
        TIMEOUT,
    )
    # What the server chose, for the tests to read (and to convert columns with).
    lsp_client.initialize_result = result  # type: ignore[attr-defined]
    lsp_client.offered = offered  # type: ignore[attr-defined]
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT)
    server = lsp_client._server  # the asyncio subprocess pygls started
    assert server is not None and server.returncode == 0, (
        f"orche lsp exited with {server.returncode if server else None} after shutdown and exit"
    )


def encoding(client: LanguageClient) -> str:
    return client.initialize_result.capabilities.position_encoding  # type: ignore[attr-defined]


def units(text: str, enc: str) -> int:
    """The length of `text` in the negotiated unit: bytes or UTF-16 code units."""
    if enc == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if enc == types.PositionEncodingKind.Utf16:
        return len(text.encode("utf-16-le")) // 2
    raise AssertionError(f"unexpected position encoding {enc!r}")


def position(text: str, needle: str, enc: str, nth: int = 0, after: bool = False) -> types.Position:
    """Where the `nth` occurrence of `needle` starts (or ends, with `after`) in `text`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    if after:
        index += len(needle)
    line = text.count("\n", 0, index)
    start_of_line = text.rfind("\n", 0, index) + 1
    return types.Position(line=line, character=units(text[start_of_line:index], enc))


def span(text: str, needle: str, enc: str, nth: int = 0) -> types.Range:
    """The range of the `nth` occurrence of `needle` in `text`."""
    return types.Range(
        start=position(text, needle, enc, nth), end=position(text, needle, enc, nth, after=True)
    )


def offset(text: str, pos: types.Position, enc: str) -> int:
    """The index in `text` of a protocol position (a column past the line's end is its end)."""
    lines = text.split("\n")
    assert pos.line <= len(lines), f"{pos} is past the end of the text"
    base = sum(len(line) + 1 for line in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    for i in range(len(line) + 1):
        if units(line[:i], enc) >= pos.character:
            assert units(line[:i], enc) == pos.character, f"{pos} splits a character"
            return base + i
    return base + len(line)


def apply_edits(text: str, edits, enc: str) -> str:
    """`text` with the `TextEdit`s applied, as an editor applies them (last first)."""
    spans = sorted(
        ((offset(text, e.range.start, enc), offset(text, e.range.end, enc), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


async def diagnostics_for(client: LanguageClient, uri: str, condition=lambda ds: True):
    """Waits until the diagnostics last published for `uri` meet `condition`, and returns them.

    `client.diagnostics` holds the last list published for each document, as an editor keeps
    it; a test forgets a document's (`client.diagnostics.pop(uri)`) before the edit whose
    diagnostics it waits for, so an empty list here was published after that edit.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        got = client.diagnostics.get(uri)
        if got is not None and condition(got):
            return list(got)
        if loop.time() > deadline:
            raise AssertionError(
                f"no fitting diagnostics for {uri} within {TIMEOUT} s; last published: {got}"
            )
        await asyncio.sleep(0.01)
