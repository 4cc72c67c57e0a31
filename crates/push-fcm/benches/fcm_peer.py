"""Peer for `cargo xtask bench fcm`: the official firebase-admin Python SDK
sending the bench's messages to the loopback fake FCM with `send_each`
(batches of 500, the SDK's maximum). The SDK has no endpoint setting, so
the FCM URL class attributes are pointed at the fake; the key file's
`token_uri` points at the fake's token endpoint.

Usage: fcm_peer.py KEY_FILE BASE_URL COUNT; prints `messages_per_s <rate>`.
"""

import sys
import time
import warnings

import firebase_admin
from firebase_admin import credentials, messaging


def message(i):
    return messaging.Message(
        token=f"bench-token-{i:05d}-" + "x" * 140,
        data={
            "what": "msg",
            "topic": "grpQuickBrownFox",
            "ts": "2024-01-02T03:04:05.678Z",
            "xfrom": "usrAlice",
            "seq": str(i + 1),
            "mime": "text/plain",
            "content": f"message number {i}: the quick brown fox jumps over the lazy dog",
        },
        android=messaging.AndroidConfig(priority="high", ttl=3600),
    )


def send_all(messages):
    ok = 0
    for start in range(0, len(messages), 500):
        ok += messaging.send_each(messages[start:start + 500]).success_count
    return ok


def main():
    # The bench addresses devices by registration token, as Tinode does.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    key, base, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    messaging._MessagingService.FCM_URL = base + "/v1/projects/{0}/messages:send"
    messaging._MessagingService.IID_URL = base
    firebase_admin.initialize_app(credentials.Certificate(key))
    messages = [message(i) for i in range(count)]
    send_all(messages[:500])  # warm-up: token, connections
    start = time.perf_counter()
    ok = send_all(messages)
    elapsed = time.perf_counter() - start
    if ok != count:
        print(f"only {ok} of {count} messages accepted", file=sys.stderr)
        sys.exit(1)
    print(f"messages_per_s {count / elapsed:.1f}")


if __name__ == "__main__":
    main()
