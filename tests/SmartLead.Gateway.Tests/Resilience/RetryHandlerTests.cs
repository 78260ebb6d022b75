using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Polly.Timeout;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>Retry rules end to end: buffering → resilience → sockets → a loopback WireMock SmartLead.</summary>
public sealed class RetryHandlerTests : IDisposable
{
    private const string Campaigns = "/api/v1/campaigns/";
    private static readonly Dictionary<string, string?> FakeTimeSettings = new() { ["SmartLead:Timeout"] = "00:10:00" };
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Get_503Then503Then200_ReturnsThe200AfterThreeAttempts()
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("GET", Campaigns, Status(503), Status(503), Response.Create().WithStatusCode(200).WithBody("[]"));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, _upstream.RequestCount());
        Assert.Equal(3, log.Attempts);
        Assert.Equal(["503", "503"], log.RetryReasons);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    public async Task Get_ClientErrorStatus_PassesThroughWithoutRetry(int status)
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("GET", Campaigns, Status(status), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(1, _upstream.RequestCount());
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task Get_429WithRetryAfterSeconds_WaitsAtLeastThatLong()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(FakeTimeSettings, time);
        _upstream.GivenSequence("GET", Campaigns, Status(429).WithHeader("Retry-After", "2"), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await time.DriveAsync(host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, host.AttemptTimes.Count);
        Assert.True(host.AttemptTimes[1] - host.AttemptTimes[0] >= TimeSpan.FromSeconds(2), $"waited {host.AttemptTimes[1] - host.AttemptTimes[0]}");
        Assert.Equal(["429"], log.RetryReasons);
    }

    [Fact]
    public async Task Get_503WithRetryAfterHttpDate_WaitsUntilThatDate()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        using var host = new ResilienceTestHost(FakeTimeSettings, time);
        var until = start.AddSeconds(5);
        _upstream.GivenSequence("GET", Campaigns, Status(503).WithHeader("Retry-After", until.ToString("R", CultureInfo.InvariantCulture)), Status(200));
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await time.DriveAsync(host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, host.AttemptTimes.Count);
        Assert.True(host.AttemptTimes[1] >= until, $"second attempt at {host.AttemptTimes[1]:O}, asked for {until:O}");
    }

    [Fact]
    public async Task Get_429WithRetryAfterBeyondMaxRetryAfter_ReturnsThe429AtOnce()
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("GET", Campaigns, Status(429).WithHeader("Retry-After", "120").WithBody("{\"error\":\"slow down\"}"), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), response.Headers.RetryAfter?.Delta);
        Assert.Equal("{\"error\":\"slow down\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task Get_429WithFarRateLimitResetOnly_ReturnsThe429WithRetryAfter()
    {
        using var host = new ResilienceTestHost();
        var reset = host.Time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds();
        _upstream.GivenSequence("GET", Campaigns, Status(429).WithHeader("X-RateLimit-Reset", reset.ToString(CultureInfo.InvariantCulture)), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 590, 600);
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task Post_500OnNonImport_IsNotRetried()
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("POST", "/api/v1/campaigns/create", Status(500), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Post, Url("/api/v1/campaigns/create"), new StringContent("{\"name\":\"q3\"}"));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, _upstream.RequestCount());
        Assert.Empty(log.RetryReasons);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Post_429Or503OnNonImport_IsRetried(int status)
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("POST", "/api/v1/campaigns/create", Status(status), Status(200));
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Post, Url("/api/v1/campaigns/create"), new StringContent("{\"name\":\"q3\"}"));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _upstream.RequestCount());
    }

    [Fact]
    public async Task Post_500And502OnLeadImport_AreRetriedWithTheSameBody()
    {
        using var host = new ResilienceTestHost();
        const string path = "/api/v1/campaigns/123/leads";
        _upstream.GivenSequence("POST", path, Status(500), Status(502), Status(200));
        const string body = "{\"lead_list\":[{\"email\":\"a@example.com\"}]}";
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Post, Url(path), new StringContent(body));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([body, body, body], _upstream.LogEntries.Select(e => e.RequestMessage!.Body));
        Assert.Equal(["500", "502"], log.RetryReasons);
    }

    [Fact]
    public async Task Post_ChunkedBody_IsReplayedIntactOnEveryAttempt()
    {
        using var host = new ResilienceTestHost();
        const string path = "/api/v1/lead-list/9/import";
        _upstream.GivenSequence("POST", path, Status(503), Status(500), Status(200));
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"leadList\":[{\"email\":\"b@example.com\"},{\"email\":\"c@example.com\"}],\"fileName\":\"x.csv\"}");
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Post, Url(path), new SingleUseContent(bytes));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = _upstream.LogEntries.Select(e => e.RequestMessage!.BodyAsBytes).ToList();
        Assert.Equal(3, received.Count);
        Assert.All(received, body => Assert.Equal(bytes, body));
    }

    [Fact]
    public async Task Get_AlwaysFailing_ReturnsTheLastUpstreamAnswerUnchanged()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "2" });
        _upstream.GivenSequence(
            "GET",
            Campaigns,
            Status(502),
            Status(504),
            Status(503).WithHeader("X-Upstream", "last").WithHeader("Content-Type", "application/json").WithBody("{\"error\":\"down\"}"));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("last", Assert.Single(response.Headers.GetValues("X-Upstream")));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"error\":\"down\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, log.Attempts);
        Assert.Equal(["502", "504"], log.RetryReasons);
    }

    [Fact]
    public async Task Get_NoConnection_IsRetriedThenThrowsHttpRequestException()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "2" });
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, $"http://127.0.0.1:{Upstream.FreePort()}{Campaigns}");

        await Assert.ThrowsAsync<HttpRequestException>(() => host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(3, log.Attempts);
        Assert.Equal(["connect", "connect"], log.RetryReasons);
    }

    [Fact]
    public async Task Post_NoConnectionOnNonImport_IsRetried()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "1" });
        var (request, log) = ResilienceTestHost.Request(
            HttpMethod.Post, $"http://127.0.0.1:{Upstream.FreePort()}/api/v1/campaigns/create", new StringContent("{}"));

        await Assert.ThrowsAsync<HttpRequestException>(() => host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(2, log.Attempts);
    }

    [Fact]
    public async Task Get_AttemptTimeout_IsRetriedThenSurfacesAsTimeoutException()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "1", ["SmartLead:Timeout"] = "00:01:00" }, time);
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, upstream.Url + Campaigns);

        var sending = host.CreateInvoker().SendAsync(request, CancellationToken.None);
        await upstream.WaitForRequestsAsync(1);
        time.Advance(TimeSpan.FromMinutes(1));
        await AdvanceUntilAsync(time, () => upstream.RequestCount >= 2);
        time.Advance(TimeSpan.FromMinutes(1));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsType<TimeoutRejectedException>(ex.InnerException);
        Assert.Equal(2, log.Attempts);
        Assert.Equal(["timeout"], log.RetryReasons);
    }

    [Fact]
    public async Task Get_AttemptTimeoutThenQuickAnswer_ReturnsTheAnswer()
    {
        // Fake time: the first attempt is cut only when the test moves the clock past the timeout, and the clock stands
        // still while the second attempt is in flight, so a slow machine cannot time that one out too (a 200 ms
        // real-time timeout did, on a busy 2-core CI run).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["SmartLead:Timeout"] = "00:01:00" }, time);
        await using var upstream = await ScriptedUpstream.StartAsync((n, context) =>
            n == 1 ? ScriptedUpstream.HangAsync(context) : context.Response.WriteAsync("fast"));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, upstream.Url + Campaigns + "?api_key=test-key");

        var sending = host.CreateInvoker().SendAsync(request, CancellationToken.None);
        await upstream.WaitForRequestsAsync(1);
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(1));
        await AdvanceUntilAsync(time, () => upstream.RequestCount >= 2);

        using var response = await sending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("fast", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, upstream.RequestCount);
        Assert.Equal(2, log.Attempts);
        Assert.Equal(["timeout"], log.RetryReasons);
    }

    [Fact]
    public async Task Post_AttemptTimeoutOnNonImport_IsNotRetried()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["SmartLead:Timeout"] = "00:01:00" }, time);
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Post, upstream.Url + "/api/v1/campaigns/create", new StringContent("{}"));

        var sending = host.CreateInvoker().SendAsync(request, CancellationToken.None);
        await upstream.WaitForRequestsAsync(1);
        time.Advance(TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<TimeoutException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task Reload_MaxRetries_AppliesToTheNextRequest()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "2" });
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();
        using (var first = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(Campaigns)), CancellationToken.None))
        {
            Assert.Equal(3, _upstream.RequestCount());
        }

        host.Reload(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "0" });
        using var second = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(Campaigns)), CancellationToken.None);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(4, _upstream.RequestCount());
    }

    [Fact]
    public async Task Reload_AttemptTimeout_AppliesToTheNextRequest()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["Retry:MaxRetries"] = "0", ["SmartLead:Timeout"] = "00:10:00" }, time);
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        var invoker = host.CreateInvoker();
        var first = invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Url + Campaigns), CancellationToken.None);
        await upstream.WaitForRequestsAsync(1);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(first.IsCompleted);

        host.Reload(new Dictionary<string, string?> { ["SmartLead:Timeout"] = "00:00:30" });
        var second = invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Url + Campaigns), CancellationToken.None);
        await upstream.WaitForRequestsAsync(2);
        time.Advance(TimeSpan.FromSeconds(30));

        // The new timeout cuts the request sent after the reload; the one sent before keeps the ten minutes it began with.
        await Assert.ThrowsAsync<TimeoutException>(() => second.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(first.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(9));
        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Moves fake time in small steps (the retry's backoff) until <paramref name="done"/>, bounded in real time.</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (var i = 0; i < 2000 && !done(); i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5);
        }
    }

    private string Url(string path) => _upstream.Urls[0] + path + "?api_key=test-key";
}
