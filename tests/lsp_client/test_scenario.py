"""An editor's session with `orche lsp`, through pytest-lsp: open a federation, break it, fix it,
hover, jump to the standard library, complete, apply a quick fix, format, edit a package of two
files, send a request the server does not know, shut down. Every test runs twice: once with
the client offering UTF-8 and UTF-16 positions, once UTF-16 only; positions are computed from
the text in the unit the server chose.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from conftest import CACHE, TIMEOUT, apply_edits, diagnostics_for, encoding, position, span

# A federation of one site. The `é€𝄞` (3 characters: 9 UTF-8 bytes, 4 UTF-16 units) stands
# before `image` on the web resource's line, so the conflict below starts at a different
# column in each unit.
FLEET = """\
package fleet

import "orche/federation"

fleet: federation.#Federation & {
\tname: "fleet"
\tsites: primary: {
\t\ttier:     "core"
\t\tlocation: "us-east"
\t\tnetwork: {prefix: "10.1.0.0/16", dns: ["10.1.1.5"]}
\t\tresources: {
\t\t\tdb: {kind: "docker", image: "postgres:16", health: timeout: 90}
\t\t\tweb: {kind: "docker", description: "é€𝄞", image: "nginx:1", depends_on: {db: true}}
\t\t}
\t}
}
"""

# The same field given a second, different value: a conflict.
CONFLICT = FLEET.replace(
    "\t\t}\n\t}\n}\n", '\t\t}\n\t}\n\tsites: primary: resources: web: image: "nginx:2"\n}\n'
)


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


def did_open(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="orche", version=1, text=text)
        )
    )


def did_change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Sends the whole new text (the server asks for full sync), forgetting the diagnostics
    last published for the document so that the next ones waited for are the new text's."""
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def answer(request):
    return await asyncio.wait_for(request, TIMEOUT)


async def test_initialize_picks_the_position_encoding(client: LanguageClient):
    caps = client.initialize_result.capabilities
    offered = client.offered
    # UTF-8 when offered (it needs no conversion on the server), else the protocol's UTF-16.
    want = (
        types.PositionEncodingKind.Utf8
        if types.PositionEncodingKind.Utf8 in offered
        else types.PositionEncodingKind.Utf16
    )
    assert caps.position_encoding == want
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Full
    assert caps.text_document_sync.open_close is True
    assert caps.hover_provider and caps.definition_provider
    assert caps.document_formatting_provider and caps.document_symbol_provider
    assert list(caps.code_action_provider.code_action_kinds) == [types.CodeActionKind.QuickFix]
    assert set(caps.completion_provider.trigger_characters) == {'"', ":"}
    assert client.initialize_result.server_info.name == "orche"


