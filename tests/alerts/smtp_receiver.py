"""A minimal SMTP server on loopback (plain, no TLS): enough of RFC 5321 for smtplib to send
a message, with scripted replies to MAIL FROM for fault tests."""

from __future__ import annotations

import socketserver
from collections import deque
from email import message_from_bytes
from email.message import Message

from tests.loopback import LoopbackServer


class SmtpReceiver(LoopbackServer):
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.mail_replies: deque[str] = deque()  # e.g. "451 try later"; then "250 OK"
        self.logins: list[str] = []  # AUTH PLAIN credentials as sent (base64)
        self.auth_reply = "235 2.7.0 authenticated"
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost syncscope-test ESMTP")
                sender, rcpts = "", []
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-localhost")
                        self.reply("250 AUTH PLAIN")
                    elif verb == "AUTH":
                        receiver.logins.append(line.decode().split()[-1])
                        self.reply(receiver.auth_reply)
                    elif verb == "MAIL":
                        answer = receiver.mail_replies.popleft() if receiver.mail_replies else "250 OK"
                        sender = line.decode().split(":", 1)[1].strip()
                        self.reply(answer)
                    elif verb == "RCPT":
                        rcpts.append(line.decode().split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        receiver.messages.append(message_from_bytes(data))
                        receiver.envelopes.append((sender, rcpts))
                        self.reply("250 queued")
                    elif verb == "RSET":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.serve(Handler, socketserver.ThreadingTCPServer)
