"""Audio files for the transcription tests: real WAV files (stdlib `wave`) of a known duration."""

from __future__ import annotations

import io
import wave


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV of silence lasting `seconds`."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()
