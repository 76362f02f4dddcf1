-- Keyward budgets: read-check-reserve of one request against every budget that applies to it,
-- as one atomic step. Mirrors dev.keyward.llm.budget.BudgetCheck.
--
-- KEYS, four per budget: money window (hash: spent, held, h:<reservation> = amount),
--   its leases (sorted set: reservation by lease end), requests this minute, tokens this minute.
-- ARGV: now_ms, reservation id, lease_end_ms, amount (nano-USD), tokens, priced (1/0),
--   then five per budget: money limit (-1: none), money key TTL ms, requests per minute (-1),
--   tokens per minute (-1), minute key TTL ms.
-- Returns {1, expired} when admitted, {0, expired, budget index, kind, used, ...} when refused
--   (kind 1 money, 2 unpriced model, 3 requests, 4 tokens). expired: holds charged at lease end.
--
-- Amounts are passed on as the strings Java sent: Lua's numbers are doubles (exact below 2^53,
-- which policies keep budgets under) and print large values in exponent form, which HINCRBY
-- refuses. Every key written gets an expiry.

local now = tonumber(ARGV[1])
local id = ARGV[2]
local lease_end = ARGV[3]
local amount = ARGV[4]
local tokens = ARGV[5]
local priced = ARGV[6] == '1'
local n = #KEYS / 4
local expired = 0

-- A hold whose lease ended was never settled (its replica is gone): charge it in full.
local function charge_ended_leases(money, leases)
  local ended = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, hold in ipairs(ended) do
    local held = redis.call('HGET', money, 'h:' .. hold)
    if held then
      if held ~= '0' then
        redis.call('HINCRBY', money, 'held', '-' .. held)
        redis.call('HINCRBY', money, 'spent', held)
      end
      redis.call('HDEL', money, 'h:' .. hold)
      expired = expired + 1
    end
    redis.call('ZREM', leases, hold)
  end
end

local refusals = {}
local function refuse(i, kind, used)
  refusals[#refusals + 1] = i
  refusals[#refusals + 1] = kind
  refusals[#refusals + 1] = used
end

for i = 1, n do
  local k = (i - 1) * 4
  local a = 6 + (i - 1) * 5
  local money_limit = tonumber(ARGV[a + 1])
  local rpm_limit = tonumber(ARGV[a + 3])
  local tpm_limit = tonumber(ARGV[a + 4])
  if money_limit >= 0 then
    charge_ended_leases(KEYS[k + 1], KEYS[k + 2])
    local used = tonumber(redis.call('HGET', KEYS[k + 1], 'spent') or '0')
        + tonumber(redis.call('HGET', KEYS[k + 1], 'held') or '0')
    if not priced then
      refuse(i, 2, used)
    elseif used + tonumber(amount) > money_limit then
      refuse(i, 1, used)
    end
  end
  if rpm_limit >= 0 then
    local used = tonumber(redis.call('GET', KEYS[k + 3]) or '0')
    if used + 1 > rpm_limit then
      refuse(i, 3, used)
    end
  end
  if tpm_limit >= 0 then
    local used = tonumber(redis.call('GET', KEYS[k + 4]) or '0')
    if used + tonumber(tokens) > tpm_limit then
      refuse(i, 4, used)
    end
  end
end

if #refusals > 0 then
  local reply = {0, expired}
  for _, v in ipairs(refusals) do
    reply[#reply + 1] = v
  end
  return reply
end

for i = 1, n do
  local k = (i - 1) * 4
  local a = 6 + (i - 1) * 5
  if tonumber(ARGV[a + 1]) >= 0 then
    if amount ~= '0' then
      redis.call('HINCRBY', KEYS[k + 1], 'held', amount)
    end
    redis.call('HSET', KEYS[k + 1], 'h:' .. id, amount)
    redis.call('ZADD', KEYS[k + 2], lease_end, id)
    redis.call('PEXPIRE', KEYS[k + 1], ARGV[a + 2])
    redis.call('PEXPIRE', KEYS[k + 2], ARGV[a + 2])
  end
  if tonumber(ARGV[a + 3]) >= 0 then
    redis.call('INCR', KEYS[k + 3])
    redis.call('PEXPIRE', KEYS[k + 3], ARGV[a + 5])
  end
  if tonumber(ARGV[a + 4]) >= 0 then
    redis.call('INCRBY', KEYS[k + 4], tokens)
    redis.call('PEXPIRE', KEYS[k + 4], ARGV[a + 5])
  end
end
return {1, expired}
