"""What a kill takes back: the killed text from every surface a subscriber can
still read.

The kill notice itself carries only the story's uri, version and ``pubStatus``;
the live streams (the SSE history a client can replay with ``Last-Event-ID``) lose
every earlier entry of the story; the read model keeps no enrichment of it.
"""
from __future__ import annotations

from typing import Any

from shared.trends import COUNTED

# KEYS: the live streams to purge. ARGV[1]: the killed article id.
# Scans each stream (capped at WIRE_LIVE_STREAM_MAX entries) and deletes the story's entries.
PURGE_LIVE = """
local removed = 0
for _, key in ipairs(KEYS) do
  for _, entry in ipairs(redis.call('XRANGE', key, '-', '+')) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'article_id' and fields[i + 1] == ARGV[1] then
        redis.call('XDEL', key, entry[1])
        removed = removed + 1
      end
    end
  end
end
return removed
"""


def kill_notice(item: dict[str, Any]) -> dict[str, Any]:
    """The ninjs kill notice of ``item``: uri, version and pubStatus, nothing a reader
    could read the killed story from."""
    return {"uri": item["uri"], "version": str(item.get("version", "1")), "pubStatus": "canceled"}


def retracted_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The read model's pipeline data of a killed item, without what enrichment found
    in its text (entities, quotes, summary…) nor the entities the trends counted for it
    (taken back in the kill's own transaction)."""
    return {k: v for k, v in meta.items() if k not in ("enrichment", COUNTED)}
