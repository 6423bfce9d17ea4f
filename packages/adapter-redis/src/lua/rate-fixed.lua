-- rate-fixed.lua: fixed-window hit, the Lua twin of fixedWindow() in core's
-- domain/rate-limit-algorithms.ts (same integers, same definitions). One atomic round trip.
-- KEYS[1] state HASH {<prefix>:rl:<key>}: one field, named by the window start (decimal
--         epoch ms), holding that window's count; it expires at the window's end.
-- ARGV[1] limit, ARGV[2] windowMs, ARGV[3] cost
-- Returns {allowed (1/0), remaining, retryAfterMs, resetAt}.
-- Commands within a window: TIME, HINCRBY (and HINCRBY back on a denial: the count is
-- unchanged when the script ends). The first hit of a window also runs HLEN and PEXPIREAT,
-- and, when the hash holds anything else (an older window, another algorithm's fields, or
-- the fields a/ws/c of the earlier layout), HMGET, DEL and HSET: a count the earlier
-- layout holds for this window is carried over, so an upgrade never forgets live hits.
-- Exactness does not depend on the expiry: an older window's field is never read as this
-- window's count, because the field name is the window start.
local limit, W, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local ws = now - (now % W)
local reset_at = ws + W
-- Denied whatever the count (core: retryAfterMs = windowMs); nothing is read or written.
if cost > limit then return { 0, 0, W, reset_at } end
local field = int(ws)
local count = redis.call('HINCRBY', KEYS[1], field, cost)
if count == cost and redis.call('HLEN', KEYS[1]) > 1 then
  -- The first hit of this window on a hash holding something else: keep only this window.
  local old = redis.call('HMGET', KEYS[1], 'a', 'ws', 'c')
  local carried = 0
  if old[1] == 'fixed' and tonumber(old[2]) == ws then carried = tonumber(old[3]) end
  count = carried + cost
  redis.call('DEL', KEYS[1])
  if count <= limit then
    redis.call('HSET', KEYS[1], field, int(count))
  else
    redis.call('HSET', KEYS[1], field, int(carried)) -- carried >= 1 here, as cost <= limit
  end
  redis.call('PEXPIREAT', KEYS[1], int(reset_at))
elseif count == cost then
  -- The first hit of this window on a fresh key: it lives until the window ends.
  redis.call('PEXPIREAT', KEYS[1], int(reset_at))
elseif count > limit then
  -- Over the limit: take the cost back, the count is what it was before this hit.
  redis.call('HINCRBY', KEYS[1], field, -cost)
  return { 0, 0, reset_at - now, reset_at }
end
if count > limit then return { 0, 0, reset_at - now, reset_at } end
return { 1, limit - count, 0, reset_at }
