using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Budget.BudgetTestOptions;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>The handler in a real chain against a real loopback upstream; timings are real, so asserts are tolerant.</summary>
public sealed class BudgetHandlerTests : IAsyncLifetime
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public BudgetHandlerTests()
    {
        _upstream.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200));
    }

    public async Task InitializeAsync()
    {
        // Warm the upstream and the HTTP stack up so first-request costs do not blur the timings measured.
        using var client = new HttpClient();
        (await client.GetAsync(new Uri(new Uri(_upstream.Url!), "/warm-up"))).Dispose();
        _upstream.ResetLogEntries();
    }

    public Task DisposeAsync()
    {
        _upstream.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Send_BurstBeyondBucket_SpacesArrivalsByReplenishmentPeriod()
    {
        using var budget = RealBudget(Create(tokenLimit: 2, tokensPerPeriod: 2, period: TimeSpan.FromMilliseconds(300)));
        using var invoker = Invoker(budget);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SendAsync(invoker, "/api/v1/campaigns")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var arrivals = _upstream.LogEntries.Select(e => e.RequestMessage!.DateTime).Order().ToArray();
        Assert.Equal(6, arrivals.Length);
        Assert.InRange((arrivals[2] - arrivals[0]).TotalMilliseconds, 200, 1000);
        Assert.InRange((arrivals[4] - arrivals[0]).TotalMilliseconds, 500, 1500);
    }

    [Fact]
    public async Task Send_QueueFull_ThrowsRateLimitExceededWithoutForwarding()
    {
        using var budget = RealBudget(Create(period: TimeSpan.FromSeconds(10), queueLimit: 1));
        using var invoker = Invoker(budget);
        using var cts = new CancellationTokenSource();
        (await SendAsync(invoker, "/api/v1/campaigns")).Dispose();
        var waiting = SendAsync(invoker, "/api/v1/campaigns", cts.Token);

        var error = await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker, "/api/v1/campaigns"));

        Assert.Equal(429, error.StatusCode);
        Assert.Equal(GatewayError.RateLimitExceeded, error.Code);
        Assert.NotNull(error.RetryAfter);
        Assert.InRange(error.RetryAfter.Value, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(20));
        Assert.Single(_upstream.LogEntries);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task Send_ClientGivesUpWhileQueued_NothingForwardedAndNoPermitSpent()
    {
        using var budget = RealBudget(Create(period: TimeSpan.FromHours(1), maxQueueWait: TimeSpan.FromHours(2)));
        using var invoker = Invoker(budget);
        (await SendAsync(invoker, "/api/v1/first")).Dispose();
        using var cts = new CancellationTokenSource();
        var leaving = SendAsync(invoker, "/api/v1/leaving", cts.Token);
        var staying = SendAsync(invoker, "/api/v1/staying");
        Assert.Equal(2, budget.GetStatistics()!.CurrentQueuedCount);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        budget.Apply(Create(period: TimeSpan.FromMilliseconds(200)));
        using var response = await staying;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = _upstream.LogEntries.Select(e => e.RequestMessage!.Path).ToArray();
        Assert.Equal(["/api/v1/first", "/api/v1/staying"], paths);
        Assert.Equal(2, budget.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task Send_Upstream429WithRetryAfter_HoldsEveryRequestUntilThen()
    {
        _upstream.Given(Request.Create().WithPath("/api/v1/limited"))
            .AtPriority(0)
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1"));
        using var budget = RealBudget(Create(tokenLimit: 10, tokensPerPeriod: 10));
        using var invoker = Invoker(budget);

        using var limited = await SendAsync(invoker, "/api/v1/limited");
        var answered = DateTime.UtcNow;
        var followers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SendAsync(invoker, "/api/v1/campaigns")));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.All(followers, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var followerArrivals = _upstream.LogEntries
            .Where(e => e.RequestMessage!.Path == "/api/v1/campaigns")
            .Select(e => e.RequestMessage!.DateTime);
        Assert.All(followerArrivals, at => Assert.True(at - answered >= TimeSpan.FromMilliseconds(900), $"sent {at - answered} after the 429"));
    }

    [Fact]
    public async Task Send_UpstreamSaysRemainingZero_HoldsNextRequestUntilReset()
    {
        var reset = DateTimeOffset.UtcNow.AddSeconds(2).ToUnixTimeSeconds();
        _upstream.Given(Request.Create().WithPath("/api/v1/last"))
            .AtPriority(0)
            .RespondWith(Response.Create().WithStatusCode(200)
                .WithHeader(UpstreamSignals.RemainingHeader, "0")
                .WithHeader(UpstreamSignals.ResetHeader, reset.ToString(CultureInfo.InvariantCulture)));
        using var budget = RealBudget(Create(tokenLimit: 10, tokensPerPeriod: 10));
        using var invoker = Invoker(budget);

        (await SendAsync(invoker, "/api/v1/last")).Dispose();
        (await SendAsync(invoker, "/api/v1/campaigns")).Dispose();

        var next = _upstream.LogEntries.Single(e => e.RequestMessage!.Path == "/api/v1/campaigns").RequestMessage!.DateTime;
        Assert.True(new DateTimeOffset(next, TimeSpan.Zero).ToUnixTimeMilliseconds() >= (reset * 1000) - 50, $"sent at {next:O}, reset {reset}");
    }

    [Fact]
    public async Task Send_Disabled_PassesThroughWithoutWaiting()
    {
        var options = Create(period: TimeSpan.FromHours(1), queueLimit: 0);
        options.Enabled = false;
        using var budget = RealBudget(options);
        using var invoker = Invoker(budget);
        var started = Stopwatch.GetTimestamp();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SendAsync(invoker, "/api/v1/campaigns")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(5, _upstream.LogEntries.Count());
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        Assert.Equal(0, budget.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task Send_AfterWaitingForPermit_RecordsQueueWaitOnRequestLog()
    {
        using var budget = RealBudget(Create(period: TimeSpan.FromMilliseconds(400)));
        using var invoker = Invoker(budget);
        var first = new RequestLogFeature("first");
        var second = new RequestLogFeature("second");

        var sends = new[] { SendAsync(invoker, "/api/v1/a", feature: first), SendAsync(invoker, "/api/v1/b", feature: second) };
        await Task.WhenAll(sends);

        var (shorter, longer) = first.QueueWait < second.QueueWait ? (first, second) : (second, first);
        Assert.True(shorter.QueueWait < TimeSpan.FromMilliseconds(100), $"{shorter.QueueWait}");
        Assert.True(longer.QueueWait >= TimeSpan.FromMilliseconds(250), $"{longer.QueueWait}");
    }

    [Fact]
    public async Task Send_RefusedAfterWaiting_RecordsTheWaitAndForwardsNothing()
    {
        using var budget = RealBudget(Create(period: TimeSpan.FromSeconds(2), maxQueueWait: TimeSpan.FromSeconds(10)));
        using var invoker = Invoker(budget);
        (await SendAsync(invoker, "/api/v1/a")).Dispose();
        var feature = new RequestLogFeature("refused");
        var waiting = SendAsync(invoker, "/api/v1/b", feature: feature);

        await Task.Delay(300);
        budget.PauseFor(TimeSpan.FromMinutes(1), "test");

        var error = await Assert.ThrowsAsync<GatewayRejectedException>(() => waiting);
        Assert.Equal(429, error.StatusCode);
        Assert.True(feature.QueueWait >= TimeSpan.FromMilliseconds(250), $"{feature.QueueWait}");
        Assert.Single(_upstream.LogEntries);
    }

    [Fact]
    public async Task Send_BudgetSwitchedOffAfterThePrepaidGrant_TheAttemptStillSpendsThePermit()
    {
        // The window shows whether the permit was released when the attempt ended: 100 ms after that it is whole again.
        var options = Create(tokenLimit: 3, period: TimeSpan.FromHours(1), windows: Window(10, TimeSpan.FromMilliseconds(100)));
        using var budget = RealBudget(options);
        using var invoker = Invoker(budget);
        var prepaid = new PrepaidPermit(await budget.AcquireAsync(BudgetTicket.Anonymous, CancellationToken.None));
        var off = Create(tokenLimit: 3, period: TimeSpan.FromHours(1), windows: Window(10, TimeSpan.FromMilliseconds(100)));
        off.Enabled = false;
        budget.Apply(off);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(_upstream.Url!), "/api/v1/campaigns"));
        var features = new Microsoft.AspNetCore.Http.Features.FeatureCollection();
        features.Set(prepaid);
        SmartLead.Gateway.Forwarding.ForwardedFeatures.Attach(request, features);

        using var response = await invoker.SendAsync(request, CancellationToken.None);
        budget.Apply(options);

        // Sent to SmartLead, so counted: given back, the bucket would show 3 again.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(prepaid.Take());
        Assert.Equal(2, budget.GetStatus().Limits.Single(l => l.Name == "bucket").Available);
        await Task.Delay(TimeSpan.FromSeconds(1)); // ten windows: a released permit has left it by far
        Assert.Equal(10, budget.GetStatus().Limits.Single(l => l.Name != "bucket").Available);
    }

    internal static UpstreamBudget RealBudget(RateLimitOptions options) =>
        new(options, TimeProvider.System, NullLogger<UpstreamBudget>.Instance);

    internal static HttpMessageInvoker Invoker(UpstreamBudget budget) =>
        new(new BudgetHandler(budget) { InnerHandler = new SocketsHttpHandler() });

    private Task<HttpResponseMessage> SendAsync(
        HttpMessageInvoker invoker, string path, CancellationToken cancellationToken = default, RequestLogFeature? feature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(_upstream.Url!), path));
        if (feature is not null)
        {
            var features = new Microsoft.AspNetCore.Http.Features.FeatureCollection();
            features.Set(feature);
            SmartLead.Gateway.Forwarding.ForwardedFeatures.Attach(request, features);
        }

        return invoker.SendAsync(request, cancellationToken);
    }
}
