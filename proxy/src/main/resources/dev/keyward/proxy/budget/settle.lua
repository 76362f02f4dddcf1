-- Keyward budgets: settle one reservation to what the call was metered at, atomically.
-- Mirrors dev.keyward.llm.budget.Settlement.
--
-- KEYS: the reservation's settled marker, then three per budget: money window, its leases,
--   tokens of the minute the request started in.
-- ARGV: reservation id, correction (charge minus worst case), charge (nano-USD),
--   tokens delta (metered minus reserved), how long the marker lives (ms),
--   then two per budget: money (1/0), tokens (1/0).
-- Returns 1 when settled now, 0 when the reservation was already settled.
--
-- The marker makes a settle count once: a second settle (or a release after a settle) finds it
-- and changes nothing. It lives at least a hold lease, past the end of any call still running.
-- A hold still there is replaced by the charge. A hold that is gone was charged in full when its
-- lease ended, so the correction applies. A key that is gone has expired with its window: nothing
-- to correct, and nothing is created (so nothing is left without an expiry). Writes to existing
-- keys keep their expiry.

local id = ARGV[1]
local correction = ARGV[2]
local charge = ARGV[3]
local tokens_delta = ARGV[4]
local n = (#KEYS - 1) / 3

if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[5]) then
  return 0
end

for i = 1, n do
  local k = 1 + (i - 1) * 3
  local a = 5 + (i - 1) * 2
  local money = KEYS[k + 1]
  if ARGV[a + 1] == '1' and redis.call('EXISTS', money) == 1 then
    local held = redis.call('HGET', money, 'h:' .. id)
    local delta = correction
    if held then
      if held ~= '0' then
        redis.call('HINCRBY', money, 'held', '-' .. held)
      end
      redis.call('HDEL', money, 'h:' .. id)
      redis.call('ZREM', KEYS[k + 2], id)
      delta = charge
    end
    if delta ~= '0' and redis.call('HINCRBY', money, 'spent', delta) < 0 then
      redis.call('HSET', money, 'spent', '0')
    end
  end
  local tokens = KEYS[k + 3]
  if ARGV[a + 2] == '1' and tokens_delta ~= '0' and redis.call('EXISTS', tokens) == 1 then
    if redis.call('INCRBY', tokens, tokens_delta) < 0 then
      redis.call('SET', tokens, '0', 'KEEPTTL')
    end
  end
end
return 1
