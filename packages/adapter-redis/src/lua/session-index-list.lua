-- session-index-list.lua: prunes expired entries, then pages the tenant's session ids.
-- KEYS[1] exp ZSET, KEYS[2] lex ZSET (see session-index-add.lua)
-- ARGV[1] cursor (the last id of the previous page, '' = from the start), ARGV[2] count
-- Returns up to `count` ids after the cursor, in id (byte) order.
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 1000)
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
local from = '-'
if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
return redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))
