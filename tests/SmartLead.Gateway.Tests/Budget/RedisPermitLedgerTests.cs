using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Tests.Infrastructure;
using static SmartLead.Gateway.Tests.Budget.BudgetTestOptions;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>
/// The Redis ledger against a real redis-server. Redis keeps time itself (<c>TIME</c>), so these run on real time
/// with margins of seconds; the scheduling rules themselves are tested to the tick on the memory ledger.
/// </summary>
public sealed class RedisPermitLedgerTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync()
    {
        if (RedisServer.SkipReason is null)
        {
            _redis = await RedisServer.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [RedisFact]
    public async Task TryTake_TwoReplicasOnOneRedis_TogetherGetOnlyTheOneBucket()
    {
        var limits = Limits(Create(tokenLimit: 5, tokensPerPeriod: 1, period: TimeSpan.FromHours(1)));
        using var a = Ledger(limits);
        using var b = Ledger(limits);

        var granted = 0;
        for (var i = 0; i < 10; i++)
        {
            granted += (await a.TryTakeAsync(QueueState.Newcomer, default)).Permit is null ? 0 : 1;
            granted += (await b.TryTakeAsync(QueueState.Newcomer, default)).Permit is null ? 0 : 1;
        }

        Assert.Equal(5, granted);
        var refused = await b.TryTakeAsync(QueueState.Newcomer, default);
        Assert.InRange(refused.RetryIn, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }

    [RedisFact]
    public async Task TryTake_Window_CountsThePermitUntilAWindowAfterItsRelease()
    {
        var limits = Limits(Create(tokenLimit: 100, tokensPerPeriod: 100, windows: Window(1, TimeSpan.FromSeconds(2))));
        using var a = Ledger(limits);
        using var b = Ledger(limits);

        var held = (await a.TryTakeAsync(QueueState.Newcomer, default)).Permit!;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var whileInFlight = await b.TryTakeAsync(QueueState.Newcomer, default);
        held.Release();
        var afterRelease = await b.TryTakeAsync(QueueState.Newcomer, default);

        Assert.Null(whileInFlight.Permit);
        Assert.Null(afterRelease.Permit);
        Assert.InRange(afterRelease.RetryIn, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2));
        await Task.Delay(afterRelease.RetryIn + TimeSpan.FromMilliseconds(100));
        Assert.NotNull((await b.TryTakeAsync(QueueState.Newcomer, default)).Permit);
    }

    [RedisFact]
    public async Task Pause_OnOneReplica_StopsTheOtherUntilItEnds()
    {
        var limits = Limits(Create(tokenLimit: 10, tokensPerPeriod: 10));
        using var a = Ledger(limits);
        using var b = Ledger(limits);

        Assert.True(a.Pause(TimeSpan.FromSeconds(30), "429 Retry-After"));
        await Task.Delay(200);
        var answer = await b.TryTakeAsync(QueueState.Newcomer, default);

        Assert.Null(answer.Permit);
        Assert.InRange(answer.RetryIn, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.Equal("429 Retry-After", b.Snapshot().CooldownReason);
    }

    [RedisFact]
    public async Task Return_PermitNeverUsed_GoesBackToTheSharedBucket()
    {
        var limits = Limits(Create(tokenLimit: 1, tokensPerPeriod: 1, period: TimeSpan.FromHours(1)));
        using var a = Ledger(limits);
        using var b = Ledger(limits);

        var unused = (await a.TryTakeAsync(QueueState.Newcomer, default)).Permit!;
        Assert.Null((await b.TryTakeAsync(QueueState.Newcomer, default)).Permit);
        unused.Return();
        await Task.Delay(200);

        Assert.NotNull((await b.TryTakeAsync(QueueState.Newcomer, default)).Permit);
    }

    [RedisFact]
    public async Task Project_CountsRequestsWaitingOnOtherReplicas()
    {
        var limits = Limits(Create(tokenLimit: 1, tokensPerPeriod: 1, period: TimeSpan.FromSeconds(1)));
        using var a = Ledger(limits);
        using var b = Ledger(limits);
        Assert.NotNull((await a.TryTakeAsync(QueueState.Newcomer, default)).Permit);

        // Replica a has five waiting; a newcomer on b goes behind them: after the sixth refill, not the first.
        Assert.Null((await a.TryTakeAsync(new QueueState(5, TimeSpan.Zero, TimeSpan.Zero), default)).Permit);
        var behindOthers = await b.ProjectAsync(0, default);

        // Replica a says nobody waits there any more: the same newcomer would go at the next refill.
        var alone = await a.ProjectAsync(0, default);

        Assert.InRange(behindOthers, alone + TimeSpan.FromSeconds(4.5), alone + TimeSpan.FromSeconds(5.5));
    }

    [RedisFact]
    public async Task TryTake_OtherReplicasHeadWaitedLonger_LeavesTheFreePermitToIt()
    {
        var limits = Limits(Create(tokenLimit: 1, tokensPerPeriod: 1, period: TimeSpan.FromMilliseconds(450)));

        // Two windows of Redis's real clock, measured here end to end. a's head, waited 3 s, asks before the token is
        // back (within the 450 ms period of the first take: too early, so it gets nothing but tells Redis it waits).
        // b's newcomer asks once the token is back (500 ms on), while a's word is fresh (under a second old, as the
        // script counts it). The period splits that second so both windows keep over 400 ms of margin. A machine that
        // stalls past either makes the round prove nothing (the head got the token, or a's word went stale and b
        // rightly took it): the round is played again on an empty Redis.
        for (var round = 1; ; round++)
        {
            using var a = Ledger(limits);
            using var b = Ledger(limits);
            var taken = System.Diagnostics.Stopwatch.StartNew();
            Assert.NotNull((await a.TryTakeAsync(QueueState.Newcomer, default)).Permit);
            var headAsked = System.Diagnostics.Stopwatch.StartNew();
            var early = await a.TryTakeAsync(new QueueState(1, TimeSpan.FromSeconds(3), TimeSpan.Zero), default);
            var headWasEarly = taken.Elapsed < TimeSpan.FromMilliseconds(400);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var newcomer = await b.TryTakeAsync(QueueState.Newcomer, default);
            var headWordFresh = headAsked.Elapsed < TimeSpan.FromMilliseconds(950);
            var head = await a.TryTakeAsync(new QueueState(1, TimeSpan.FromSeconds(3.5), TimeSpan.Zero), default);

            if (!(headWasEarly && headWordFresh) && round < 3)
            {
                await _redis.FlushAsync();
                continue;
            }

            Assert.True(headWasEarly, $"the machine stalled past the 450 ms period before the head's first ask in {round} rounds");
            Assert.True(headWordFresh, $"the machine stalled past 950 ms between the head's ask and the newcomer's in {round} rounds");
            Assert.Null(early.Permit);
            Assert.Null(newcomer.Permit);
            Assert.InRange(newcomer.RetryIn, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
            Assert.NotNull(head.Permit);
            return;
        }
    }

    [RedisFact]
    public async Task Acquire_WaitersOnAnotherReplicaMakeTheWaitTooLong_RefusedAtOnceWithRetryAfter()
    {
        // One permit every 2 s; three waiters on a fit 7 s (2, 4, 6 s), a fourth anywhere would not (8 s).
        var options = Create(tokenLimit: 1, tokensPerPeriod: 1, period: TimeSpan.FromSeconds(2), maxQueueWait: TimeSpan.FromSeconds(7));
        options.Store = BudgetStore.Redis;
        var limits = Limits(options);
        using var a = Budget(options);
        using var b = Budget(options);
        using var observer = Ledger(limits);
        using var held = await a.AcquireAsync();
        var queuedOnA = Enumerable.Range(0, 3).Select(_ => a.AcquireAsync().AsTask()).ToArray();

        // a's head tells Redis how many wait there with each ask: wait until the shared projection shows them.
        var asked = System.Diagnostics.Stopwatch.StartNew();
        while (await observer.ProjectAsync(0, default) < TimeSpan.FromSeconds(6.5))
        {
            Assert.True(asked.Elapsed < TimeSpan.FromSeconds(1.5), "a's waiters never showed in the shared projection");
            await Task.Delay(20);
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        using var refused = await b.AcquireAsync();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"refused after {started.Elapsed}");
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(6.5), TimeSpan.FromSeconds(8));
        Assert.All(queuedOnA, waiter => Assert.False(waiter.IsCompleted && !waiter.Result.IsAcquired));
    }

    [RedisFact]
    public async Task Apply_NewLimits_KeepWhatAllReplicasSpent()
    {
        var options = Create(tokenLimit: 100, tokensPerPeriod: 100, queueLimit: 0, windows: Window(3, TimeSpan.FromMinutes(1)));
        options.Store = BudgetStore.Redis;
        using var a = Budget(options);
        using var b = Budget(options);
        (await a.AcquireAsync()).Dispose();
        (await b.AcquireAsync()).Dispose();
        (await b.AcquireAsync()).Dispose();

        var wider = Create(tokenLimit: 100, tokensPerPeriod: 100, queueLimit: 0, windows: Window(4, TimeSpan.FromMinutes(1)));
        wider.Store = BudgetStore.Redis;
        a.Apply(wider);
        b.Apply(wider);

        Assert.True((await a.AcquireAsync()).IsAcquired);
        Assert.False((await b.AcquireAsync()).IsAcquired);
    }

    [RedisFact]
    public async Task RedisStopped_ServesOnTheLocalShareWarnsOnceAndGoesBackWhenRedisReturns()
    {
        var logs = new ListLogger();
        var limits = Limits(Create(tokenLimit: 10, tokensPerPeriod: 1, period: TimeSpan.FromHours(1)));
        using var ledger = new RedisPermitLedger(_redis.ConnectionString, limits, expectedReplicas: 2, TimeProvider.System, logs);
        Assert.NotNull((await ledger.TryTakeAsync(QueueState.Newcomer, default)).Permit);

        await _redis.StopAsync();
        var duringOutage = new List<LedgerAnswer>();
        for (var i = 0; i < 8; i++)
        {
            duringOutage.Add(await ledger.TryTakeAsync(QueueState.Newcomer, default));
        }

        // The local share is 10 / 2 = 5, of which this replica had spent one through Redis.
        Assert.Equal(4, duringOutage.Count(a => a.Permit is not null));
        Assert.False(ledger.Reachable);
        Assert.False(ledger.Snapshot().Reachable);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);

        await _redis.StartAgainAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!ledger.Reachable)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "the ledger did not go back to Redis");
            await Task.Delay(100);
        }

        // Redis came back empty (no persistence): a fresh shared bucket of 10.
        Assert.NotNull((await ledger.TryTakeAsync(QueueState.Newcomer, default)).Permit);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("answers again", StringComparison.Ordinal));
    }

    [RedisFact]
    public async Task RedisStopped_PauseDuringTheOutage_ReachesTheOtherReplicasWhenRedisReturns()
    {
        var limits = Limits(Create(tokenLimit: 10, tokensPerPeriod: 10));
        using var ledger = Ledger(limits);
        Assert.NotNull((await ledger.TryTakeAsync(QueueState.Newcomer, default)).Permit);
        await _redis.StopAsync();
        Assert.NotNull((await ledger.TryTakeAsync(QueueState.Newcomer, default)).Permit);
        Assert.False(ledger.Reachable);

        ledger.Pause(TimeSpan.FromSeconds(60), "429 Retry-After");
        await _redis.StartAgainAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!ledger.Reachable)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "the ledger did not go back to Redis");
            await Task.Delay(100);
        }

        await Task.Delay(200);
        using var other = Ledger(limits);
        var answer = await other.TryTakeAsync(QueueState.Newcomer, default);

        Assert.Null(answer.Permit);
        Assert.InRange(answer.RetryIn, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
    }

    [RedisFact]
    public async Task Start_RedisUnreachable_ServesOnTheLocalShareAtOnce()
    {
        var logs = new ListLogger();
        var limits = Limits(Create(tokenLimit: 4, tokensPerPeriod: 1, period: TimeSpan.FromHours(1)));
        using var ledger = new RedisPermitLedger(Upstream.RefusingUrl().Replace("http://", string.Empty, StringComparison.Ordinal), limits, expectedReplicas: 2, TimeProvider.System, logs);

        var answers = new[] { await ledger.TryTakeAsync(QueueState.Newcomer, default), await ledger.TryTakeAsync(QueueState.Newcomer, default), await ledger.TryTakeAsync(QueueState.Newcomer, default) };

        Assert.Equal(2, answers.Count(a => a.Permit is not null));
        Assert.False(ledger.Reachable);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
    }

    private static BudgetLimits Limits(RateLimitOptions options) => BudgetPlans.Resolve(options);

    private UpstreamBudget Budget(RateLimitOptions options) =>
        new(options, Ledger(Limits(options)), TimeProvider.System, NullLogger.Instance, null);

    private RedisPermitLedger Ledger(BudgetLimits limits) =>
        new(_redis.ConnectionString, limits, expectedReplicas: 2, TimeProvider.System, NullLogger.Instance);

    internal sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
