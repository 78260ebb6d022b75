namespace SmartLead.Gateway.Budget;

/// <summary>
/// The one Lua script every Redis ledger operation runs. A script runs atomically in Redis, so checking and
/// spending the bucket and every window is one step for all replicas together; all times come from Redis's own
/// clock (<c>TIME</c>, microseconds), so replicas whose clocks disagree still agree on the budget. Redis 5 and later
/// replicate scripts by their effects, which is what lets a script that writes call <c>TIME</c>.
/// </summary>
/// <remarks>
/// <para>Keys (one hash tag, so a Redis Cluster keeps them on one node): the bucket (hash: tokens, anchor); finished
/// permits (sorted set, score = when the attempt ended); permits in flight (sorted set, score = grant time); the
/// cooldown (hash: until, reason); each replica's queue (hash, "queued:seenAt:headSince"), for one order across
/// replicas and the shared projection.</para>
/// <para>One order: a permit that is free goes to the replica whose head has waited longest. A replica asking while
/// another (heard from within the last second) has an older head is told to come back when the next permit after
/// that one frees up. Without it the replicas' heads race for each permit, and a replica that keeps losing lets its
/// waiters run past the deadlines their admission projected.</para>
/// <para>The same rules as <see cref="PermitLimits"/>: a window counts a permit from its grant until one window after
/// its attempt ended; a permit in flight counts in every window. A lease whose replica died is taken as ended
/// <c>lease</c> after its grant. Scores and values are passed as whole-number strings: Lua would print a 16-digit
/// microsecond count in exponent form.</para>
/// <para>ARGV: op, tokenLimit, tokensPerPeriod, period, lease, typical duration, replica, queued here, window count,
/// then (limit, length) per window, then the op's own two arguments (take: permit id, "headWaited:nextWaited";
/// project: waiters ahead here; release/return: permit id; pause: delay, reason). Durations are microseconds.</para>
/// <para>Reply: granted (0/1), soonest (µs from now a permit may be free, attempts in flight assumed to end now),
/// projected (µs from now a request behind every waiter on every replica would go, attempts in flight taking the
/// typical duration), tokens in the bucket, cooldown left (µs), cooldown reason, then each window's count.</para>
/// </remarks>
internal static class RedisLedgerScript
{
    public const string Source = """
        if redis.replicate_commands then redis.replicate_commands() end
        local function s(x) return string.format('%.0f', x) end
        local bucketKey, finishedKey, inflightKey, cooldownKey, queuesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
        local op = ARGV[1]
        local limit, perPeriod, period = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local lease, typical = tonumber(ARGV[5]), tonumber(ARGV[6])
        local replica, queued = ARGV[7], tonumber(ARGV[8])
        local n = tonumber(ARGV[9])
        local wl, wlen, maxLen = {}, {}, period
        for i = 1, n do
          wl[i] = tonumber(ARGV[8 + 2 * i]); wlen[i] = tonumber(ARGV[9 + 2 * i])
          if wlen[i] > maxLen then maxLen = wlen[i] end
        end
        local arg1, arg2 = ARGV[10 + 2 * n], ARGV[11 + 2 * n]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local keep = math.ceil((maxLen + lease) / 1000) + 1000

        -- Leases of a replica that died end when their lifetime runs out; finished permits no window sees go.
        local stale = redis.call('ZRANGEBYSCORE', inflightKey, '-inf', s(now - lease), 'WITHSCORES')
        for i = 1, #stale, 2 do
          redis.call('ZREM', inflightKey, stale[i])
          redis.call('ZADD', finishedKey, s(tonumber(stale[i + 1]) + lease), stale[i])
        end
        redis.call('ZREMRANGEBYSCORE', finishedKey, '-inf', s(now - maxLen))

        local b = redis.call('HMGET', bucketKey, 'tokens', 'anchor')
        local tokens, anchor = tonumber(b[1]), tonumber(b[2])
        if tokens == nil or anchor == nil then tokens = limit; anchor = now end
        if tokens > limit then tokens = limit end
        if now >= anchor + period then
          local periods = math.floor((now - anchor) / period)
          tokens = math.min(limit, tokens + periods * perPeriod)
          anchor = anchor + periods * period
        end
        local function saveBucket()
          redis.call('HSET', bucketKey, 'tokens', s(tokens), 'anchor', s(anchor))
          redis.call('PEXPIRE', bucketKey, keep)
        end

        local cd = redis.call('HMGET', cooldownKey, 'until', 'reason')
        local cooldownUntil, reason = tonumber(cd[1]) or 0, cd[2] or ''

        if op == 'release' or op == 'return' then
          if redis.call('ZREM', inflightKey, arg1) == 1 then
            if op == 'release' then
              redis.call('ZADD', finishedKey, s(now), arg1)
              redis.call('PEXPIRE', finishedKey, keep)
            else
              tokens = math.min(limit, tokens + 1)
              saveBucket()
            end
          end
          return {1}
        end

        if op == 'pause' then
          local untilNew = now + tonumber(arg1)
          if untilNew <= cooldownUntil then return {0} end
          redis.call('HSET', cooldownKey, 'until', s(untilNew), 'reason', arg2)
          redis.call('PEXPIRE', cooldownKey, math.ceil(tonumber(arg1) / 1000) + 1000)
          return {1}
        end

        local open = redis.call('ZCARD', inflightKey)
        local counts = {}
        local free = now >= cooldownUntil and tokens >= 1
        for i = 1, n do
          counts[i] = redis.call('ZCOUNT', finishedKey, '(' .. s(now - wlen[i]), '+inf') + open
          if counts[i] >= wl[i] then free = false end
        end
        local cooldownLeft = math.max(0, cooldownUntil - now)

        -- The replicas' queues: waiters everywhere count ahead of a newcomer; the longest-waiting head goes first.
        local headSince, nextSince = now, now
        if op == 'take' and arg2 ~= nil and arg2 ~= '' then
          local hw, nw = string.match(arg2, '(%d+):(%d+)')
          headSince = now - tonumber(hw); nextSince = now - tonumber(nw)
        end
        local ahead, deferred = 0, false
        local entries = redis.call('HGETALL', queuesKey)
        for i = 1, #entries, 2 do
          if entries[i] ~= replica then
            local q, seen, since = string.match(entries[i + 1], '(%d+):(%d+):(%d+)')
            if q and tonumber(seen) > now - 10000000 then
              ahead = ahead + tonumber(q)
              if tonumber(q) > 0 and tonumber(seen) > now - 1000000 and tonumber(since) < headSince then deferred = true end
            end
          end
        end

        if op == 'take' and free and not deferred then
          tokens = tokens - 1
          saveBucket()
          redis.call('ZADD', inflightKey, s(now), arg1)
          redis.call('PEXPIRE', inflightKey, keep)
          local left = math.max(0, queued - 1)
          local since = now
          if left > 0 then since = nextSince end
          redis.call('HSET', queuesKey, replica, s(left) .. ':' .. s(now) .. ':' .. s(since))
          redis.call('PEXPIRE', queuesKey, 60000)
          for i = 1, n do counts[i] = counts[i] + 1 end
          local reply = {1, 0, 0, tokens, cooldownLeft, reason}
          for i = 1, n do reply[6 + i] = counts[i] end
          return reply
        end

        -- No permit now (or a projection): what-ifs on a copy of the state, as PermitLimits.EarliestFrom does.
        if op == 'project' then ahead = ahead + tonumber(arg1) end
        if queued >= 0 then
          redis.call('HSET', queuesKey, replica, s(queued) .. ':' .. s(now) .. ':' .. s(headSince))
          redis.call('PEXPIRE', queuesKey, 60000)
        end

        local finishedCount = redis.call('ZCARD', finishedKey)
        local grants = redis.call('ZRANGE', inflightKey, 0, -1, 'WITHSCORES')
        local fetched = {}
        local function finishedAt(index)
          local score = fetched[index]
          if score == nil then
            local row = redis.call('ZRANGE', finishedKey, index, index, 'WITHSCORES')
            score = tonumber(row[2]); fetched[index] = score
          end
          return score
        end

        -- The finished permits the what-ifs can look at: per window, from the one that ages out next onwards, one
        -- range read each rather than one read per step.
        for i = 1, n do
          local lo = math.max(0, finishedCount + open - wl[i])
          local hi = math.min(finishedCount - 1, finishedCount + open - wl[i] + ahead + 1)
          if lo <= hi then
            local rows = redis.call('ZRANGE', finishedKey, lo, hi, 'WITHSCORES')
            for j = 2, #rows, 2 do fetched[lo + j / 2 - 1] = tonumber(rows[j]) end
          end
        end

        local function simulate(assumed, count)
          local simTokens, simAnchor = tokens, anchor
          local expected = {}
          for i = 2, #grants, 2 do expected[#expected + 1] = math.max(now, tonumber(grants[i]) + assumed) end
          local function earliest(from)
            local e = from
            if simTokens < 1 and from < simAnchor + period then e = simAnchor + period end
            for i = 1, n do
              local index = finishedCount + #expected - wl[i]
              if index >= 0 then
                local freedAt
                if index < finishedCount then freedAt = finishedAt(index) + wlen[i] else freedAt = expected[index - finishedCount + 1] + wlen[i] end
                if freedAt > e then e = freedAt end
              end
            end
            return e
          end
          local at = math.max(now, cooldownUntil)
          for j = 1, count do
            at = earliest(at)
            if at >= simAnchor + period then
              local periods = math.floor((at - simAnchor) / period)
              simTokens = math.min(limit, simTokens + periods * perPeriod)
              simAnchor = simAnchor + periods * period
            end
            simTokens = simTokens - 1
            expected[#expected + 1] = at + assumed
          end
          return earliest(at)
        end

        -- Deferred to an older head elsewhere: this replica's turn comes with the permit after the one it leaves.
        local soonest
        if free and deferred then soonest = simulate(0, 1) else soonest = simulate(0, 0) end
        local projected = simulate(typical, ahead)
        local reply = {0, math.max(0, soonest - now), math.max(0, projected - now), tokens, cooldownLeft, reason}
        for i = 1, n do reply[6 + i] = counts[i] end
        return reply
        """;
}
