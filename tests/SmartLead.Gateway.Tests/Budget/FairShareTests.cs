using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.Budget;
using static SmartLead.Gateway.Tests.Budget.BudgetTestOptions;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>The waiting room's turns between clients, on fake time: one permit every 100 ms.</summary>
public sealed class FairShareTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private static readonly BudgetTicket Bulk = new("bulk", 1, null, null);
    private static readonly BudgetTicket Crm = new("crm", 1, null, null);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Acquire_InteractiveBehindBulkBacklog_IsServedEveryOtherPermit()
    {
        using var budget = OnePer100Ms(queueLimit: 300);
        Assert.True(budget.Take());
        var bulk = Enumerable.Range(0, 200).Select(_ => budget.AcquireAsync(Bulk, CancellationToken.None).AsTask()).ToList();
        var crm = Enumerable.Range(0, 5).Select(_ => budget.AcquireAsync(Crm, CancellationToken.None).AsTask()).ToList();

        var order = await ServeAsync(bulk.Select(t => ("bulk", t)).Concat(crm.Select(t => ("crm", t))).ToList(), grants: 11);

        // The bulk request already at the head goes first, then the two alternate: all five interactive calls are
        // through after 10 permits (1 s at this rate), not after the 200 bulk ones.
        Assert.Equal(["bulk", "crm", "bulk", "crm", "bulk", "crm", "bulk", "crm", "bulk", "crm", "bulk"], order);
        Assert.All(crm, t => Assert.True(t.Result.IsAcquired));
    }

    [Fact]
    public async Task Acquire_Weights_ServeThatManyPerTurn()
    {
        using var budget = OnePer100Ms(queueLimit: 100);
        Assert.True(budget.Take());
        var heavy = new BudgetTicket("heavy", 3, null, null);
        var tasks = new List<(string, Task<RateLimitLease>)>();
        for (var i = 0; i < 6; i++)
        {
            tasks.Add(("h", budget.AcquireAsync(heavy, CancellationToken.None).AsTask()));
            tasks.Add(("l", budget.AcquireAsync(new BudgetTicket("light", 1, null, null), CancellationToken.None).AsTask()));
        }

        var order = await ServeAsync(tasks, grants: 8);

        Assert.Equal("hhhlhhhl", string.Concat(order));
    }

    [Fact]
    public async Task Acquire_MaxShare_HoldsAHeavyClientToItsCeilingWhileAnotherWaits()
    {
        using var budget = OnePer100Ms(queueLimit: 100);
        Assert.True(budget.Take());
        var capped = new BudgetTicket("bulk", 3, null, null, MaxShare: 0.25);
        var tasks = new List<(string, Task<RateLimitLease>)>();
        for (var i = 0; i < 20; i++)
        {
            tasks.Add(("b", budget.AcquireAsync(capped, CancellationToken.None).AsTask()));
            tasks.Add(("i", budget.AcquireAsync(Crm, CancellationToken.None).AsTask()));
        }

        var order = await ServeAsync(tasks, grants: 20);

        Assert.InRange(order.Count(who => who == "b"), 4, 6);
    }

    [Fact]
    public async Task Acquire_ClientQueueLimitReached_RefusedAtOnceWhileOthersStillQueue()
    {
        using var budget = OnePer100Ms(queueLimit: 100);
        Assert.True(budget.Take());
        var limited = new BudgetTicket("bulk", 1, 2, null);
        var first = budget.AcquireAsync(limited, CancellationToken.None).AsTask();
        var second = budget.AcquireAsync(limited, CancellationToken.None).AsTask();

        using var third = await budget.AcquireAsync(limited, CancellationToken.None);
        var other = budget.AcquireAsync(Crm, CancellationToken.None).AsTask();

        Assert.False(third.IsAcquired);
        Assert.True(third.TryGetMetadata(MetadataName.RetryAfter, out _));
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.False(other.IsCompleted);
    }

    [Fact]
    public async Task Acquire_CallerWaitShorterThanProjection_RefusedAtOnceWithRetryAfter()
    {
        using var budget = OnePer100Ms(queueLimit: 100);
        Assert.True(budget.Take());
        var backlog = Enumerable.Range(0, 30).Select(_ => budget.AcquireAsync(Bulk, CancellationToken.None).AsTask()).ToList();

        // Behind one bulk turn at 100 ms a permit, a caller that waits at most 50 ms cannot make it.
        using var impatient = await budget.AcquireAsync(new BudgetTicket("crm", 1, null, TimeSpan.FromMilliseconds(50)), CancellationToken.None);
        var patient = budget.AcquireAsync(new BudgetTicket("crm", 1, null, TimeSpan.FromSeconds(5)), CancellationToken.None).AsTask();

        Assert.False(impatient.IsAcquired);
        Assert.True(impatient.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.True(retryAfter > TimeSpan.FromMilliseconds(50), $"{retryAfter}");
        Assert.False(patient.IsCompleted);
        Assert.All(backlog, t => Assert.False(t.IsCompleted));
    }

    [Fact]
    public async Task Acquire_CallerWaitLongerThanMaxQueueWait_IsCappedByIt()
    {
        using var budget = OnePer100Ms(queueLimit: 100, maxQueueWait: TimeSpan.FromMilliseconds(250));
        Assert.True(budget.Take());
        var backlog = Enumerable.Range(0, 2).Select(_ => budget.AcquireAsync(Bulk, CancellationToken.None).AsTask()).ToList();
        var hour = new BudgetTicket("crm", 1, null, TimeSpan.FromHours(1));

        // The first crm call goes after one bulk turn (about 200 ms: fits 250 ms); the second after bulk, crm, bulk
        // (about 400 ms): asking for an hour does not buy it more than MaxQueueWait.
        var first = budget.AcquireAsync(hour, CancellationToken.None).AsTask();
        var second = budget.AcquireAsync(hour, CancellationToken.None).AsTask();

        Assert.False(first.IsCompleted);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.False((await second).IsAcquired);
        Assert.All(backlog, t => Assert.False(t.IsCompleted));
    }

    [Fact]
    public async Task Cancel_InsideAClientsQueue_OthersKeepTheirTurnsAndNothingIsSpent()
    {
        using var budget = OnePer100Ms(queueLimit: 100);
        Assert.True(budget.Take());
        using var gaveUp = new CancellationTokenSource();
        var bulk1 = budget.AcquireAsync(Bulk, CancellationToken.None).AsTask();
        var bulk2 = budget.AcquireAsync(Bulk, gaveUp.Token).AsTask();
        var bulk3 = budget.AcquireAsync(Bulk, CancellationToken.None).AsTask();
        var crm = budget.AcquireAsync(Crm, CancellationToken.None).AsTask();

        await gaveUp.CancelAsync();
        var order = await ServeAsync([("bulk1", bulk1), ("bulk3", bulk3), ("crm", crm)], grants: 3);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bulk2);
        Assert.Equal(["bulk1", "crm", "bulk3"], order);
    }

    private UpstreamBudget OnePer100Ms(int queueLimit, TimeSpan? maxQueueWait = null) =>
        NewBudget(Create(tokenLimit: 1, tokensPerPeriod: 1, period: Tick, queueLimit: queueLimit, maxQueueWait: maxQueueWait), _time);

    /// <summary>Moves time a permit at a time and returns whose request each permit went to.</summary>
    private async Task<List<string>> ServeAsync(List<(string Who, Task<RateLimitLease> Task)> waiting, int grants)
    {
        var order = new List<string>();
        var pending = waiting.ToList();
        for (var i = 0; i < grants * 10 && order.Count < grants; i++)
        {
            _time.Advance(Tick);
            await Task.Yield();
            foreach (var done in pending.Where(p => p.Task.IsCompleted).ToList())
            {
                pending.Remove(done);
                using var lease = await done.Task;
                Assert.True(lease.IsAcquired, $"{done.Who} was refused");
                order.Add(done.Who);
            }
        }

        return order;
    }
}
