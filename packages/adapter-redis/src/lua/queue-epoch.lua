-- queue-epoch.lua: the store's generation marker, created when missing.
-- KEYS[1] the epoch key ({<prefix>:epoch})
-- ARGV[1] a fresh random marker, used only when the key is missing (a new or wiped store)
-- Returns the marker.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
