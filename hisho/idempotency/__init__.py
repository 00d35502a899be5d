"""Idempotent retries of creating POSTs (API.md, "Errors and retries"; issue 14).

A client sends `Idempotency-Key: <1–255 printable ASCII>` (IETF httpapi
idempotency-key draft). The first request with a key claims it; its 2xx answer is
recorded as the created object's id — never the response body, which may hold
customer content — in the same transaction as the object itself. A retry with the same
key and the same request (method, path and body) from the same person within 24 hours
gets the first answer again, re-rendered from the object through the usual access
checks, with `Idempotent-Replayed: true`, and nothing is written twice. The same key
with another request is 422; while the first is still running, 409.

A claim whose request died with its process (a crash, a kill) is taken over once its
lease ends; the takeover is fenced: the old attempt can no longer complete, so its
write, should it ever reach the database, rolls back with it.

Records expire through the privacy retention job (policy.yaml, `retention.idempotency`).
"""
