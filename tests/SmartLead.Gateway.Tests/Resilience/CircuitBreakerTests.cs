using System.Net;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>Breaker behaviour on fake time: two failures out of two open it for 30 s.</summary>
public sealed class CircuitBreakerTests : IDisposable
{
    private const string Campaigns = "/api/v1/campaigns/";
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Retry:MaxRetries"] = "0",
        ["CircuitBreaker:Enabled"] = "true",
        ["CircuitBreaker:MinimumThroughput"] = "2",
        ["CircuitBreaker:FailureRatio"] = "0.5",
        ["CircuitBreaker:SamplingDuration"] = "00:00:30",
        ["CircuitBreaker:BreakDuration"] = "00:00:30",
        ["SmartLead:Timeout"] = "00:10:00",
    };

    private readonly WireMockServer _upstream = Upstream.StartWireMock();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task RepeatedFailures_OpenTheCircuit_AndRefuseWith503WithoutContactingSmartLead()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);

        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));
        var ex = await Assert.ThrowsAsync<GatewayRejectedException>(() => invoker.SendAsync(request, CancellationToken.None));

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(GatewayError.UpstreamUnavailable, ex.Code);
        Assert.Equal(TimeSpan.FromSeconds(30), ex.RetryAfter);
        Assert.Equal(2, _upstream.RequestCount());
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);
        Assert.Equal(0, log.Attempts);
    }

    [Fact]
    public async Task OpenCircuit_RetryAfter_IsTheRestOfTheBreak()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(500));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);

        _time.Advance(TimeSpan.FromSeconds(12));
        var ex = await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker));

        Assert.Equal(TimeSpan.FromSeconds(18), ex.RetryAfter);
    }

    [Fact]
    public async Task AfterTheBreak_ASuccessfulProbe_ClosesTheCircuit()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503), Status(503), Status(200));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);
        await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker));

        _time.Advance(TimeSpan.FromSeconds(30));
        var probe = await SendAsync(invoker);
        var next = await SendAsync(invoker);

        Assert.Equal(HttpStatusCode.OK, probe);
        Assert.Equal(HttpStatusCode.OK, next);
        Assert.Equal(CircuitState.Closed, host.Pipeline.CircuitState);
        Assert.Equal(4, _upstream.RequestCount());
    }

    [Fact]
    public async Task AfterTheBreak_AFailedProbe_OpensTheCircuitAgain()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(invoker));

        await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker));
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);
        Assert.Equal(3, _upstream.RequestCount());
    }

    [Theory]
    [InlineData(429)]
    [InlineData(404)]
    public async Task RateLimitsAndClientErrors_DoNotOpenTheCircuit(int status)
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(status));
        var invoker = host.CreateInvoker();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(status, (int)await SendAsync(invoker));
        }

        Assert.Equal(CircuitState.Closed, host.Pipeline.CircuitState);
        Assert.Equal(4, _upstream.RequestCount());
    }

    [Fact]
    public async Task ConnectionFailures_OpenTheCircuit()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        var invoker = host.CreateInvoker();
        var url = $"http://127.0.0.1:{Upstream.FreePort()}{Campaigns}";
        await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), CancellationToken.None));
        await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), CancellationToken.None));

        await Assert.ThrowsAsync<GatewayRejectedException>(() => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), CancellationToken.None));
    }

    [Fact]
    public async Task OpenCircuit_IsSharedByEveryChain()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var first = host.CreateInvoker();
        await SendAsync(first);
        await SendAsync(first);

        await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(host.CreateInvoker()));
        Assert.Equal(2, _upstream.RequestCount());
    }

    [Fact]
    public async Task Disabled_NeverOpens()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?>(Settings) { ["CircuitBreaker:Enabled"] = "false" }, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(invoker));
        }

        Assert.Equal(4, _upstream.RequestCount());
    }

    [Fact]
    public async Task Reload_RetryTimeoutOrUnchangedBreakerSettings_KeepTheCircuitOpen()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);

        host.Reload(new Dictionary<string, string?>
        {
            ["Retry:MaxRetries"] = "1",
            ["SmartLead:ApiKey"] = "rotated",
            ["SmartLead:Timeout"] = "00:05:00",
            ["CircuitBreaker:BreakDuration"] = "00:00:30",
        });

        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);
        await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker));
    }

    [Fact]
    public async Task Reload_BreakerSettings_ApplyToANewCircuit()
    {
        using var host = new ResilienceTestHost(Settings, _time);
        _upstream.GivenSequence("GET", Campaigns, Status(503));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker);
        await SendAsync(invoker);

        host.Reload(new Dictionary<string, string?> { ["CircuitBreaker:MinimumThroughput"] = "3" });

        Assert.Equal(CircuitState.Closed, host.Pipeline.CircuitState);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(invoker));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(invoker));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(invoker));
        await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker));
    }

    private async Task<HttpStatusCode> SendAsync(HttpMessageInvoker invoker)
    {
        using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(Campaigns)), CancellationToken.None);
        return response.StatusCode;
    }

    private string Url(string path) => _upstream.Urls[0] + path + "?api_key=test-key";
}
