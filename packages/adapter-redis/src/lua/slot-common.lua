-- slot-common.lua: prepended (after common-time.lua) to the slot scripts that write; not run alone.
-- KEYS[1] slots ZSET     {<prefix>:sl:<key>}:    holder -> expiry (epoch ms, server time)
-- KEYS[2] confirmed ZSET {<prefix>:sl:<key>}:at: holder -> last acquire/refresh (epoch ms,
--         server time; 0 = added by reconcile, never confirmed by its holder)
-- Both keys share a hash tag (one Cluster slot) and the same PEXPIRE.

-- Drops the holders whose expiry is at or before `now` from both sets.
local function drop_expired(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  if #gone == 0 then return end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for i = 1, #gone, 1000 do
    redis.call('ZREM', KEYS[2], unpack(gone, i, math.min(i + 999, #gone)))
  end
end

-- Sets both keys to expire with their last holder (or deletes the confirmation set when empty).
local function expire_with_last(now)
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] == nil then
    redis.call('DEL', KEYS[2])
    return
  end
  local ms = int(math.max(1, tonumber(last[2]) - now))
  redis.call('PEXPIRE', KEYS[1], ms)
  redis.call('PEXPIRE', KEYS[2], ms)
end
