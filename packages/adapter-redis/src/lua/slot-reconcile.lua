-- slot-reconcile.lua: brings a key's holders in line with the source of truth, atomically
-- (see RateLimitStore.reconcileSlots for why this cannot drop a holder in flight).
-- Holders in `present` keep or get a slot expiring no earlier than now + ttlMs (new ones
-- stamped 0: never confirmed). Holders absent from `present` are removed only when their
-- confirmation time is at or before now - graceMs; one without a stamp (written by an
-- older version) is stamped now and kept.
-- KEYS[1] slots ZSET, KEYS[2] confirmed ZSET (see slot-common.lua)
-- ARGV[1] ttlMs, ARGV[2] graceMs, ARGV[3..] present holders (distinct)
-- Returns {added, removed}.
local now = now_ms()
drop_expired(now)
local expires = now + tonumber(ARGV[1])
local cutoff = now - tonumber(ARGV[2])
local listed = {}
for i = 3, #ARGV do listed[ARGV[i]] = true end
local removed = 0
for _, holder in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not listed[holder] then
    local at = redis.call('ZSCORE', KEYS[2], holder)
    if not at then
      redis.call('ZADD', KEYS[2], now, holder)
    elseif tonumber(at) <= cutoff then
      redis.call('ZREM', KEYS[1], holder)
      redis.call('ZREM', KEYS[2], holder)
      removed = removed + 1
    end
  end
end
local added = 0
for i = 3, #ARGV do
  local current = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not current then
    added = added + 1
    redis.call('ZADD', KEYS[2], 0, ARGV[i])
  end
  if not current or tonumber(current) < expires then redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
end
expire_with_last(now)
return { added, removed }
