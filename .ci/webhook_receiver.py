#!/usr/bin/env python3
"""The webhook receiver of .ci/webhooks, and the checks that script makes on what it received.

Signatures are checked with the `standardwebhooks` package (the specification's reference Python
library), as an integrator would check them, never with code of the registry.

    serve --port-file F --secret-file S --log L [--fail-first 2] [--save-headers H --save-body B]
        An HTTP receiver on 127.0.0.1 (a free port, written to F once it listens). It answers 500
        to the first --fail-first POSTs and 204 to later ones. For every POST it verifies the
        signature with the secret in S (read again at each request: the subscription, which makes
        the secret, is created after the receiver starts) and checks that the same headers do NOT
        verify a body with one byte changed, then appends one JSON line to L. The first request it
        answers 204 is also saved as received, for the integrator example's `verify`: its headers
        (a JSON object of them all) in H, its raw body in B, both written before the log line.
    selftest
        Checks the verification above (and the receiver over HTTP) with messages signed by
        standardwebhooks' own Webhook.sign, so a check that cannot fail is caught before use.
    check-log L --stopped-after N
        The requests L holds: 500, 500 then 204, every one verified (and its tampered copy
        rejected), one webhook-id `evt_<position>`, a programme.created event about a programme,
        and the 204 sent by the restarted server (N: lines logged when the first server had
        stopped).
    check-deliveries ANSWER L
        GET /api/v1/webhooks/{id}/deliveries (saved in ANSWER): one delivery of the logged event,
        `delivered` after 3 attempts answered 500, 500, 204.
    get FILE PATH
        Prints one value of a JSON file (PATH like items.0.state), nothing when it is absent; so
        the script needs no jq.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Mapping


# ---------------------------------------------------------------------------------------------
# Verification


def tamper(body: bytes) -> bytes | None:
    """The body with one byte changed: an ASCII byte from the middle on, its lowest bit flipped,
    so the result is still UTF-8 (the library decodes the body before it checks it)."""
    n = len(body)
    for k in range(n):
        i = (n // 2 + k) % n
        if body[i] < 0x80:
            return body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
    return None


def verify(secret: str | None, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Whether `standardwebhooks` accepts the request, and rejects it with one body byte changed."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    result: dict[str, Any] = {"verified": False, "tampered_rejected": False, "error": None}
    if not secret:
        result["error"] = "no subscription secret yet"
        return result
    try:
        hook = Webhook(secret)
    except Exception as e:  # noqa: BLE001 - whatever a bad secret raises is a failed check
        result["error"] = f"secret not usable: {type(e).__name__}: {e}"
        return result
    headers = dict(headers)
    try:
        hook.verify(body, headers)
        result["verified"] = True
    except Exception as e:  # noqa: BLE001 - WebhookVerificationError, or a malformed header/body
        result["error"] = f"{type(e).__name__}: {e}"
    changed = tamper(body)
    if changed is None:
        result["tamper_error"] = "the body has no byte to change"
        return result
    try:
        hook.verify(changed, headers, json_parse=False)
        result["tamper_error"] = "a body with one byte changed verified too"
    except WebhookVerificationError:
        result["tampered_rejected"] = True
    except Exception as e:  # noqa: BLE001 - rejected, but not because the signature differs
        result["tamper_error"] = f"{type(e).__name__}: {e}"
    return result


# ---------------------------------------------------------------------------------------------
# Receiver


class Receiver(HTTPServer):
    """One request at a time (HTTPServer is not threaded), so attempts are numbered in order."""

    def __init__(
        self,
        secret_file: Path,
        log: Path,
        fail_first: int,
        save_headers: Path | None = None,
        save_body: Path | None = None,
    ):
        super().__init__(("127.0.0.1", 0), Handler)
        self.secret_file = secret_file
        self.log = log
        self.fail_first = fail_first
        self.save_headers = save_headers
        self.save_body = save_body
        self.saved = False
        self.posts = 0
        self.quiet = False
        log.touch()


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        received_at = time.time()
        self.server.posts += 1
        attempt = self.server.posts
        status = 500 if attempt <= self.server.fail_first else 204
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            secret = self.server.secret_file.read_text().strip()
        except FileNotFoundError:
            secret = None
        entry: dict[str, Any] = {"attempt": attempt, "status": status}
        # All the request's headers, as a web framework would hand them over.
        entry.update(verify(secret, body, dict(self.headers.items())))
        entry["webhook_id"] = self.headers.get("webhook-id")
        entry["webhook_timestamp"] = self.headers.get("webhook-timestamp")
        try:
            message = json.loads(body)
            data = message.get("data") or {}
            entry.update(
                type=message.get("type"),
                entity_type=data.get("entity_type"),
                entity_id=data.get("entity_id"),
                position=data.get("position"),
            )
        except (ValueError, AttributeError) as e:
            entry["body_error"] = f"{type(e).__name__}: {e}"
        entry["path"] = self.path
        entry["received_at"] = received_at
        if status == 204 and not self.server.saved and self.server.save_headers and self.server.save_body:
            # The first request answered 204, exactly as received; saved before the log line, so
            # both files are there once the script sees a 204 in the log.
            write_whole(self.server.save_headers,
                        json.dumps(dict(self.headers.items()), ensure_ascii=False, indent=2).encode())
            write_whole(self.server.save_body, body)
            self.server.saved = True
        # Logged before answering: once the script sees the line, the answer is on its way.
        with self.server.log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        answer = b"not yet\n" if status >= 300 else b""
        self.send_response(status)
        if answer:
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        if not self.server.quiet:
            sys.stderr.write("receiver: " + (format % args) + "\n")


def write_whole(path: Path, data: bytes) -> None:
    """Whole or absent: written beside it, then renamed."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def serve(args: argparse.Namespace) -> int:
    if (args.save_headers is None) != (args.save_body is None):
        print("--save-headers and --save-body go together", file=sys.stderr)
        return 2
    receiver = Receiver(
        Path(args.secret_file),
        Path(args.log),
        args.fail_first,
        Path(args.save_headers) if args.save_headers else None,
        Path(args.save_body) if args.save_body else None,
    )
    port_file = Path(args.port_file)
    partial = port_file.with_name(port_file.name + ".partial")
    partial.write_text(f"{receiver.server_address[1]}\n")
    partial.replace(port_file)  # whole or absent: the script reads it as soon as it appears
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# Checks


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def describe(e: dict[str, Any]) -> str:
    return (
        f"request {e.get('attempt')}: answered {e.get('status')}, webhook-id {e.get('webhook_id')}, "
        f"verified {e.get('verified')}, tampered copy rejected {e.get('tampered_rejected')}, "
        f"type {e.get('type')}, entity_type {e.get('entity_type')}"
    )


