"""A multipart upload is judged on the fields the provider will read: a text field sent twice (`model=whisper-1`
then `model=<a model the key may not use>`) is refused, since Tollgate reads the first and a provider may read the
last; so is a second file. Array fields (`timestamp_granularities[]`) repeat by design. A text field over the
field limit is a 413, like any other body over a limit."""

from __future__ import annotations

from flask import Flask

from tests.admin_support import AdminClient, owner
from tests.media_support import wav_bytes
from tollgate.services import Services

from .conftest import Mock, Seeded
from .log_rows import wait_rows

__all__ = ["owner"]

BOUNDARY = "tollgate-test-boundary"


def multipart(fields: list[tuple[str, str]], files: int = 1) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    audio = wav_bytes(0.5)
    for i in range(files):
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="s{i}.wav"\r\n'
        parts.append(head.encode() + b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def transcribe(app: Flask, key: str, raw: bytes):  # type: ignore[no-untyped-def]
    return app.test_client().post(
        "/v1/audio/transcriptions",
        data=raw,
        headers={"Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def test_a_repeated_field_or_file_is_refused(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, mock_upstream: Mock
) -> None:
    assert owner.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["whisper-1"]}).status_code == 200
    smuggled = transcribe(app, seeded.key, multipart([("model", "whisper-1"), ("model", "gpt-4o-transcribe")]))
    assert smuggled.status_code == 400, smuggled.get_json()
    assert smuggled.get_json()["error"] == {
        "message": "The field 'model' appears more than once.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "duplicate_field",
    }
    two_files = transcribe(app, seeded.key, multipart([("model", "whisper-1")], files=2))
    assert two_files.status_code == 400 and two_files.get_json()["error"]["param"] == "file"
    assert [r for r in mock_upstream.state.requests if r["path"] == "/audio/transcriptions"] == []
    arrays = [("model", "whisper-1"), ("timestamp_granularities[]", "word"), ("timestamp_granularities[]", "segment")]
    assert transcribe(app, seeded.key, multipart(arrays + [("response_format", "verbose_json")])).status_code == 200
    assert [r.status_code for r in wait_rows(app, svc, 3)] == [400, 400, 200]


def test_an_oversized_text_field_is_a_413(app: Flask, seeded: Seeded, mock_upstream: Mock) -> None:
    refused = transcribe(app, seeded.key, multipart([("model", "whisper-1"), ("prompt", "x" * 100_000)]))
    assert refused.status_code == 413, refused.get_json()
    assert refused.get_json()["error"]["code"] == "request_too_large"
    assert refused.get_json()["error"]["param"] == "prompt" or "64 KiB" in refused.get_json()["error"]["message"]
