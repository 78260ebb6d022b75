using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>
/// A request waits for its first permit before the forwarder (<see cref="UpstreamBudgetMiddleware"/>), and its first
/// attempt spends that permit: through the whole gateway, counted in the budget's own status. The bucket holds three
/// permits and refills one an hour, so nothing refills while a test runs.
/// </summary>
public sealed class FirstPermitThroughGatewayTests
{
    [Fact]
    public async Task OneAttempt_SpendsOnePermit_NotOneBeforeAndOneInTheChain()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(200);
        await using var gateway = Gateway(upstream.Url);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(2, BucketAvailable(gateway));
    }

    [Fact]
    public async Task Retried_SpendsOnePermitPerAttempt()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((index, context) =>
        {
            // Numbered from 1.
            context.Response.StatusCode = index == 1 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        await using var gateway = Gateway(upstream.Url, new() { ["Retry:MaxRetries"] = "1" });
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
        Assert.Equal(2, upstream.RequestCount);
        Assert.Equal(1, BucketAvailable(gateway));
    }

    [Fact]
    public async Task BodyOverTheLimit_WithTheBudgetSpent_Is413AtOnce_NotAWaitOrA429()
    {
        // A body not read yet waits for its permit in the chain, after the chain has read it: bad input costs nothing.
        await using var upstream = await ScriptedUpstream.StartAsync(200);
        await using var gateway = Gateway(upstream.Url, new()
        {
            ["RateLimit:TokenLimit"] = "1",
            ["RateLimit:MaxQueueWait"] = "00:05:00",
            ["Retry:MaxBufferedBodyBytes"] = "1000",
        });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        Assert.Equal(0, BucketAvailable(gateway));

        using var response = await client.PostAsync(
            new Uri("/api/v1/email-accounts/save", UriKind.Relative), new ByteArrayContent(new byte[1001]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(0, gateway.Services.GetRequiredService<IBudgetStatusSource>().GetStatus().QueueLength);
    }

    [Fact]
    public async Task BudgetSpent_RefusedBeforeTheForwarder_With429RetryAfterAndNoAttempt()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(200);
        using var forwarder = new ForwarderStarts(upstream.Url);
        await using var gateway = Gateway(upstream.Url, new() { ["RateLimit:TokenLimit"] = "1", ["RateLimit:MaxQueueWait"] = "00:00:05" });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();

        // The next permit is an hour away, beyond the 5 s wait: refused at once.
        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("RATE_LIMIT_EXCEEDED", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 3600);
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
        Assert.Equal(1, forwarder.Count); // the first request's only: YARP never started on the refused one
        Assert.Equal(1, upstream.RequestCount);
    }

    [Fact]
    public async Task OpenCircuit_RefusedAtOnceWith503_WithoutWaitingForAPermit()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(500);
        await using var gateway = Gateway(upstream.Url, new()
        {
            ["RateLimit:TokenLimit"] = "2",
            // The next permit would come in 30 s, well within the wait allowed: a request that asked the budget would
            // sit in the queue for it.
            ["RateLimit:ReplenishmentPeriod"] = "00:00:30",
            ["RateLimit:MaxQueueWait"] = "00:05:00",
            ["CircuitBreaker:Enabled"] = "true",
            ["CircuitBreaker:MinimumThroughput"] = "2",
            ["CircuitBreaker:BreakDuration"] = "00:05:00",
        });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        Assert.Equal(0, BucketAvailable(gateway));

        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("UPSTREAM_UNAVAILABLE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Waiting for the permit would take 30 s; at once is milliseconds. 10 s tells them apart on any machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answered after {clock.Elapsed}");
        Assert.Equal(2, upstream.RequestCount);
    }

    [Fact]
    public async Task CallerLeavesWhileWaiting_LeavesTheQueue_AndTheLogSays499()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(200);
        await using var gateway = Gateway(upstream.Url, new() { ["RateLimit:TokenLimit"] = "1", ["RateLimit:MaxQueueWait"] = "02:00:00" });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        var budget = gateway.Services.GetRequiredService<IBudgetStatusSource>();
        using var leave = new CancellationTokenSource();

        var waiting = client.GetAsync(new Uri("/api/v1/campaigns/parked", UriKind.Relative), leave.Token);
        for (var i = 0; i < 200 && budget.GetStatus().QueueLength == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, budget.GetStatus().QueueLength);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        var events = await gateway.Logs.WaitForEventIdAsync(2001, count: 2);
        var parked = Assert.Single(events, e => Scalar(e, "Path")?.ToString()?.Contains("parked", StringComparison.Ordinal) == true);
        Assert.Equal(499, Scalar(parked, "StatusCode"));
        Assert.Equal(0, Scalar(parked, "Attempts"));
        Assert.Equal(0, budget.GetStatus().QueueLength);
        Assert.Equal(1, upstream.RequestCount);
    }

    [Fact]
    public async Task WaitingForItsFirstPermit_TheForwarderHasNotStartedOnIt()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(200);
        using var forwarder = new ForwarderStarts(upstream.Url);
        await using var gateway = Gateway(upstream.Url, new() { ["RateLimit:TokenLimit"] = "1", ["RateLimit:MaxQueueWait"] = "02:00:00" });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        Assert.Equal(1, forwarder.Count);
        var budget = gateway.Services.GetRequiredService<IBudgetStatusSource>();
        using var leave = new CancellationTokenSource();

        var waiting = client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative), leave.Token);
        for (var i = 0; i < 200 && budget.GetStatus().QueueLength == 0; i++)
        {
            await Task.Delay(50);
        }

        // Queued, and YARP has built nothing for it: no upstream message, no attempt, no Polly context held while it waits.
        Assert.Equal(1, budget.GetStatus().QueueLength);
        Assert.Equal(1, forwarder.Count);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    private static GatewayFactory Gateway(string upstreamUrl, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(ThreePermitsAnHour)
        {
            ["RateLimit:QueueLimit"] = "10",
            ["Retry:BaseDelay"] = "00:00:00.005",
            ["Retry:MaxDelay"] = "00:00:00.020",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new GatewayFactory(upstreamUrl, all);
    }

    /// <summary>A budget of three permits that refills one an hour: nothing refills while a test runs.</summary>
    internal static readonly IReadOnlyDictionary<string, string?> ThreePermitsAnHour = new Dictionary<string, string?>
    {
        ["RateLimit:Enabled"] = "true",
        ["RateLimit:Plan"] = "Custom",
        ["RateLimit:TokenLimit"] = "3",
        ["RateLimit:TokensPerPeriod"] = "1",
        ["RateLimit:ReplenishmentPeriod"] = "01:00:00",
        ["RateLimit:Windows:0:PermitLimit"] = "100",
        ["RateLimit:Windows:0:Window"] = "01:00:00",
    };

    private static int BucketAvailable(GatewayFactory gateway) =>
        gateway.Services.GetRequiredService<IBudgetStatusSource>().GetStatus().Limits.Single(l => l.Name == "bucket").Available;

    private static object? Scalar(LogEvent logEvent, string name) => ((ScalarValue)logEvent.Properties[name]).Value;

    /// <summary>YARP's own "forwarder started" events for one destination (other tests' gateways run alongside).</summary>
    private sealed class ForwarderStarts(string destination) : System.Diagnostics.Tracing.EventListener
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "Yarp.ReverseProxy")
            {
                EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == "ForwarderStart"
                && eventData.Payload is [string prefix, ..]
                && prefix.StartsWith(destination, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }
        }
    }
}