def log_problems(entries: list[dict[str, Any]], stopped_after: int) -> list[str]:
    problems: list[str] = []
    if not entries:
        return ["the receiver got no request"]
    first_ok = next((i for i, e in enumerate(entries) if e.get("status") == 204), None)
    if first_ok is None:
        problems.append("no request was answered 204")
    else:
        statuses = [e.get("status") for e in entries[: first_ok + 1]]
        if statuses != [500, 500, 204]:
            problems.append(f"answers up to the first 204 were {statuses}, expected [500, 500, 204]")
    for e in entries:
        if e.get("verified") is not True:
            problems.append(f"request {e.get('attempt')} did not verify: {e.get('error')}")
        if e.get("tampered_rejected") is not True:
            problems.append(
                f"request {e.get('attempt')}: a copy with one body byte changed was not rejected "
                f"({e.get('tamper_error')})"
            )
        if e.get("body_error"):
            problems.append(f"request {e.get('attempt')}: the body is not the expected JSON: {e['body_error']}")
    ids = sorted({str(e.get("webhook_id")) for e in entries})
    if len(ids) != 1:
        problems.append(f"the requests carry different webhook-ids: {ids}")
    first = entries[0]
    if not re.fullmatch(r"evt_[0-9]+", str(first.get("webhook_id"))):
        problems.append(f"webhook-id {first.get('webhook_id')!r} is not evt_<position>")
    elif first.get("webhook_id") != f"evt_{first.get('position')}":
        problems.append(f"webhook-id {first.get('webhook_id')} but data.position {first.get('position')}")
    for e in entries:
        if e.get("entity_type") != "programme":
            problems.append(f"request {e.get('attempt')}: data.entity_type is {e.get('entity_type')!r}, not 'programme'")
        if e.get("type") != "programme.created":
            problems.append(f"request {e.get('attempt')}: type is {e.get('type')!r}, not 'programme.created'")
        if e.get("path") != "/hook":
            problems.append(f"request {e.get('attempt')}: posted to {e.get('path')!r}, not '/hook'")
    # The point of the restart: the first server made at least one attempt, the restarted one the
    # successful attempt.
    if stopped_after < 1:
        problems.append("the first server was stopped before the receiver logged an attempt")
    if first_ok is not None and first_ok + 1 <= stopped_after:
        problems.append(
            f"the successful attempt ({first_ok + 1}) was made before the restart (after attempt "
            f"{stopped_after}), so the restart did not fall between attempts"
        )
    return problems


