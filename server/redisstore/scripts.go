package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts that make each operation atomic. Every script touches
// only the keys of one session, which share the hash tag {sid}, so they run
// on Redis Cluster too. Seqs are Lua numbers (doubles): exact up to 2^53,
// the protocol's limit on SSE and long-polling (PROTOCOL.md 6.1); s()
// formats them without an exponent.
//
// Meta hash fields: v version (one more with each change), k key, e
// established, r remote (JSON), a auth (as
// Options.SharedAuth encoded it; absent: none), f lease fence,
// c closed, cc cr cb cx close code, reason, by client, expired; per
// direction (o to the client, i to the server) l last seq, a acked, b bytes.
// Stream entry ids are 0-<seq>, fields b (binary) and d (data).

const luaHelpers = `
local function s(x) return string.format('%d', x) end
-- ack drops the entries of direction p (last, acked, bytes as read) up to
-- n, adding the meta fields to set to the table set: returns 1 and the new
-- acked and bytes (1, acked, bytes when n is stale), or -5 when n is ahead.
-- Acking everything frees every byte held: no read of the entries.
local function ack(stream, p, last, acked, bytes, n, set)
  if n > last then return -5, acked, bytes end
  if n <= acked then return 1, acked, bytes end
  local freed = bytes
  if n < last then
    freed = 0
    for _, e in ipairs(redis.call('XRANGE', stream, '0-'..s(acked + 1), '0-'..s(n))) do
      local f = e[2]
      for i = 1, #f, 2 do if f[i] == 'd' then freed = freed + string.len(f[i + 1]) end end
    end
  end
  redis.call('XTRIM', stream, 'MINID', '0-'..s(n + 1))
  set[#set + 1] = p..'a'; set[#set + 1] = s(n)
  set[#set + 1] = p..'b'; set[#set + 1] = s(bytes - freed)
  return 1, n, bytes - freed
end
local function hset(meta, set)
  if #set > 0 then redis.call('HSET', meta, unpack(set)) end
end
`

// KEYS meta; ARGV key, remote, ttl ms, auth (empty: none). 0: exists.
var scriptCreate = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'k', ARGV[1], 'e', '0', 'r', ARGV[2], 'f', '0', 'c', '0',
  'ol', '0', 'oa', '0', 'ob', '0', 'il', '0', 'ia', '0', 'ib', '0')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'a', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// KEYS meta, out, in; ARGV ttl ms. 0: not found. An ended session keeps
// its grace period.
var scriptTouch = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'c', 'e')
if not v[1] then return 0 end
if v[1] == '1' then return 1 end
if v[2] ~= '1' then redis.call('HSET', KEYS[1], 'e', '1') end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
`)

// KEYS meta, out, in; ARGV code, reason, by client, expired, grace ms,
// wake channel. {0}: not found; {1, code, reason, by, expired}: ended
// before; {2}: ended now.
var scriptEnd = redis.NewScript(luaHelpers + `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HGET', KEYS[1], 'c') == '1' then
  local v = redis.call('HMGET', KEYS[1], 'cc', 'cr', 'cb', 'cx')
  return {1, v[1], v[2], v[3], v[4]}
