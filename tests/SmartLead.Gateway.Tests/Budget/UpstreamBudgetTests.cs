using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.Budget;
using static SmartLead.Gateway.Tests.Budget.BudgetTestOptions;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class UpstreamBudgetTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _start;

    public UpstreamBudgetTests() => _start = _time.GetUtcNow();

    [Fact]
    public void Acquire_BurstWithinBucket_GrantsAtOnceThenRefuses()
    {
        using var budget = NewBudget(Create(tokenLimit: 3, tokensPerPeriod: 3, queueLimit: 0), _time);

        var burst = Enumerable.Range(0, 3).Select(_ => budget.AttemptAcquire()).ToList();
        using var fourth = budget.AttemptAcquire();

        Assert.All(burst, lease => Assert.True(lease.IsAcquired));
        Assert.False(fourth.IsAcquired);
        Assert.True(fourth.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
    }

    [Fact]
    public async Task Acquire_BucketEmpty_WaitsExactlyOneReplenishmentPeriod()
    {
        using var budget = NewBudget(Create(tokenLimit: 2, tokensPerPeriod: 1, period: TimeSpan.FromMilliseconds(100)), _time);
        Assert.True(budget.Take());
        Assert.True(budget.Take());

        var third = budget.AcquireAsync().AsTask();
        _time.Advance(99 * Ms);
        Assert.False(third.IsCompleted);
        _time.Advance(Ms);

        Assert.True((await third).IsAcquired);
    }

    [Fact]
    public void Acquire_WindowRefuses_BucketTokenNotSpent()
    {
        // Five tokens that never refill in this test; the window lets two go per second.
        using var budget = NewBudget(
            Create(tokenLimit: 5, tokensPerPeriod: 1, period: TimeSpan.FromHours(1), queueLimit: 0,
                windows: Window(2, TimeSpan.FromSeconds(1))),
            _time);

        var granted = 0;
        for (var second = 0; second < 5; second++)
        {
            // Ten tries each second: with a chained limiter every refused try would have burnt a bucket token.
            for (var attempt = 0; attempt < 10; attempt++)
            {
                if (budget.Take())
                {
                    granted++;
                }
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(5, granted);
    }

    [Fact]
    public void Acquire_SlidingWindow_CountsEachPermitForExactlyTheWindow()
    {
        using var budget = NewBudget(
            Create(tokenLimit: 100, tokensPerPeriod: 100, queueLimit: 0, windows: Window(2, TimeSpan.FromSeconds(10))),
            _time);
        Assert.True(budget.Take());
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(budget.Take());

        _time.Advance(TimeSpan.FromSeconds(6) - Ms);
        Assert.False(budget.Take());
        _time.Advance(Ms);
        Assert.True(budget.Take());
        Assert.False(budget.Take());
    }

    [Fact]
    public void Acquire_WindowCountsPermitUntilAWindowAfterItsAttemptIsOver()
    {
        using var budget = NewBudget(
            Create(tokenLimit: 100, tokensPerPeriod: 100, queueLimit: 0, windows: Window(1, TimeSpan.FromSeconds(1))),
            _time);
        var slow = budget.AttemptAcquire();
        Assert.True(slow.IsAcquired);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(budget.Take());
        slow.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1) - Ms);
        Assert.False(budget.Take());
        _time.Advance(Ms);

        Assert.True(budget.Take());
    }

    [Fact]
    public async Task Acquire_WaiterBlockedByAttemptInFlight_GoesAWindowAfterItEnds()
    {
        using var budget = NewBudget(
            Create(tokenLimit: 100, tokensPerPeriod: 100, windows: Window(1, TimeSpan.FromSeconds(1))),
            _time);
        var slow = budget.AttemptAcquire();
        var waiter = budget.AcquireAsync().AsTask();

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(waiter.IsCompleted);
        slow.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await waiter).IsAcquired);
    }

    [Fact]
    public async Task Acquire_AdmittedWaiterSlipsWithinSlack_StillGranted()
    {
        // MaxQueueWait 4 s gives 1 s of slack; the attempt in flight ends later than projected.
        using var budget = NewBudget(
            Create(tokenLimit: 100, tokensPerPeriod: 100, maxQueueWait: TimeSpan.FromSeconds(4),
                windows: Window(1, TimeSpan.FromSeconds(1))),
            _time);
        var slow = budget.AttemptAcquire();
        var waiter = budget.AcquireAsync().AsTask();

        for (var i = 0; i < 35; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        slow.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await waiter).IsAcquired);
    }

    [Fact]
    public async Task Acquire_AdmittedWaiterSlipsBeyondSlack_RefusedWithRetryAfter()
    {
        using var budget = NewBudget(
            Create(tokenLimit: 100, tokensPerPeriod: 100, maxQueueWait: TimeSpan.FromSeconds(4),
                windows: Window(1, TimeSpan.FromSeconds(1))),
            _time);
        using var stuck = budget.AttemptAcquire();
        var waiter = budget.AcquireAsync().AsTask();

        for (var i = 0; i < 60 && !waiter.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var lease = await waiter;
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.InRange(_time.GetUtcNow() - _start, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Acquire_Queued_GrantedInArrivalOrder()
    {
        using var budget = NewBudget(Create(period: TimeSpan.FromMilliseconds(100)), _time);
        Assert.True(budget.Take());
        var waiters = Enumerable.Range(0, 4).Select(_ => budget.AcquireAsync().AsTask()).ToArray();

        for (var i = 0; i < waiters.Length; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.True((await waiters[i]).IsAcquired);
            Assert.All(waiters.Skip(i + 1), w => Assert.False(w.IsCompleted));
        }
    }

    [Fact]
    public async Task Acquire_NewcomerWhileOthersWait_GoesBehindThemEvenIfAPermitIsFree()
    {
        using var budget = NewBudget(Create(tokenLimit: 1, period: TimeSpan.FromMilliseconds(100)), _time);
        Assert.True(budget.Take());
        var first = budget.AcquireAsync().AsTask();

        var attempt = budget.AttemptAcquire();
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.False(attempt.IsAcquired);
        Assert.True((await first).IsAcquired);
    }

    [Fact]
    public async Task Acquire_QueueFull_RefusesAtOnceWithRetryAfter()
    {
        using var budget = NewBudget(Create(queueLimit: 2), _time);
        Assert.True(budget.Take());
        var queued = new[] { budget.AcquireAsync().AsTask(), budget.AcquireAsync().AsTask() };

        var refused = budget.AcquireAsync();

        Assert.True(refused.IsCompleted);
        var lease = await refused;
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);
        Assert.All(queued, q => Assert.False(q.IsCompleted));
    }

    [Fact]
    public async Task Acquire_ForeseeableWaitBeyondMaxQueueWait_RefusesAtOnceWithRetryAfter()
    {
        using var budget = NewBudget(Create(maxQueueWait: TimeSpan.FromSeconds(2.5)), _time);
        Assert.True(budget.Take());
        var fits = new[] { budget.AcquireAsync().AsTask(), budget.AcquireAsync().AsTask() };

        var tooLate = budget.AcquireAsync();

        Assert.True(tooLate.IsCompleted);
        var lease = await tooLate;
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);

        _time.Advance(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.All(await Task.WhenAll(fits), l => Assert.True(l.IsAcquired));
    }

    [Fact]
    public async Task Acquire_ForeseeableWait_CountsWindowsOfEveryoneAhead()
    {
        // The bucket alone would let all go within a second; the window makes the third wait a minute.
        using var budget = NewBudget(
            Create(tokenLimit: 10, tokensPerPeriod: 10, maxQueueWait: TimeSpan.FromSeconds(30),
                windows: Window(2, TimeSpan.FromMinutes(1))),
            _time);
        Assert.True(budget.Take());
        Assert.True(budget.Take());

        var lease = await budget.AcquireAsync();

        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
    }

    [Fact]
    public async Task Acquire_CancelledWhileWaiting_LeavesQueueWithoutSpending()
    {
        using var budget = NewBudget(Create(), _time);
        Assert.True(budget.Take());
        using var cts = new CancellationTokenSource();
        var leaving = budget.AcquireAsync(1, cts.Token).AsTask();
        var staying = budget.AcquireAsync().AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(1, budget.GetStatistics()!.CurrentQueuedCount);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await staying).IsAcquired);
        var stats = budget.GetStatistics()!;
        Assert.Equal(2, stats.TotalSuccessfulLeases);
        Assert.Equal(0, stats.CurrentQueuedCount);

        // The token of the next period is still there: the one who left did not take it.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(budget.Take());
    }

    [Fact]
    public async Task Acquire_AlreadyCancelled_ThrowsWithoutQueueing()
    {
        using var budget = NewBudget(Create(), _time);
        Assert.True(budget.Take());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => budget.AcquireAsync(1, new CancellationToken(canceled: true)).AsTask());

        Assert.Equal(0, budget.GetStatistics()!.CurrentQueuedCount);
    }

    [Fact]
    public async Task Pause_WhileWaiting_HoldsEveryoneThenResumesInOrder()
    {
        using var budget = NewBudget(Create(tokenLimit: 5, tokensPerPeriod: 1, period: TimeSpan.FromMilliseconds(100)), _time);
        Assert.True(budget.Take());

        budget.PauseFor(TimeSpan.FromSeconds(5), "test");
        var waiters = Enumerable.Range(0, 3).Select(_ => budget.AcquireAsync().AsTask()).ToArray();
        _time.Advance(TimeSpan.FromSeconds(5) - Ms);
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        Assert.False(budget.Take());

        // The bucket refilled during the pause, so all go at its end, still in arrival order.
        _time.Advance(Ms);
        Assert.All(await Task.WhenAll(waiters), l => Assert.True(l.IsAcquired));
        Assert.Equal(4, budget.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task Pause_ShorterThanCurrentPause_DoesNotShortenIt()
    {
        using var budget = NewBudget(Create(tokenLimit: 5, tokensPerPeriod: 5), _time);
        budget.PauseFor(TimeSpan.FromSeconds(5), "long");
        budget.PauseFor(TimeSpan.FromSeconds(1), "short");
        var waiter = budget.AcquireAsync().AsTask();

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await waiter).IsAcquired);
    }

    [Fact]
    public async Task Pause_LongerThanMaxQueueWait_RefusesWaitersAtOnceWithRetryAfter()
    {
        using var budget = NewBudget(Create(maxQueueWait: TimeSpan.FromSeconds(10)), _time);
        Assert.True(budget.Take());
        var waiter = budget.AcquireAsync().AsTask();

        budget.PauseFor(TimeSpan.FromSeconds(30), "test");

        Assert.True(waiter.IsCompleted);
        var lease = await waiter;
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(30), retryAfter);
    }

    [Fact]
    public void Pause_BeyondAnHour_IsCappedAtAnHour()
    {
        using var budget = NewBudget(Create(tokenLimit: 5, tokensPerPeriod: 5, queueLimit: 0), _time);
        budget.PauseFor(TimeSpan.FromDays(3), "bogus reset");

        _time.Advance(UpstreamBudget.MaxPause - Ms);
        Assert.False(budget.Take());
        _time.Advance(Ms);
        Assert.True(budget.Take());
    }

    [Fact]
    public async Task Apply_FasterLimits_ReleaseWaitersSooner()
    {
        using var budget = NewBudget(Create(period: TimeSpan.FromHours(1), maxQueueWait: TimeSpan.FromHours(2)), _time);
        Assert.True(budget.Take());
        var waiter = budget.AcquireAsync().AsTask();
        Assert.False(waiter.IsCompleted);

        budget.Apply(Create(tokenLimit: 5, tokensPerPeriod: 5, period: TimeSpan.FromMilliseconds(100)));
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True((await waiter).IsAcquired);
    }

    [Fact]
    public void Apply_NewLimits_DoNotForgetPermitsAlreadySpent()
    {
        using var budget = NewBudget(Create(tokenLimit: 10, tokensPerPeriod: 10, queueLimit: 0, windows: Window(3, TimeSpan.FromMinutes(1))), _time);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(budget.Take());
        }

        budget.Apply(Create(tokenLimit: 10, tokensPerPeriod: 10, queueLimit: 0, windows: Window(4, TimeSpan.FromMinutes(1))));

        Assert.True(budget.Take());
        Assert.False(budget.Take());
    }

    [Fact]
    public async Task Apply_Disabled_ReleasesWaitersAndGrantsWithoutCounting()
    {
        using var budget = NewBudget(Create(period: TimeSpan.FromHours(1), maxQueueWait: TimeSpan.FromHours(2)), _time);
        Assert.True(budget.Take());
        var waiter = budget.AcquireAsync().AsTask();
        Assert.False(waiter.IsCompleted);

        var off = Create(period: TimeSpan.FromHours(1));
        off.Enabled = false;
        budget.Apply(off);

        Assert.False(budget.IsEnabled);
        Assert.True((await waiter).IsAcquired);
        Assert.All(Enumerable.Range(0, 100).Select(_ => budget.AttemptAcquire()), l => Assert.True(l.IsAcquired));
    }

    [Fact]
    public void Acquire_Disabled_GrantsEverythingAtOnce()
    {
        var options = Create(queueLimit: 0);
        options.Enabled = false;
        using var budget = NewBudget(options, _time);

        Assert.All(Enumerable.Range(0, 100).Select(_ => budget.AttemptAcquire()), l => Assert.True(l.IsAcquired));
    }

    [Fact]
    public async Task Dispose_WithWaiters_RefusesThem()
    {
        var budget = NewBudget(Create(), _time);
        Assert.True(budget.Take());
        var waiter = budget.AcquireAsync().AsTask();

        budget.Dispose();

        Assert.False((await waiter).IsAcquired);
    }

    [Fact]
    public void Acquire_StandardPlanWithoutWindows_Enforces8PerSecondAnd50PerMinute()
    {
        var options = Create(tokenLimit: 1000, tokensPerPeriod: 1000, queueLimit: 0);
        options.Plan = BudgetPlan.Standard;
        options.Windows.Clear();
        using var budget = NewBudget(options, _time);

        var first = Enumerable.Range(0, 100).Count(_ => budget.Take());
        var inAMinute = first;
        for (var second = 1; second < 60; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            inAMinute += Enumerable.Range(0, 100).Count(_ => budget.Take());
        }

        Assert.Equal(8, first);
        Assert.Equal(50, inAMinute);
    }
}
