-- queue-dead-letters.lua: the oldest dead letters of one queue (read only, but for the one-time upgrade of an old dead-letter list).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] limit
-- Returns a flat list {id1, entry1, id2, entry2, ...} (entry JSON, or false when missing).
upgrade_deadids()
local ids = redis.call('ZRANGE', K_DEADIDS, 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', K_DEAD, id)
end
return out
