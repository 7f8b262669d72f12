"""A small fake Telegram Bot API on loopback, for the real client code to talk to.

    with FakeBotApi() as api:                      # http://127.0.0.1:<port>, a thread serving it
        api.add_bot("123:SECRET", username="company_alerts_bot")
        api.write("123:SECRET", chat_id=42, text="/start", first_name="Анна")
        settings.telegram.api_url = api.url
        ...
        api.sent                                    # every accepted sendMessage, in order

It answers as Telegram does (``{"ok": …, "result" | "error_code", "description", "parameters"}``):
``getMe`` (401 for an unknown token), ``getUpdates`` (an update is confirmed by a later call with
a higher ``offset``, and never returned again), ``sendMessage``, ``editMessageText``; and it can be
told to misbehave: ``storm(n, retry_after)`` answers the next ``n`` sends with ``429``,
``block(chat)`` answers ``403`` for a chat, ``migrate(old, new)`` answers ``400`` with
``migrate_to_chat_id``, ``drop(n)`` closes the next ``n`` connections without an answer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Sent:
    token: str
    chat_id: int
    text: str
    message_id: int
    at: float
    reply_to: int | None = None
    edits: list[str] = field(default_factory=list)


class FakeBotApi:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bots: dict[str, dict[str, Any]] = {}
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.returned: dict[str, list[int]] = {}  # update ids every getUpdates returned
        self.next_update = 1000
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, str]] = []  # (method, token) of every request
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.storm_left = 0
        self.storm_retry_after = 1
        self.throttled = 0
        self.drop_left = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeBotApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- setting the scene ----------------------------------------------------------------------
    def add_bot(self, token: str, username: str = "company_alerts_bot", first_name: str = "Alerts") -> None:
        with self.lock:
            self.bots[token] = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": first_name,
                                "username": username}
            self.updates.setdefault(token, [])

    def write(self, token: str, chat_id: int, text: str = "", *, first_name: str = "", title: str = "",
              migrate_to: int | None = None) -> int:
        """Someone writes ``text`` to the bot in chat ``chat_id`` (a group when ``title`` is given)."""
        chat: dict[str, Any] = {"id": chat_id, "type": "group" if title else "private"}
        chat |= {"title": title} if title else {"first_name": first_name or f"User{chat_id}"}
        message: dict[str, Any] = {"message_id": 1, "date": int(time.time()), "chat": chat}
        if text:
            message["text"] = text
        if migrate_to is not None:
            message["migrate_to_chat_id"] = migrate_to
        with self.lock:
            self.next_update += 1
            self.updates[token].append({"update_id": self.next_update, "message": message})
            return self.next_update

    def storm(self, sends: int, retry_after: int = 1) -> None:
        with self.lock:
            self.storm_left, self.storm_retry_after = sends, retry_after

    def block(self, chat_id: int) -> None:
        with self.lock:
            self.blocked.add(chat_id)

    def migrate(self, old: int, new: int) -> None:
        with self.lock:
            self.migrated[old] = new

    def drop(self, requests: int) -> None:
        with self.lock:
            self.drop_left = requests

    def to(self, chat_id: int) -> list[Sent]:
        """What chat ``chat_id`` received, in order."""
        with self.lock:
            return [s for s in self.sent if s.chat_id == chat_id]

    # -- answering ------------------------------------------------------------------------------
    def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            self.requests.append((method, token))
            if self.drop_left > 0:
                self.drop_left -= 1
                return None
            if token not in self.bots:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            if method == "getMe":
                return 200, {"ok": True, "result": self.bots[token]}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                pending = [u for u in self.updates[token] if u["update_id"] >= offset]
                self.updates[token] = pending
                self.returned.setdefault(token, []).extend(u["update_id"] for u in pending[:100])
                return 200, {"ok": True, "result": pending[:100]}
            chat = int(params.get("chat_id", 0))
            if method in ("sendMessage", "editMessageText"):
                if self.storm_left > 0:
                    self.storm_left -= 1
                    self.throttled += 1
                    return 429, {"ok": False, "error_code": 429,
                                 "description": f"Too Many Requests: retry after {self.storm_retry_after}",
                                 "parameters": {"retry_after": self.storm_retry_after}}
                if chat in self.blocked:
                    return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
                if chat in self.migrated:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded "
                                 "to a supergroup chat", "parameters": {"migrate_to_chat_id": self.migrated[chat]}}
            if method == "sendMessage":
                reply = (params.get("reply_parameters") or {}).get("message_id")
                sent = Sent(token, chat, str(params["text"]), len(self.sent) + 1, time.time(), reply)
                self.sent.append(sent)
                return 200, {"ok": True, "result": {"message_id": sent.message_id, "chat": {"id": chat},
                                                    "text": sent.text}}
            if method == "editMessageText":
                found = [s for s in self.sent if s.chat_id == chat and s.message_id == params.get("message_id")]
                if not found:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
                found[0].edits.append(str(params["text"]))
                return 200, {"ok": True, "result": {"message_id": found[0].message_id}}
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's naming
                _, _, rest = self.path.partition("/bot")
                token, _, method = rest.partition("/")
                length = int(self.headers.get("Content-Length") or 0)
                params = json.loads(self.rfile.read(length) or b"{}")
                answer = fake.answer(token, method, params)
                if answer is None:  # a dropped connection: no answer at all
                    self.close_connection = True
                    self.connection.close()
                    return
                status, body = answer
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 — quiet
                pass

        return Handler