def check_log(args: argparse.Namespace) -> int:
    entries = read_log(Path(args.log))
    for e in entries:
        print("  " + describe(e))
    first_ok = next((i for i, e in enumerate(entries) if e.get("status") == 204), None)
    if first_ok is not None and len(entries) > first_ok + 1:
        # At least once: a repeat is allowed by the contract, but worth seeing.
        print(f"  note: {len(entries) - first_ok - 1} request(s) after the first 204")
    problems = log_problems(entries, args.stopped_after)
    for p in problems:
        print(f"  problem: {p}", file=sys.stderr)
    return 1 if problems else 0


def deliveries_problems(page: Any, entries: list[dict[str, Any]]) -> list[str]:
    items = page.get("items") if isinstance(page, dict) else None
    if not isinstance(items, list):
        return [f"the deliveries answer has no items list: {json.dumps(page)[:500]}"]
    if len(items) != 1:
        return [f"expected one delivery, got {len(items)}: {json.dumps(items)[:1000]}"]
    d = items[0]
    problems = []
    position = entries[0].get("position") if entries else None
    if d.get("event_position") != position:
        problems.append(f"event_position {d.get('event_position')}, but the receiver got position {position}")
    if d.get("event_type") not in (None, "programme.created"):
        problems.append(f"event_type {d.get('event_type')!r}, not 'programme.created'")
    if d.get("state") != "delivered":
        problems.append(f"state {d.get('state')!r}, not 'delivered'")
    if d.get("attempts") != 3:
        problems.append(f"attempts {d.get('attempts')!r}, not 3")
    answers = d.get("answers")
    statuses = [a.get("status") for a in answers] if isinstance(answers, list) else answers
    if statuses != [500, 500, 204]:
        problems.append(f"answers' statuses {statuses}, not [500, 500, 204] (answers: {json.dumps(answers)[:1000]})")
    return problems


def check_deliveries(args: argparse.Namespace) -> int:
    page = json.loads(Path(args.answer).read_text(encoding="utf-8"))
    problems = deliveries_problems(page, read_log(Path(args.log)))
    for p in problems:
        print(f"  problem: {p}", file=sys.stderr)
    if not problems:
        d = page["items"][0]
        print(f"  delivery {d.get('id')}: {d.get('state')}, attempts {d.get('attempts')}, "
              f"answers {[a.get('status') for a in d['answers']]}")
    return 1 if problems else 0


def get(args: argparse.Namespace) -> int:
    value: Any = json.loads(Path(args.file).read_text(encoding="utf-8"))
    for key in args.path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return 0
    if value is not None:
        print(value if isinstance(value, str) else json.dumps(value))
    return 0


# ---------------------------------------------------------------------------------------------
# Self-test


