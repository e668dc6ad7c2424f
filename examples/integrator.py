#!/usr/bin/env python3
"""An integration with the khuyến công registry, using only the standard library (and the
`standardwebhooks` package to check webhook signatures).

    # Follow the event feed: get a token, read every event after the last position handled,
    # remember where it stopped (in a file), and go on from there next time.
    python3 examples/integrator.py follow --base-url http://127.0.0.1:8080 \
        --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" --position-file feed.position

    # Check a webhook request saved as headers (JSON) and body.
    python3 examples/integrator.py verify --secret "$WEBHOOK_SECRET" --headers headers.json --body body.json

`follow` prints one line per event: position, type, entity, province. With `--once` it stops at
the end of the feed; without it, it waits and asks again, as a connector would.
"""

import argparse
import base64
import json
import pathlib
import sys
import time
import urllib.parse
import urllib.request


def token(base_url, client_id, client_secret, scope=None):
    """A short-lived access token (client credentials, RFC 6749 §4.4, HTTP Basic)."""
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    basic = base64.b64encode(
        f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret)}".encode()
    ).decode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request) as answer:
        body = json.load(answer)
    return body["access_token"], time.monotonic() + body["expires_in"] - 30


def events_after(base_url, access_token, after, types=None, limit=100):
    """One page of the feed: the events after `after` and the position to go on from."""
    query = {"after": after, "limit": limit}
    if types:
        query["types"] = ",".join(types)
    request = urllib.request.Request(
        f"{base_url}/api/v1/events?{urllib.parse.urlencode(query)}",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        page = json.load(answer)
    return page["items"], page["next_after"]


def follow(args):
    position_file = pathlib.Path(args.position_file)
    after = int(position_file.read_text()) if position_file.exists() else 0
    access_token, expires = token(args.base_url, args.client_id, args.client_secret)
    while True:
        if time.monotonic() > expires:
            access_token, expires = token(args.base_url, args.client_id, args.client_secret)
        items, after = events_after(args.base_url, access_token, after, args.types)
        for event in items:
            # Handle the event here; this example prints it.
            print(event["position"], event["type"], event["entity_type"], event["entity_id"],
                  event["province_code"] or "-", flush=True)
        # Saved after the events are handled: a connector that stops resumes without a gap
        # (an event may be handled twice, never missed).
        position_file.write_text(str(after))
        if not items:
            if args.once:
                return
            time.sleep(args.wait)


def verify(args):
    from standardwebhooks.webhooks import Webhook

    headers = json.loads(pathlib.Path(args.headers).read_text())
    body = pathlib.Path(args.body).read_bytes()
    # Raises WebhookVerificationError for a wrong signature or a timestamp older than 5 minutes.
    event = Webhook(args.secret).verify(body, headers)
    print("verified", event["type"], event["data"]["position"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    feed = commands.add_parser("follow", help="follow the event feed")
    feed.add_argument("--base-url", default="http://127.0.0.1:8080")
    feed.add_argument("--client-id", required=True)
    feed.add_argument("--client-secret", required=True)
    feed.add_argument("--position-file", default="feed.position")
    feed.add_argument("--types", nargs="*", help="event types, e.g. project.created disbursement.recorded")
    feed.add_argument("--once", action="store_true", help="stop at the end of the feed")
    feed.add_argument("--wait", type=float, default=5.0, help="seconds between reads at the end")
    check = commands.add_parser("verify", help="check a webhook request's signature")
    check.add_argument("--secret", required=True)
    check.add_argument("--headers", required=True, help="a JSON object of the request's headers")
    check.add_argument("--body", required=True, help="the request's body, as received")
    args = parser.parse_args()
    {"follow": follow, "verify": verify}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
