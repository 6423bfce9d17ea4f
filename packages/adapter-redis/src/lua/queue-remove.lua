-- queue-remove.lua: removes a ready, delayed or leased message by id.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id
-- Returns 1 when it was there, else 0.
local id = ARGV[1]
local m = get_meta(id)
local found = redis.call('HEXISTS', K_BODY, id) + redis.call('HEXISTS', K_META, id)
if m then redis.call('ZREM', K_READY, m.r) end
found = found + redis.call('ZREM', K_DELAYED, id) + redis.call('ZREM', K_LEASED, id)
forget(id)
cleanup_if_empty()
if found > 0 then return 1 end
return 0