def selftest(_: argparse.Namespace) -> int:
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    from standardwebhooks.webhooks import Webhook

    failures: list[str] = []

    def expect(what: str, ok: bool) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    # The library signs the example that src/webhooks/signature.rs signs in its unit test.
    example = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, tz=timezone.utc), '{"test": 2432232314}'
    )
    expect("the library signs the registry's test vector alike",
           example == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    other = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    body = json.dumps(
        {"type": "programme.created", "timestamp": "2026-01-01T00:00:00Z",
         "data": {"position": 7, "type": "programme.created", "entity_type": "programme", "entity_id": "1",
                  "payload": {"name": "Chương trình khuyến công 2026-2030"}}},
        ensure_ascii=False,
    ).encode()

    def headers(msg_id: str, at: datetime, signed_by: str = secret, data: bytes = body) -> dict[str, str]:
        return {
            "Webhook-Id": msg_id,  # any case: frameworks differ
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(signed_by).sign(msg_id, at, data.decode()),
        }

    now = datetime.now(tz=timezone.utc)
    changed = tamper(body)
    expect("tamper changes exactly one byte, still UTF-8",
           changed is not None and len(changed) == len(body)
           and sum(a != b for a, b in zip(body, changed)) == 1 and bool(changed.decode()))
    r = verify(secret, body, headers("evt_7", now))
    expect("a correctly signed message verifies", r["verified"] and r["error"] is None)
    expect("its copy with one byte changed is rejected", r["tampered_rejected"])
    r = verify(other, body, headers("evt_7", now))
    expect("another secret does not verify it", not r["verified"])
    h = headers("evt_7", now)
    h["Webhook-Id"] = "evt_8"
    expect("another webhook-id does not verify it", not verify(secret, body, h)["verified"])
    expect("a timestamp 10 minutes old does not verify",
           not verify(secret, body, headers("evt_7", now - timedelta(minutes=10)))["verified"])
    expect("no secret: not verified", not verify(None, body, headers("evt_7", now))["verified"])
    unsigned = headers("evt_7", now)
    del unsigned["webhook-signature"]
    expect("no signature header: not verified", not verify(secret, body, unsigned)["verified"])

    # The receiver over HTTP: 500, 500, 204, each request logged as verified; then a forged one.
    with tempfile.TemporaryDirectory() as tmp:
        secret_file, log = Path(tmp, "secret"), Path(tmp, "log.jsonl")
        saved_headers, saved_body = Path(tmp, "headers.json"), Path(tmp, "body.json")
        secret_file.write_text(secret + "\n")
        receiver = Receiver(secret_file, log, 2, saved_headers, saved_body)
        receiver.quiet = True
        thread = threading.Thread(target=receiver.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"

            def post(h: dict[str, str], data: bytes = body) -> int:
                try:
                    with urlopen(Request(url, data=data, headers=h, method="POST"), timeout=5) as answer:
                        return answer.status
                except HTTPError as e:
                    return e.code

            statuses = [post(headers("evt_7", datetime.now(tz=timezone.utc))) for _ in range(3)]
            expect("the receiver answers 500, 500, 204", statuses == [500, 500, 204])
            saved = (json.loads(saved_headers.read_text(encoding="utf-8"))
                     if saved_headers.exists() and saved_body.exists() else {})
            expect("it saves the request answered 204: its body as sent",
                   saved_body.exists() and saved_body.read_bytes() == body)
            expect("and its headers, with which the saved body verifies",
                   isinstance(saved, dict) and bool(saved) and saved_body.exists()
                   and verify(secret, saved_body.read_bytes(), saved)["verified"])
            entries = read_log(log)
            expect("check-log accepts them (restart after the first)", log_problems(entries, 1) == [])
            expect("check-log refuses a restart after the 204", log_problems(entries, 3) != [])
            page = {"items": [{"id": 1, "event_position": 7, "event_type": "programme.created",
                               "state": "delivered", "attempts": 3,
                               "answers": [{"status": 500}, {"status": 500}, {"status": 204}]}],
                    "next_cursor": None}
            expect("check-deliveries accepts the expected delivery", deliveries_problems(page, entries) == [])
            page["items"][0]["attempts"] = 2
            expect("check-deliveries refuses 2 attempts", deliveries_problems(page, entries) != [])
            forged = body.replace(b'"1"', b'"2"')
            post(headers("evt_7", datetime.now(tz=timezone.utc)), forged)
            last = read_log(log)[-1]
            expect("a body changed after signing is logged as not verified", last["verified"] is False)
            expect("check-log then fails", log_problems(read_log(log), 1) != [])
            expect("a later request answered 204 does not replace the saved one",
                   saved_body.exists() and saved_body.read_bytes() == body)
        finally:
            receiver.shutdown()
            receiver.server_close()

    if failures:
        print(f"selftest: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("selftest: the receiver's verification works")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve")
    p.add_argument("--port-file", required=True)
    p.add_argument("--secret-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fail-first", type=int, default=2)
    p.add_argument("--save-headers", help="where to save the headers of the first request answered 204 (JSON)")
    p.add_argument("--save-body", help="where to save the raw body of the first request answered 204")
    p.set_defaults(run=serve)
    p = commands.add_parser("selftest")
    p.set_defaults(run=selftest)
    p = commands.add_parser("check-log")
    p.add_argument("log")
    p.add_argument("--stopped-after", type=int, required=True)
    p.set_defaults(run=check_log)
    p = commands.add_parser("check-deliveries")
    p.add_argument("answer")
    p.add_argument("log")
    p.set_defaults(run=check_deliveries)
    p = commands.add_parser("get")
    p.add_argument("file")
    p.add_argument("path")
    p.set_defaults(run=get)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
