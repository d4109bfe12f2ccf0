"""What a kill takes back: the killed text from every surface a subscriber can
still read.

The kill notice itself carries only the story's uri, version and ``pubStatus``;
the live streams (the SSE history a client can replay with ``Last-Event-ID``) lose
every earlier entry of the story, found by the ids its writes remembered; the read
model keeps no enrichment of it.
"""
from __future__ import annotations

from typing import Any

from shared.trends import COUNTED

# A story's item hash remembers its entries in each live stream: the field
# ``live:<stream key>``, the entry ids newest last, space-separated (the read model's
# write keeps them, :mod:`services.publishing.read_model.writer`). A kill deletes
# exactly those: scanning the streams for the story would make every kill, even of a
# uri never published, read every subscriber's whole history (items included).
# KEYS[1]: the killed story's item hash; KEYS[2..]: the live streams to purge of it.
# Deletes the entries remembered for each, then forgets every remembered entry (those
# of a stream not named went with a deleted subscription). Returns how many it deleted.
PURGE_LIVE = """
local removed = 0
for i = 2, #KEYS do
  local ids = redis.call('HGET', KEYS[1], 'live:' .. KEYS[i])
  if ids then
    local list = {}
    for id in string.gmatch(ids, '%S+') do list[#list + 1] = id end
    removed = removed + redis.call('XDEL', KEYS[i], unpack(list))
  end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 5) == 'live:' then redis.call('HDEL', KEYS[1], field) end
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