async def test_conflict_shown_at_its_place_then_cleared(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", FLEET)
    did_open(client, uri, FLEET)
    # The one publication after opening a clean file: an empty list.
    published = await answer(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    assert (published.uri, list(published.diagnostics)) == (uri, [])

    did_change(client, uri, 2, CONFLICT)
    (d,) = await diagnostics_for(client, uri, lambda ds: len(ds) > 0)
    assert d.code == "orche::eval::conflict"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "orche"
    assert d.message == (
        'fleet.sites.primary.resources.web.image: conflicting values "nginx:1" and "nginx:2"'
    ), d.message
    # At `"nginx:1"`, after `é€𝄞` on line 12, in the negotiated unit.
    assert d.range == span(CONFLICT, '"nginx:1"', enc)
    want_column = {types.PositionEncodingKind.Utf8: 58, types.PositionEncodingKind.Utf16: 53}[enc]
    assert (d.range.start.line, d.range.start.character) == (12, want_column)
    # The other side of the conflict as related information.
    (related,) = d.related_information
    assert related.location.uri == uri
    assert related.location.range == span(CONFLICT, '"nginx:2"', enc)

    did_change(client, uri, 3, FLEET)
    assert await diagnostics_for(client, uri) == []


async def test_hover_shows_the_evaluated_value(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", FLEET)
    did_open(client, uri, FLEET)
    assert await diagnostics_for(client, uri) == []
    # On `health` of db: the schema's #Health, with the one field written in.
    hover = await answer(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=position(FLEET, "health", enc))
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    shown = hover.contents.value
    assert shown.startswith("```cue\nfleet.sites.primary.resources.db.health: {\n"), shown
    for field in ["\ttimeout: 90\n", "\tinterval: ", "\tretries: ", "\tbackoff: ", "\tbase_delay: "]:
        assert field in shown, f"{field!r} not in hover:\n{shown}"
    # On `location`: a plain string.
    hover = await answer(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=position(FLEET, "location", enc))
        )
    )
    assert 'fleet.sites.primary.location: "us-east"' in hover.contents.value, hover.contents.value
    # On `web`: the resource with the schema's fields, its name taken from its key.
    hover = await answer(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=position(FLEET, "web:", enc))
        )
    )
    shown = hover.contents.value
    for field in ["\tname: ", '\timage: "nginx:1"\n', '\tdescription: "é€𝄞"\n', "\tdepends_on: {", "\thealth: {"]:
        assert field in shown, f"{field!r} not in hover:\n{shown}"


async def test_hover_resolves_defaults(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", FLEET)
    did_open(client, uri, FLEET)
    assert await diagnostics_for(client, uri) == []
    hover = await answer(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=position(FLEET, "health", enc))
        )
    )
    shown = hover.contents.value
    for field in ["timeout: 90\n", "interval: 5\n", "retries: 3\n", 'backoff: "exponential"\n', "base_delay: 2\n"]:
        assert field in shown, f"{field!r} not in hover:\n{shown}"


async def test_definition_into_the_stdlib_copy(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", FLEET)
    did_open(client, uri, FLEET)
    assert await diagnostics_for(client, uri) == []
    at = position(FLEET, "#Federation", enc)
    at.character += 1  # inside the name, not on the `.` before it
    got = await answer(
        client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(uri), position=at)
        )
    )
    location = got[0] if isinstance(got, list) else got
    assert isinstance(location, types.Location), got
    path = Path(unquote(urlparse(location.uri).path))
    assert path.is_file(), f"{location.uri} does not exist"
    assert CACHE in path.parents, f"{path} is not under XDG_CACHE_HOME={CACHE}"
    assert path.as_posix().endswith("stdlib/orche/federation/federation.orc"), path
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[location.range.start.line].startswith("#Federation:"), lines[location.range.start.line]
    assert location.range.start.character == 0
    # The import's name goes to the import.
    got = await answer(
        client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(uri), position=position(FLEET, "federation.#", enc))
        )
    )
    location = got[0] if isinstance(got, list) else got
    assert location.uri == uri
    assert location.range.start == position(FLEET, '"orche/federation"', enc)


# A web resource being written: the line under the cursor is blank.
TYPING = FLEET.replace(
    '\t\t\tweb: {kind: "docker", description: "é€𝄞", image: "nginx:1", depends_on: {db: true}}\n',
    '\t\t\tweb: {\n\t\t\t\tkind: "docker"\n\t\t\t\t\n\t\t\t}\n',
)
# Then a third resource, its kind being typed: the cursor between the quotes the editor closed.
KIND = TYPING.replace(
    "\t\t\t}\n\t\t}\n", '\t\t\t}\n\t\t\tcache: {\n\t\t\t\tkind: ""\n\t\t\t}\n\t\t}\n'
)
# The same on one line, as examples/federation.orc writes resources.
KIND_INLINE = TYPING.replace("\t\t\t}\n\t\t}\n", '\t\t\t}\n\t\t\tcache: {kind: ""}\n\t\t}\n')
KINDS = ["docker", "systemd", "http", "tcp", "file", "process", "command"]
# Then a new field being typed in the site.
SITE = FLEET.replace('\t\tlocation: "us-east"\n', '\t\tlocation: "us-east"\n\t\t\n')


