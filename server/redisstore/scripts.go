package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts that make each operation atomic. Every script touches
// only the keys of one session, which share the hash tag {sid}, so they run
// on Redis Cluster too. Seqs are Lua numbers (doubles): exact up to 2^53,
// the protocol's limit on SSE and long-polling (PROTOCOL.md 6.1); s()
// formats them without an exponent.
//
// Meta hash fields: k key, e established, r remote (JSON), f lease fence,
// c closed, cc cr cb cx close code, reason, by client, expired; per
// direction (o to the client, i to the server) l last seq, a acked, b bytes.
// Stream entry ids are 0-<seq>, fields b (binary) and d (data).

const luaHelpers = `
local function s(x) return string.format('%d', x) end
local function num(k, f) return tonumber(redis.call('HGET', k, f) or '0') end
-- ack drops the entries of direction p up to n: 1 done (or stale), -5 ahead.
local function ack(meta, stream, p, n)
  local last, acked, bytes = num(meta, p..'l'), num(meta, p..'a'), num(meta, p..'b')
  if n > last then return -5 end
  if n <= acked then return 1 end
  local freed = 0
  for _, e in ipairs(redis.call('XRANGE', stream, '0-'..s(acked + 1), '0-'..s(n))) do
    local f = e[2]
    for i = 1, #f, 2 do if f[i] == 'd' then freed = freed + string.len(f[i + 1]) end end
  end
  redis.call('XTRIM', stream, 'MINID', '0-'..s(n + 1))
  redis.call('HSET', meta, p..'a', s(n), p..'b', s(bytes - freed))
  return 1
end
`

// KEYS meta; ARGV key, remote, ttl ms. 0: exists.
var scriptCreate = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'k', ARGV[1], 'e', '0', 'r', ARGV[2], 'f', '0', 'c', '0',
  'ol', '0', 'oa', '0', 'ob', '0', 'il', '0', 'ia', '0', 'ib', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// KEYS meta, out, in; ARGV ttl ms. 0: not found. An ended session keeps
// its grace period.
var scriptTouch = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'c') == '1' then return 1 end
redis.call('HSET', KEYS[1], 'e', '1')
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
`)

// KEYS meta, out, in; ARGV code, reason, by client, expired, grace ms,
// wake channel. {0}: not found; {1, code, reason, by, expired}: ended
// before; {2}: ended now.
var scriptEnd = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HGET', KEYS[1], 'c') == '1' then
  local v = redis.call('HMGET', KEYS[1], 'cc', 'cr', 'cb', 'cx')
  return {1, v[1], v[2], v[3], v[4]}
end
redis.call('HSET', KEYS[1], 'c', '1', 'cc', ARGV[1], 'cr', ARGV[2], 'cb', ARGV[3], 'cx', ARGV[4])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
redis.call('PUBLISH', ARGV[6], 'e')
return {2}
`)

// KEYS meta, stream, the to-server stream; ARGV dir (o|i), seq (0:
// assign), binary, data, max bytes, fence (0: none), wake channel, ack of
// the to-server direction (0: none).
// {1, seq}: appended; {0, seq}: duplicate; -1 not found, -2 lease lost,
// -3 gap, -4 full, -5 ack ahead.
var scriptAppend = redis.NewScript(luaHelpers + `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local p = ARGV[1]
if ARGV[6] ~= '0' and redis.call('HGET', KEYS[1], 'f') ~= ARGV[6] then return {-2, 0} end
local ackIn = tonumber(ARGV[8])
if ackIn > 0 and ackIn > num(KEYS[1], 'il') then return {-5, 0} end
local last, acked, bytes = num(KEYS[1], p..'l'), num(KEYS[1], p..'a'), num(KEYS[1], p..'b')
local n = tonumber(ARGV[2])
if n == 0 then n = last + 1
elseif n <= last then
  if ackIn > 0 then ack(KEYS[1], KEYS[3], 'i', ackIn) end
  return {0, n}
elseif n > last + 1 then return {-3, last} end
local size = string.len(ARGV[4])
if last > acked and bytes + size > tonumber(ARGV[5]) then return {-4, last} end
if ackIn > 0 then ack(KEYS[1], KEYS[3], 'i', ackIn) end
redis.call('XADD', KEYS[2], '0-'..s(n), 'b', ARGV[3], 'd', ARGV[4])
redis.call('HSET', KEYS[1], p..'l', s(n), p..'b', s(bytes + size))
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('PUBLISH', ARGV[7], p)
return {1, n}
`)

// KEYS meta, stream; ARGV from seq, count. 0: not found; else the entries.
var scriptRead = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('XRANGE', KEYS[2], '0-'..ARGV[1], '+', 'COUNT', ARGV[2])
`)

// KEYS meta, stream; ARGV dir, n, wake channel. 1 done (or stale), -1 not
// found, -5 ahead.
var scriptAck = redis.NewScript(luaHelpers + `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local r = ack(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
if r == 1 then redis.call('PUBLISH', ARGV[3], ARGV[1]) end
return r
`)

// KEYS meta, lease; ARGV node, ttl ms. -1 not found, 0 held, else the token.
var scriptAcquire = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local t = redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('SET', KEYS[2], ARGV[1]..'|'..t, 'PX', ARGV[2])
return t
`)

// KEYS lease; ARGV holder, ttl ms. 1 renewed, 0 lost.
var scriptRenew = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// KEYS lease; ARGV holder, wake channel.
var scriptRelease = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'l')
return 1
`)
