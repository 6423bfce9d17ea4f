-- queue-dead-page.lua: a page of dead letters after a paging position (read only, but for the one-time upgrade of an old dead-letter list).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal, deadnew)
-- ARGV[1] after: the position after which to read (0 = from the oldest)
-- ARGV[2] limit
-- Returns a flat list {id1, position1, entry1, id2, position2, entry2, ...} (entry JSON, or
-- false when missing), oldest first.
upgrade_deadids()
local ids = redis.call('ZRANGEBYSCORE', K_DEADIDS, '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', K_DEAD, ids[i])
end
return out
