"""The voice agent (`wss /v1/agent/converse`): Welcome, exactly one Settings, SettingsApplied, and
an Error for settings Deepgram would refuse (docs/fidelity.md). Audio after that is accepted and not answered:
the fake has no LLM, and no probe needs a conversation."""

from __future__ import annotations

from typing import Any

from .call import Call
from .models import entitled
from .ws import Channel

PARSE_ERROR = "Error parsing client message. Check the {field} field against the API spec."


def settings_problem(call: Call, msg: dict[str, Any]) -> tuple[str, str] | None:
    """(code, description) for settings the agent would refuse, else None."""
    for name in ("audio", "agent"):
        if not isinstance(msg.get(name), dict):
            return "INVALID_SETTINGS", PARSE_ERROR.format(field=name)
    agent = msg["agent"]
    registry = call.state.registry
    account = call.need_account()
    listen = ((agent.get("listen") or {}).get("provider") or {}) if isinstance(agent.get("listen"), dict) else {}
    if listen:
        model = str(listen.get("model", "flux-general-en" if listen.get("version") == "v2" else "nova-3"))
        stt = registry.find_stt(model)
        wants_flux = listen.get("version") == "v2"
        if stt is None or not stt.streaming or stt.is_flux != wants_flux:
            return "INVALID_SETTINGS", PARSE_ERROR.format(field="agent.listen.provider.model")
        if not entitled(account, model, stt.canonical_name):
            return "INVALID_SETTINGS", "Project does not have access to the requested model."
    speak = agent.get("speak")
    providers = speak if isinstance(speak, list) else [speak] if isinstance(speak, dict) else []
    for item in providers:
        provider = item.get("provider") if isinstance(item, dict) else None
        if isinstance(provider, dict) and provider.get("type", "deepgram") == "deepgram" and "model" in provider:
            voice = registry.find_tts(str(provider["model"]))
            if voice is None or voice.is_flux != (provider.get("version") == "v2"):
                return "INVALID_SETTINGS", PARSE_ERROR.format(field="agent.speak.provider.model")
            if not entitled(account, voice.canonical_name):
                return "INVALID_SETTINGS", "Project does not have access to the requested model."
    return None


async def run(call: Call, chan: Channel) -> None:
    await chan.send_json({"type": "Welcome", "request_id": call.request_id})
    settings = call.state.config.server
    applied = False
    while True:
        wait = settings.stream_idle_timeout_s if applied else settings.agent_settings_timeout_s
        msg = await chan.receive(timeout=wait)
        if msg.kind == "closed":
            return
        if msg.kind == "timeout":
            await chan.send_json({"type": "Error", "code": "CLIENT_MESSAGE_TIMEOUT",
                                  "description": "We did not receive a message from the client in time."})
            await chan.close(1011, "CLIENT_MESSAGE_TIMEOUT")
            return
        if msg.kind == "bytes":
            continue  # audio: accepted, not answered
        payload = msg.json()
        kind = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or kind is None:
            await chan.send_json({"type": "Error", "code": "UNPARSABLE_CLIENT_MESSAGE",
                                  "description": "We could not parse the client message."})
            continue
        if kind == "Settings":
            if applied:
                await chan.send_json({"type": "Error", "code": "INVALID_SETTINGS",
                                      "description": "Settings may only be sent once per connection."})
                continue
            problem = settings_problem(call, payload)
            if problem is not None:
                await chan.send_json({"type": "Error", "code": problem[0], "description": problem[1]})
                await chan.close(1008, problem[0])
                return
            applied = True
            await chan.send_json({"type": "SettingsApplied"})
        elif kind == "UpdatePrompt":
            await chan.send_json({"type": "PromptUpdated"})
        elif kind == "UpdateSpeak":
            await chan.send_json({"type": "SpeakUpdated"})
        elif kind == "UpdateThink":
            await chan.send_json({"type": "ThinkUpdated"})
        elif kind == "UpdateListen":
            await chan.send_json({"type": "ListenUpdated"})
        elif kind == "InjectAgentMessage" and applied:
            text = str(payload.get("message") or payload.get("content") or "")
            await chan.send_json({"type": "ConversationText", "role": "assistant", "content": text})
            await chan.send_json({"type": "History", "role": "assistant", "content": text})
        elif kind in ("KeepAlive", "FunctionCallResponse", "InjectUserMessage", "InjectAgentMessage"):
            continue
        else:
            await chan.send_json({"type": "Error", "code": "UNPARSABLE_CLIENT_MESSAGE",
                                  "description": f"Unknown message type `{kind}`."})