async def test_completion_from_the_schema(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", TYPING)
    did_open(client, uri, TYPING)
    await diagnostics_for(client, uri)

    async def labels(at: types.Position) -> list[str]:
        got = await answer(
            client.text_document_completion_async(
                types.CompletionParams(text_document=doc(uri), position=at)
            )
        )
        items = got.items if isinstance(got, types.CompletionList) else got
        assert items, f"no completion at {at}"
        # In the order an editor lists them: by sortText, else by label.
        return [i.label for i in sorted(items, key=lambda i: i.sort_text or i.label)]

    # In the web resource, on the blank line: the resource's fields, the kind's among them.
    fields = await labels(position(TYPING, 'kind: "docker"\n\t\t\t\t', enc, after=True))
    for field in ["depends_on", "health", "image", "engine", "description", "container", "ports"]:
        assert field in fields, f"{field} not offered in a docker resource: {fields}"
    # Those not written yet come first: `kind` is written, `image` (required) is not.
    assert fields.index("kind") > fields.index("image"), fields

    # After `kind: "`: the kinds the schema allows, and nothing else.
    did_change(client, uri, 2, KIND)
    await diagnostics_for(client, uri)
    kinds = await labels(position(KIND, 'kind: "', enc, nth=1, after=True))
    assert sorted(kinds) == sorted(KINDS), kinds

    # In the site's struct: #Site's fields.
    did_change(client, uri, 3, SITE)
    await diagnostics_for(client, uri)
    offered = await labels(position(SITE, '\t\tlocation: "us-east"\n\t\t', enc, after=True))
    for field in ["tier", "location", "network", "resources", "metadata"]:
        assert field in offered, f"{field} not offered in a site: {offered}"
    assert offered.index("metadata") < offered.index("tier"), offered
    assert "name" in offered


async def test_completion_of_a_kind_in_a_one_line_struct(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", KIND_INLINE)
    did_open(client, uri, KIND_INLINE)
    await diagnostics_for(client, uri)
    got = await answer(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=doc(uri),
                position=position(KIND_INLINE, 'cache: {kind: "', enc, after=True),
            )
        )
    )
    items = got.items if isinstance(got, types.CompletionList) else got
    assert sorted(i.label for i in items) == sorted(KINDS)


# A typo in a closed definition's field: `timout` for #Health's `timeout`.
TYPO = FLEET.replace("health: timeout: 90", "health: timout: 90")


