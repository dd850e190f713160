"""The Lua scripts behind every write that must not race: stock, orders, reservations.

Redis runs a script as one step, so two shoppers buying the last unit cannot both succeed and stock never
goes below zero. Stock lives in ``P:stock:<product id>`` (hash: store id -> units); a store's first use of a
product seeds it from the catalog (``HSETNX``), so the catalog is the opening balance and Redis the ledger.
"""

# KEYS: idempotency key, order sequence, the shopper's order index, then one stock hash per line.
# ARGV: prefix, order JSON (no id yet), now, idempotency ttl, order ttl, line count, then per line:
#       quantity, candidate count, then (store id, catalog units) per candidate, best first.
# Returns {"placed", id} | {"duplicate", id} | {"short", line number (1-based)}.
PLACE_ORDER = """
local existing = redis.call('GET', KEYS[1])
if existing then return {'duplicate', existing} end
local n = tonumber(ARGV[6])
local pos = 7
local taken = {}
local order = cjson.decode(ARGV[2])
for i = 1, n do
  local skey = KEYS[3 + i]
  local qty = tonumber(ARGV[pos]); local ncand = tonumber(ARGV[pos + 1]); pos = pos + 2
  local chosen = nil
  for c = 1, ncand do
    local store = ARGV[pos]; local init = ARGV[pos + 1]; pos = pos + 2
    redis.call('HSETNX', skey, store, init)
    if not chosen and tonumber(redis.call('HGET', skey, store)) >= qty then chosen = store end
  end
  if not chosen then
    for _, t in ipairs(taken) do redis.call('HINCRBY', t[1], t[2], t[3]) end
    return {'short', tostring(i)}
  end
  redis.call('HINCRBY', skey, chosen, -qty)
  table.insert(taken, {skey, chosen, qty})
  order['lines'][i]['store_id'] = chosen
end
local id = tostring(redis.call('INCR', KEYS[2]))
order['id'] = id
local okey = ARGV[1] .. ':order:' .. id
redis.call('SET', okey, cjson.encode(order), 'EX', tonumber(ARGV[5]))
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), id)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
redis.call('SET', KEYS[1], id, 'EX', tonumber(ARGV[4]))
return {'placed', id}
"""

# KEYS: the order. ARGV: prefix, expected status ("" = any of ARGV[4]), new status, allowed statuses
# (comma separated, "" = any), now, restock ("1": put every line's units back), field, value (optional).
# Returns {"ok", old status} | {"missing", ""} | {"refused", current status}.
MOVE_ORDER = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing', ''} end
local order = cjson.decode(raw)
local status = order['status']
if ARGV[2] ~= '' and status ~= ARGV[2] then return {'refused', status} end
if ARGV[4] ~= '' then
  local ok = false
  for s in string.gmatch(ARGV[4], '[^,]+') do if s == status then ok = true end end
  if not ok then return {'refused', status} end
end
if ARGV[6] == '1' then
  for _, line in ipairs(order['lines']) do
    redis.call('HINCRBY', ARGV[1] .. ':stock:' .. line['product_id'], line['store_id'], line['quantity'])
  end
end
if ARGV[3] ~= '' and ARGV[3] ~= status then
  order['status'] = ARGV[3]
  table.insert(order['history'], {status = ARGV[3], at = tonumber(ARGV[5])})
end
if ARGV[7] and ARGV[7] ~= '' then order['fulfilment'][ARGV[7]] = ARGV[8] end
redis.call('SET', KEYS[1], cjson.encode(order), 'KEEPTTL')
return {'ok', status}
"""

# KEYS: stock hash, reservation key, deadlines zset, the store's reservations zset, the shopper's zset.
# ARGV: store id, catalog units, quantity, reservation JSON, deadline, ttl, now.
# Returns {"held", units left} | {"short", units there} | {"taken", ""} (the code is in use).
HOLD = """
if redis.call('EXISTS', KEYS[2]) == 1 then return {'taken', ''} end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local have = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local qty = tonumber(ARGV[3])
if have < qty then return {'short', tostring(have)} end
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -qty)
redis.call('SET', KEYS[2], ARGV[4], 'EX', tonumber(ARGV[6]))
local code = cjson.decode(ARGV[4])['code']
redis.call('ZADD', KEYS[3], tonumber(ARGV[5]), code)
redis.call('ZADD', KEYS[4], tonumber(ARGV[5]), code)
redis.call('ZADD', KEYS[5], tonumber(ARGV[7]), code)
redis.call('EXPIRE', KEYS[5], tonumber(ARGV[6]))
return {'held', tostring(left)}
"""

# Ends a held reservation: expired or cancelled (units back on the shelf) or collected (they left with it).
# KEYS: reservation key, deadlines zset, the store's zset. ARGV: prefix, new status, now, restock ("1"/"0").
# Returns {"ok", ""} | {"missing", ""} | {"refused", current status}.
END_HOLD = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  return {'missing', ''}
end
local r = cjson.decode(raw)
if r['status'] ~= 'held' then return {'refused', r['status']} end
if ARGV[4] == '1' then
  redis.call('HINCRBY', ARGV[1] .. ':stock:' .. r['product_id'], r['store_id'], r['quantity'])
end
r['status'] = ARGV[2]
r['ended_at'] = tonumber(ARGV[3])
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
redis.call('ZREM', KEYS[2], r['code'])
redis.call('ZREM', KEYS[3], r['code'])
return {'ok', ''}
"""
