using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Sandbox;
using SmartLead.Sandbox.Limits;

namespace SmartLead.Gateway.Tests.Sandbox;

public sealed class KeyRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TryAcquire_StandardTier_AdmitsTenPerSecondThenRefusesWithRetryAfterOneSecond()
    {
        var limiter = Create();

        for (var i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryAcquire("k").Allowed);
        }

        var refused = limiter.TryAcquire("k");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        Assert.Equal(1, refused.RetryAfterSeconds);
        Assert.Equal(10, refused.Limit);
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(_time.GetUtcNow().AddSeconds(1), refused.Reset);
    }

    [Fact]
    public void TryAcquire_OneSecondLater_PerSecondWindowHasFreedUp()
    {
        var limiter = Create();
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("k");
        }

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limiter.TryAcquire("k").Allowed);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire("k").Allowed);
    }

    [Fact]
    public void TryAcquire_PerMinuteFull_RetryAfterIsWhenTheOldestRequestLeavesTheWindow()
    {
        var limiter = Create(o => o.PerSecond = 0);
        for (var i = 0; i < 60; i++)
        {
            Assert.True(limiter.TryAcquire("k").Allowed);
        }

        _time.Advance(TimeSpan.FromSeconds(10));
        var refused = limiter.TryAcquire("k");

        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(50), refused.RetryAfter);
        Assert.Equal(60, refused.Limit);
    }

    [Fact]
    public void TryAcquire_SlidingMinute_OnlyRequestsOlderThanAMinuteAreForgotten()
    {
        var limiter = Create(o => o.PerSecond = 0);
        for (var i = 0; i < 30; i++)
        {
            limiter.TryAcquire("k");
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 30; i++)
        {
            Assert.True(limiter.TryAcquire("k").Allowed);
        }

        // A fixed minute would have reset here; a sliding one still counts the 30 from t=0.
        _time.Advance(TimeSpan.FromSeconds(29));
        var refused = limiter.TryAcquire("k");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);

        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 30; i++)
        {
            Assert.True(limiter.TryAcquire("k").Allowed);
        }

        Assert.False(limiter.TryAcquire("k").Allowed);
    }

    [Fact]
    public void TryAcquire_PerHourFull_RefusesEvenWhenSecondAndMinuteWindowsAreEmpty()
    {
        var limiter = Create(o =>
        {
            o.PerSecond = 0;
            o.PerMinute = 0;
            o.PerHour = 5;
        });
        for (var i = 0; i < 5; i++)
        {
            limiter.TryAcquire("k");
        }

        _time.Advance(TimeSpan.FromMinutes(20));
        var refused = limiter.TryAcquire("k");

        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(40), refused.RetryAfter);
        Assert.Equal(2400, refused.RetryAfterSeconds);
    }

    [Fact]
    public void TryAcquire_RefusedRequests_DoNotSpendBudget()
    {
        var limiter = Create();
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("k");
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.False(limiter.TryAcquire("k").Allowed);
        }

        _time.Advance(TimeSpan.FromSeconds(1));

        // 60 refused-or-admitted calls so far, but only 10 admitted: the minute window still has 50 left.
        var next = limiter.TryAcquire("k");
        Assert.True(next.Allowed);
    }

    [Fact]
    public void TryAcquire_DifferentKeys_HaveSeparateBudgets()
    {
        var limiter = Create();
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("a");
        }

        Assert.False(limiter.TryAcquire("a").Allowed);
        Assert.True(limiter.TryAcquire("b").Allowed);
    }

    [Fact]
    public void TryAcquire_Admitted_ReportsTheWindowWithFewestRequestsLeft()
    {
        var limiter = Create();

        var first = limiter.TryAcquire("k");
        Assert.Equal(10, first.Limit);
        Assert.Equal(9, first.Remaining);
        Assert.Equal(_time.GetUtcNow().AddSeconds(1), first.Reset);

        // Spread 55 more over the minute: the second window is nearly empty, the minute one nearly full.
        for (var i = 0; i < 55; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            limiter.TryAcquire("k");
        }

        var start = _time.GetUtcNow().AddMilliseconds(-55 * 500);
        var later = limiter.TryAcquire("k");
        Assert.True(later.Allowed);
        Assert.Equal(60, later.Limit);
        Assert.Equal(3, later.Remaining);
        Assert.Equal(start.AddMinutes(1), later.Reset);
    }

    [Fact]
    public void TryAcquire_RateLimitDisabled_IsUnlimited()
    {
        var limiter = Create(o => o.RateLimitEnabled = false);

        for (var i = 0; i < 100; i++)
        {
            var decision = limiter.TryAcquire("k");
            Assert.True(decision.Allowed);
            Assert.True(decision.IsUnlimited);
        }
    }

    private KeyRateLimiter Create(Action<SandboxOptions>? configure = null)
    {
        var options = new SandboxOptions();
        configure?.Invoke(options);
        return new KeyRateLimiter(Options.Create(options), _time);
    }
}