async def test_quick_fix_for_a_typo(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", TYPO)
    did_open(client, uri, TYPO)
    (d,) = await diagnostics_for(client, uri, lambda ds: len(ds) > 0)
    assert d.code == "orche::eval::closed"
    assert d.range == span(TYPO, "timout", enc)
    assert "did you mean `timeout`?" in d.message, d.message
    actions = await answer(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc(uri),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
    )
    (action,) = actions
    assert isinstance(action, types.CodeAction)
    assert action.kind == types.CodeActionKind.QuickFix
    assert "timeout" in action.title
    assert list(action.edit.changes) == [uri]
    fixed = apply_edits(TYPO, action.edit.changes[uri], enc)
    assert fixed == FLEET
    did_change(client, uri, 2, fixed)
    assert await diagnostics_for(client, uri) == []


# A resource without the field its kind requires: a docker resource's `image`.
MISSING = FLEET.replace(
    'db: {kind: "docker", image: "postgres:16", health: timeout: 90}',
    'db: {kind: "docker", health: timeout: 90}',
)


async def test_add_the_missing_required_fields(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", MISSING)
    did_open(client, uri, MISSING)
    (d,) = await diagnostics_for(client, uri, lambda ds: len(ds) > 0)
    assert d.code == "orche::eval::incomplete"
    assert d.message.startswith(
        "fleet.sites.primary.resources.db.image: field is required but not present: image"
    ), d.message
    actions = await answer(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc(uri),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
    )
    (action,) = actions
    assert isinstance(action, types.CodeAction)
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.title == "Add the missing required fields: image"
    assert list(action.edit.changes) == [uri]
    fixed = apply_edits(MISSING, action.edit.changes[uri], enc)
    # Written into the one-line struct, which stays on one line.
    assert fixed == MISSING.replace("health: timeout: 90}", 'health: timeout: 90, image: ""}')
    did_change(client, uri, 2, fixed)
    assert await diagnostics_for(client, uri) == []


# Not in orche fmt's layout: spacing, alignment, a one-line struct, non-ASCII before the edits.
MESSY = """\
package fleet
import "orche/federation"
fleet:   federation.#Federation&{
  name:"fleet"   // é€𝄞
  sites: primary: {tier: "core", location:"é€𝄞"
    network: {prefix: "10.1.0.0/16", dns: []}
      resources: {db: {kind: "docker",image: "postgres:16"}}}
}
"""


async def test_formatting_matches_orche_fmt(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", MESSY)
    did_open(client, uri, MESSY)
    await diagnostics_for(client, uri)
    edits = await answer(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=doc(uri),
                options=types.FormattingOptions(tab_size=4, insert_spaces=False),
            )
        )
    )
    assert edits, "no edits for a messy file"
    formatted = apply_edits(MESSY, edits, enc)
    reference = tmp_path / "reference.orc"
    reference.write_text(MESSY, encoding="utf-8")
    run = subprocess.run(
        [os.environ["ORCHE_BIN"], "fmt", str(reference)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert formatted == reference.read_text(encoding="utf-8")
    assert formatted != MESSY
    # Formatted text needs no more edits.
    did_change(client, uri, 2, formatted)
    await diagnostics_for(client, uri)
    again = await answer(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=doc(uri),
                options=types.FormattingOptions(tab_size=4, insert_spaces=False),
            )
        )
    )
    assert not again, again


# The second file of the package: a policy on the fleet, never opened in the editor.
POLICY = """\
package fleet

// The database runs the version its backups were taken with.
db_image: "postgres:16"
db_image: fleet.sites.primary.resources.db.image
"""


async def test_edit_in_one_file_breaks_the_other(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    fleet = write(tmp_path, "fleet.orc", FLEET)
    policy = write(tmp_path, "policy.orc", POLICY)
    did_open(client, fleet, FLEET)
    assert await diagnostics_for(client, fleet) == []

    upgraded = FLEET.replace('"postgres:16"', '"postgres:17"')
    did_change(client, fleet, 2, upgraded)
    (d,) = await diagnostics_for(client, policy, lambda ds: len(ds) > 0)
    assert d.code == "orche::eval::conflict"
    assert d.message == 'db_image: conflicting values "postgres:16" and "postgres:17"', d.message
    assert d.range == span(POLICY, '"postgres:16"', enc)
    (related,) = d.related_information
    assert related.location.uri == fleet
    assert related.location.range == span(upgraded, '"postgres:17"', enc)
    assert await diagnostics_for(client, fleet) == []

    client.diagnostics.pop(policy, None)
    did_change(client, fleet, 3, FLEET)
    assert await diagnostics_for(client, policy) == []


async def test_unknown_request_then_still_answering(client: LanguageClient, tmp_path: Path):
    enc = encoding(client)
    uri = write(tmp_path, "fleet.orc", FLEET)
    did_open(client, uri, FLEET)
    await diagnostics_for(client, uri)
    with pytest.raises(JsonRpcMethodNotFound) as error:
        await answer(client.protocol.send_request_async("orche/frobnicate", {"x": 1}))
    assert error.value.code == -32601
    hover = await answer(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=position(FLEET, "location", enc))
        )
    )
    assert hover is not None and 'location: "us-east"' in hover.contents.value