end
redis.call('HSET', KEYS[1], 'c', '1', 'cc', ARGV[1], 'cr', ARGV[2], 'cb', ARGV[3], 'cx', ARGV[4])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
redis.call('PUBLISH', ARGV[6], s(redis.call('HINCRBY', KEYS[1], 'v', 1)))
return {2}
`)

// KEYS meta, stream, the to-server stream; ARGV dir (o|i), seq (0:
// assign), binary, data, max bytes, fence (0: none), wake channel, ack of
// the to-server direction (0: none).
// {1, seq, version}: appended; {0, seq, version}: duplicate; -1 not found,
// -2 lease lost, -3 gap, -4 full, -5 ack ahead. Every change adds one to
// the version (field v) and publishes it on the wake channel.
var scriptAppend = redis.NewScript(luaHelpers + `
local p = ARGV[1]
local v = redis.call('HMGET', KEYS[1], 'c', 'f', 'il', 'ia', 'ib', p..'l', p..'a', p..'b', 'v')
if not v[1] then return {-1, 0} end
if ARGV[6] ~= '0' and v[2] ~= ARGV[6] then return {-2, 0} end
local il, ia, ib = tonumber(v[3]), tonumber(v[4]), tonumber(v[5])
local ackIn = tonumber(ARGV[8])
if ackIn > 0 and ackIn > il then return {-5, 0} end
local last, acked, bytes = tonumber(v[6]), tonumber(v[7]), tonumber(v[8])
local set = {}
local n = tonumber(ARGV[2])
if n == 0 then n = last + 1
elseif n <= last then
  local ver = tonumber(v[9] or '0')
  if ackIn > 0 then ack(KEYS[3], 'i', il, ia, ib, ackIn, set) end
  if #set > 0 then
    ver = ver + 1
    set[#set + 1] = 'v'; set[#set + 1] = s(ver)
    hset(KEYS[1], set)
    redis.call('PUBLISH', ARGV[7], s(ver))
  end
  return {0, n, ver}
elseif n > last + 1 then return {-3, last} end
local size = string.len(ARGV[4])
if last > acked and bytes + size > tonumber(ARGV[5]) then return {-4, last} end
if ackIn > 0 then ack(KEYS[3], 'i', il, ia, ib, ackIn, set) end
redis.call('XADD', KEYS[2], '0-'..s(n), 'b', ARGV[3], 'd', ARGV[4])
local ver = tonumber(v[9] or '0') + 1
set[#set + 1] = p..'l'; set[#set + 1] = s(n)
set[#set + 1] = p..'b'; set[#set + 1] = s(bytes + size)
set[#set + 1] = 'v'; set[#set + 1] = s(ver)
hset(KEYS[1], set)
-- The stream lives as long as the record: XADD made it with the first
-- message (XTRIM never deletes it; Touch and End set both expiries).
if n == 1 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
redis.call('PUBLISH', ARGV[7], s(ver))
return {1, n, ver}
`)

// KEYS meta, stream; ARGV from seq, count. 0: not found; else the entries
// (a stream with entries lives no longer than its record: no EXISTS).
var scriptRead = redis.NewScript(`
local e = redis.call('XRANGE', KEYS[2], '0-'..ARGV[1], '+', 'COUNT', ARGV[2])
if #e == 0 and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return e
`)

// KEYS meta, stream; ARGV dir, n, wake channel. 1 done (or stale), -1 not
// found, -5 ahead.
var scriptAck = redis.NewScript(luaHelpers + `
local p = ARGV[1]
local v = redis.call('HMGET', KEYS[1], 'c', p..'l', p..'a', p..'b', 'v')
if not v[1] then return -1 end
local set = {}
local r = ack(KEYS[2], p, tonumber(v[2]), tonumber(v[3]), tonumber(v[4]), tonumber(ARGV[2]), set)
if #set > 0 then
  local ver = s(tonumber(v[5] or '0') + 1)
  set[#set + 1] = 'v'; set[#set + 1] = ver
  hset(KEYS[1], set)
  redis.call('PUBLISH', ARGV[3], ver)
end
return r
`)

// KEYS meta, out, in, lease; ARGV ack of the messages to the client (0:
// none), ttl ms (0: no touch), from seq (0: no read), count, wake channel,
// check the lease (1|0). 0: not found; -5: ack ahead; else {closed,
// established, ol, oa, ob, il, ia, ib, cc, cr, cb, cx, entries, unowned,
// version}.
var scriptSync = redis.NewScript(luaHelpers + `
local v = redis.call('HMGET', KEYS[1], 'c', 'e', 'ol', 'oa', 'ob', 'il', 'ia', 'ib', 'cc', 'cr', 'cb', 'cx', 'v')
local ver = tonumber(v[13] or '0')
if not v[1] then return 0 end
local ol, oa, ob = tonumber(v[3]), tonumber(v[4]), tonumber(v[5])
local set = {}
local a = tonumber(ARGV[1])
if a > 0 then
  local r
  r, oa, ob = ack(KEYS[2], 'o', ol, oa, ob, a, set)
  if r ~= 1 then return r end
end
if ARGV[2] ~= '0' and v[1] ~= '1' then
  if v[2] ~= '1' then set[#set + 1] = 'e'; set[#set + 1] = '1'; v[2] = '1' end
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
if #set > 0 then
  ver = ver + 1
  set[#set + 1] = 'v'; set[#set + 1] = s(ver)
  hset(KEYS[1], set)
  redis.call('PUBLISH', ARGV[5], s(ver))
end
local e = {}
local from = tonumber(ARGV[3])
if from > 0 and from <= ol then e = redis.call('XRANGE', KEYS[2], '0-'..ARGV[3], '+', 'COUNT', ARGV[4]) end
local unowned = 0
if ARGV[6] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then unowned = 1 end
return {v[1], v[2], s(ol), s(oa), s(ob), v[6], v[7], v[8], v[9], v[10], v[11], v[12], e, unowned, s(ver)}
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

// KEYS lease, meta; ARGV holder, wake channel.
var scriptRelease = redis.NewScript(luaHelpers + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local ver = '0'
if redis.call('EXISTS', KEYS[2]) == 1 then ver = s(redis.call('HINCRBY', KEYS[2], 'v', 1)) end
redis.call('PUBLISH', ARGV[2], ver)
return 1
`)
