-- queue-dead-processed.lua: marks dead letters processed (they stay in dead/deadids).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal, deadnew)
-- ARGV[1..n] dead-letter ids. Processed ids are read from the head of the list, so each
-- LREM stops after a few elements.
-- Returns how many ids were unprocessed.
local marked = 0
for i = 1, #ARGV do
  marked = marked + redis.call('LREM', K_DEADNEW, 1, ARGV[i])
end
return marked
