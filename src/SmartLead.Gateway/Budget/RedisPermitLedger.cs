using System.Globalization;
using StackExchange.Redis;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The ledger every replica shares: the bucket, every window and SmartLead's cooldown live in Redis and each
/// operation is one atomic <see cref="RedisLedgerScript"/> on Redis's clock, so N replicas together never exceed the
/// one budget. While Redis is unreachable (at start or later) the replica counts on a
/// <see cref="MemoryPermitLedger"/> holding its share (every limit divided by <c>RateLimit:ExpectedReplicas</c>),
/// logs one warning for the outage, probes Redis every <see cref="ProbeInterval"/> and goes back to it when it
/// answers. No request fails because Redis failed: a failed call is answered from the local share.
/// </summary>
internal sealed partial class RedisPermitLedger : IPermitLedger
{
    /// <summary>
    /// How long a permit in flight is counted if its replica dies before releasing it. Longer than any attempt can
    /// last (YARP's activity timeout is 100 s); a replica that crashes with attempts in flight holds their permits
    /// this long at most.
    /// </summary>
    internal static readonly TimeSpan LeaseLifetime = TimeSpan.FromMinutes(2);

    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    /// <summary>A status older than this is refreshed in the background when read.</summary>
    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(1);

    private static readonly RedisKey[] Keys =
    [
        "{smartlead-gateway:budget}:bucket",
        "{smartlead-gateway:budget}:finished",
        "{smartlead-gateway:budget}:inflight",
        "{smartlead-gateway:budget}:cooldown",
        "{smartlead-gateway:budget}:queues",
    ];

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly MemoryPermitLedger _local;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _replica;
    private readonly ITimer _probe;
    private readonly Lock _gate = new();
    private BudgetLimits _limits;
    private RedisValue[] _limitArgs;
    private long _permitCounter;
    private long _typicalTicks;
    private int _away;
    private long _awaySince;
    private int _refreshing;
    private CachedState _cached;
    private long _localCooldownUntil = long.MinValue;
    private string? _localCooldownReason;
    private bool _disposed;

    public RedisPermitLedger(string connectionString, BudgetLimits limits, int expectedReplicas, TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _limits = limits;
        _limitArgs = LimitArguments(limits);
        _replica = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Guid.NewGuid():N}");
        _local = new MemoryPermitLedger(limits.Share(expectedReplicas), time);
        _local.PermitsMayBeFree += OnLocalPermitsMayBeFree;
        _cached = new CachedState(0, limits.Bucket.TokenLimit, new int[limits.Windows.Count], TimeSpan.Zero, null);

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;

