"""Web Push that carries no content (issue 17; docs/notifications.md).

A browser subscribes (hisho.push.api); when something happens on an errand, its
participants' subscriptions get a push whose encrypted payload is only
`{"type": <event kind>, "errand": <id>}` (hisho.push.send). The service worker
(hisho/templates/push/sw.js) shows a generic notification and opens the errand in Hisho,
where everything else is read — the push service never sees a word of it.
"""
