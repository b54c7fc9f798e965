"""What Tollgate knows about each provider a client can bring a key for: where its API is, which cheap call
proves a key works, which models it serves, and how to make a key with the least access it needs.

Pure data and functions (no I/O): the admin API shows the guides, `verify.py` makes the call they describe.
"""

from __future__ import annotations

from dataclasses import dataclass

PURPOSES = ("chat", "images", "voice")
"""chat: chat, responses, embeddings, moderations, conversations; images: /v1/images/*; voice: /v1/audio/*."""


def purpose_of(operation: str) -> str:
    """The purpose a `/v1` operation (endpoints.py names) belongs to."""
    if operation.startswith("images"):
        return "images"
    if operation.startswith("audio"):
        return "voice"
    return "chat"


@dataclass(frozen=True)
class ProviderGuide:
    provider: str
    name: str
    default_base_url: str
    verify_path: str
    """Appended to the base URL: the cheapest authenticated call, listing models (free at every provider)."""
    auth_header: str
    purposes: tuple[str, ...]
    models: tuple[str, ...]
    """What a BYOK lane of this provider serves, so another vendor's model never lands on it."""
    create_url: str
    steps: tuple[str, ...]
    least_access: str


GUIDES: dict[str, ProviderGuide] = {
    g.provider: g
    for g in (
        ProviderGuide(
            provider="openai",
            name="OpenAI",
            default_base_url="https://api.openai.com/v1",
            verify_path="/models",
            auth_header="Authorization: Bearer <key>",
            purposes=("chat", "images", "voice"),
            models=(
                "gpt-*",
                "chatgpt-*",
                "o1*",
                "o3*",
                "o4*",
                "codex-*",
                "text-embedding-*",
                "omni-moderation-*",
                "dall-e-*",
                "whisper-*",
                "tts-*",
            ),
            create_url="https://platform.openai.com/api-keys",
            steps=(
                "Open https://platform.openai.com/api-keys in the project that should pay (create a project for "
                "this agency if you like: its usage and limits stay apart).",
                "Create new secret key → Owned by: Service account (not tied to a person) → Permissions: Restricted.",
                "Restricted: Models = Read (Tollgate verifies the key by listing models); Model capabilities = "
                "Write for the purposes you connect (chat completions, responses, embeddings, images, audio); "
                "everything else None.",
                "Copy the key once (it starts with sk-) and add it here; set a monthly budget on the project.",
            ),
            least_access="A restricted service-account key: Models read, Model capabilities write, nothing else "
            "(no files, fine-tuning, assistants or admin scopes).",
        ),
        ProviderGuide(
            provider="anthropic",
            name="Anthropic",
            default_base_url="https://api.anthropic.com",
            verify_path="/v1/models",
            auth_header="x-api-key: <key>, anthropic-version: 2023-06-01",
            purposes=("chat",),
            models=("claude-*",),
            create_url="https://console.anthropic.com/settings/keys",
            steps=(
                "In the Anthropic Console, create (or pick) a workspace for this agency's traffic, so its spend "
                "limit and usage stay apart.",
                "Settings → API keys → Create key, in that workspace; name it after the agency.",
                "Copy the key once (it starts with sk-ant-) and add it here; set the workspace's spend limit.",
            ),
            least_access="A standard API key scoped to a dedicated workspace (not an Admin API key: Tollgate never "
            "needs organization administration).",
        ),
        ProviderGuide(
            provider="gemini",
            name="Google Gemini",
            default_base_url="https://generativelanguage.googleapis.com/v1beta",  # a Gemini lane's version root
            verify_path="/models",
            auth_header="x-goog-api-key: <key>",
            purposes=("chat", "images"),
            models=("gemini-*", "imagen-*"),
            create_url="https://aistudio.google.com/apikey",
            steps=(
                "In Google AI Studio → Get API key → Create API key, in a Google Cloud project used only for this.",
                "In the Cloud console → APIs & Services → Credentials → the key → API restrictions: Restrict key "
                "to the Generative Language API only.",
                "Copy the key (it starts with AIza) and add it here; set a budget alert on the project.",
            ),
            least_access="An API key restricted to the Generative Language API, in a project of its own.",
        ),
    )
}