        // Fail fast while disconnected instead of queueing: a request must never wait on a Redis that is away,
        // it is answered from the local share at once.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 1000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 1000);
        _redis = ConnectionMultiplexer.Connect(options);
        _database = _redis.GetDatabase();
        _probe = time.CreateTimer(static state => _ = ((RedisPermitLedger)state!).ProbeAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (!_redis.IsConnected)
        {
            GoAway(new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis did not answer at start."));
        }
    }

    public event Action? PermitsMayBeFree;

    /// <summary>True while Redis is reachable and counts the permits.</summary>
    public bool Reachable => Volatile.Read(ref _away) == 0;

    public async ValueTask<LedgerAnswer> TryTakeAsync(QueueState queue, CancellationToken cancellationToken)
    {
        if (!Reachable)
        {
            return _local.TryTake();
        }

        // SmartLead's pause as this replica last heard it: no round trip while it is surely still on.
        var cooldownUntil = Volatile.Read(ref _localCooldownUntil);
        var timestamp = _time.GetTimestamp();
        if (cooldownUntil > timestamp)
        {
            var cooldownLeft = cooldownUntil - timestamp;
            var wait = TimeSpan.FromSeconds((double)cooldownLeft / _time.TimestampFrequency);
            return new LedgerAnswer(null, wait, wait);
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"{_replica}:{Interlocked.Increment(ref _permitCounter)}");
        try
        {
            var waited = string.Create(
                CultureInfo.InvariantCulture, $"{(long)queue.HeadWaited.TotalMicroseconds}:{(long)queue.NextWaited.TotalMicroseconds}");
            var reply = await RunAsync("take", queue.Queued, id, waited);
            if ((long)reply[0] == 1)
            {
                return LedgerAnswer.Granted(new RedisPermit(this, id, _time.GetTimestamp(), _local.Record()));
            }

            return new LedgerAnswer(null, Microseconds(reply[1]), Microseconds(reply[2]));
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            GoAway(ex);
            return _local.TryTake();
        }
    }

    public async ValueTask<TimeSpan> ProjectAsync(int ahead, CancellationToken cancellationToken)
    {
        if (!Reachable)
        {
            return _local.Project(ahead);
        }

        try
        {
            // Publishes nothing: this replica's queue and its head's age are told with each take of its head.
            var reply = await RunAsync("project", -1, ahead.ToString(CultureInfo.InvariantCulture), null);
            return Microseconds(reply[2]);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            GoAway(ex);
            return _local.Project(ahead);
        }
    }

    public bool Pause(TimeSpan delay, string reason)
    {
        // Kept locally too: this replica stops at once, and still stops if Redis goes away before it hears back.
        var extended = _local.Pause(delay, reason);
        var until = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        lock (_gate)
        {
            if (until > _localCooldownUntil)
            {
                _localCooldownUntil = until;
                _localCooldownReason = reason;
            }
        }

        if (Reachable)
        {
            _ = SendAsync("pause", ((long)delay.TotalMicroseconds).ToString(CultureInfo.InvariantCulture), reason);
        }

        return extended;
    }

    public void Apply(BudgetLimits limits, int expectedReplicas)
    {
        lock (_gate)
        {
            _limits = limits;
            _limitArgs = LimitArguments(limits);
        }

        _local.Apply(limits.Share(expectedReplicas));
    }

    public LedgerSnapshot Snapshot()
    {
        if (!Reachable)
        {
            return _local.Snapshot() with { Store = nameof(BudgetStore.Redis), Reachable = false };
        }

        var cached = Volatile.Read(ref _cached);
        if (_time.GetElapsedTime(cached.At) > SnapshotMaxAge && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshAsync();
        }

        BudgetLimits limits;
        lock (_gate)
        {
            limits = _limits;
        }

        var windows = new int[limits.Windows.Count];
        for (var i = 0; i < windows.Length && i < cached.Counts.Length; i++)
        {
            windows[i] = Math.Max(0, limits.Windows[i].PermitLimit - cached.Counts[i]);
        }

        // The pause as Redis last said it, or as this replica set it since (whichever ends later).
        var sharedLeft = cached.CooldownLeft - _time.GetElapsedTime(cached.At);
        TimeSpan localLeft;
        string? localReason;
        lock (_gate)
        {
            localLeft = TimeSpan.FromSeconds((double)(_localCooldownUntil - Math.Min(_localCooldownUntil, _time.GetTimestamp())) / _time.TimestampFrequency);
            localReason = _localCooldownReason;
        }

        var (left, reason) = localLeft > sharedLeft ? (localLeft, localReason) : (sharedLeft, cached.CooldownReason);
        var cooldown = left > TimeSpan.Zero;
        return new LedgerSnapshot(
            nameof(BudgetStore.Redis),
            true,
            limits,
            cooldown ? 0 : (int)Math.Max(0, cached.Tokens),
            windows,
            cooldown ? _time.GetUtcNow() + left : null,
            cooldown ? reason : null);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _probe.Dispose();
        _local.PermitsMayBeFree -= OnLocalPermitsMayBeFree;
        _local.Dispose();
        _redis.Dispose();
    }

    /// <summary>
    /// Anything but a cancellation counts as Redis failing (connection, timeout, a server error, an answer of the
    /// wrong shape): the request is answered from the local share instead, never failed.
    /// </summary>
    private static bool IsRedisFailure(Exception ex) => ex is not OperationCanceledException;

    private static TimeSpan Microseconds(RedisResult value) => TimeSpan.FromMicroseconds((long)value);

    private static RedisValue[] LimitArguments(BudgetLimits limits)
    {
        var args = new List<RedisValue>
        {
            limits.Bucket.TokenLimit,
            limits.Bucket.TokensPerPeriod,
            (long)limits.Bucket.Period.TotalMicroseconds,
            (long)LeaseLifetime.TotalMicroseconds,
        };
        var windows = new List<RedisValue> { limits.Windows.Count };
        foreach (var window in limits.Windows)
        {
            windows.Add(window.PermitLimit);
            windows.Add((long)window.Window.TotalMicroseconds);
        }

        // Slots 6 (typical duration), 7 (replica) and 8 (queued) are filled per call, between these two parts.
        return [.. args, RedisValue.Null, RedisValue.Null, RedisValue.Null, .. windows];
    }

    private async Task<RedisResult[]> RunAsync(string op, int queued, string? arg1, string? arg2)
    {
        RedisValue[] limitArgs;
        lock (_gate)
        {
            limitArgs = _limitArgs;
        }

        var args = new RedisValue[1 + limitArgs.Length + 2];
        args[0] = op;
        limitArgs.CopyTo(args, 1);
        args[5] = (long)TimeSpan.FromTicks(Interlocked.Read(ref _typicalTicks)).TotalMicroseconds;
        args[6] = _replica;
        args[7] = queued;
        args[^2] = arg1 ?? RedisValue.EmptyString;
        args[^1] = arg2 ?? RedisValue.EmptyString;
        var reply = (RedisResult[])(await _database.ScriptEvaluateAsync(RedisLedgerScript.Source, Keys, args))!;
        if (reply.Length >= 6)
        {
            var counts = new int[reply.Length - 6];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = (int)reply[6 + i];
            }

            var reason = (string?)reply[5];
            Volatile.Write(ref _cached, new CachedState(_time.GetTimestamp(), (long)reply[3], counts, Microseconds(reply[4]), string.IsNullOrEmpty(reason) ? null : reason));
        }

        return reply;
    }

    /// <summary>Fire and forget (releases, returns, pauses): a failure marks Redis away, the caller is never held up.</summary>
    private async Task SendAsync(string op, string arg1, string? arg2 = null)
    {
        try
        {
            await RunAsync(op, -1, arg1, arg2);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // A lost release is counted until LeaseLifetime after its grant: the safe side.
            GoAway(ex);
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            await RunAsync("peek", -1, null, null);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            GoAway(ex);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void GoAway(Exception ex)
    {
        if (Interlocked.Exchange(ref _away, 1) == 1)
        {
            return;
        }

        Interlocked.Exchange(ref _awaySince, _time.GetTimestamp());
        // StackExchange.Redis appends pages of connection diagnostics; the first clause says what happened.
        var message = ex.Message.Split(';', 2)[0];
        Log.RedisAway(_logger, ex.GetType().Name, message);
        lock (_gate)
        {
            if (!_disposed)
            {
                _probe.Change(ProbeInterval, ProbeInterval);
            }
        }
    }

    private async Task ProbeAsync()
    {
        if (Reachable)
        {
            return;
        }

        try
        {
            await RunAsync("peek", -1, null, null);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            return;
        }

        if (Interlocked.Exchange(ref _away, 0) == 1)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _probe.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }
            }

            Log.RedisBack(_logger, _time.GetElapsedTime(Interlocked.Read(ref _awaySince)));

            // A pause SmartLead asked for while Redis was away is still owed by every replica.
            long until;
            string? reason;
            lock (_gate)
            {
                until = _localCooldownUntil;
                reason = _localCooldownReason;
            }

            var left = until == long.MinValue ? 0 : until - _time.GetTimestamp();
            if (left > 0 && reason is not null)
            {
                var micros = (long)(left * 1_000_000.0 / _time.TimestampFrequency);
                _ = SendAsync("pause", micros.ToString(CultureInfo.InvariantCulture), reason);
            }

            RaisePermitsMayBeFree();
        }
    }

    private void RaisePermitsMayBeFree() => PermitsMayBeFree?.Invoke();

    /// <summary>The local share's wake-ups matter only while it is the one in force.</summary>
    private void OnLocalPermitsMayBeFree()
    {
        if (!Reachable)
        {
            RaisePermitsMayBeFree();
        }
    }

    private void Finished(string id, long grantedAt, bool returned)
    {
        if (!returned)
        {
            // How long attempts take, for the cautious projection: jumps up to a slow attempt at once and eases down,
            // as PermitLimits does for the memory ledger.
            var duration = _time.GetElapsedTime(grantedAt).Ticks;
            var typical = Interlocked.Read(ref _typicalTicks);
            Interlocked.Exchange(ref _typicalTicks, duration >= typical ? duration : typical - ((typical - duration) / 8));
        }

        if (Reachable)
        {
            _ = SendAsync(returned ? "return" : "release", id);

            // A returned token can go to the next waiter at once. A released one frees a window's place only a
            // window from now, which the next answer's "soonest" already says: no wake-up needed for it.
            if (returned)
            {
                RaisePermitsMayBeFree();
            }
        }
    }

    private sealed record CachedState(long At, long Tokens, int[] Counts, TimeSpan CooldownLeft, string? CooldownReason);

    /// <summary>A permit from Redis, mirrored in the local share (see <see cref="MemoryPermitLedger.Record"/>).</summary>
    private sealed class RedisPermit(RedisPermitLedger ledger, string id, long grantedAt, ILedgerPermit mirror) : ILedgerPermit
    {
        private RedisPermitLedger? _ledger = ledger;

        public void Release()
        {
            if (Interlocked.Exchange(ref _ledger, null) is { } owner)
            {
                mirror.Release();
                owner.Finished(id, grantedAt, returned: false);
            }
        }

        public void Return()
        {
            if (Interlocked.Exchange(ref _ledger, null) is { } owner)
            {
                mirror.Return();
                owner.Finished(id, grantedAt, returned: true);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Warning,
            Message = "Redis is unreachable ({Error}: {Message}); this replica serves on its local share of the budget (every limit divided by RateLimit:ExpectedReplicas) until Redis answers again")]
        public static partial void RedisAway(ILogger logger, string error, string message);

        [LoggerMessage(EventId = 4011, Level = LogLevel.Information,
            Message = "Redis answers again after {Outage}; permits are counted in Redis for all replicas")]
        public static partial void RedisBack(ILogger logger, TimeSpan outage);
    }
}
