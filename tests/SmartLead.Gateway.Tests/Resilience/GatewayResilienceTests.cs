using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Serilog.Events;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>
/// The whole gateway (real Program, YARP, the core's error mapper and request log) with resilience in its handler
/// chain, against a loopback WireMock SmartLead. <see cref="ResilienceServiceCollectionExtensions.AddGatewayResilience"/>
/// is added here too, so these tests hold before and after Program.cs calls it (a second call adds nothing).
/// </summary>
public sealed class GatewayResilienceTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Gateway_503Then503Then200_ClientSeesThe200_AndTheLogCountsAttempts()
    {
        _upstream.GivenSequence("GET", "/api/v1/campaigns/", Status(503), Status(503), Status(200).WithBody("[]"));
        await using var gateway = Gateway(_upstream.Url!);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
        Assert.Equal("3", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
        var logEvent = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        Assert.Equal(3, Scalar(logEvent, "Attempts"));
        Assert.Equal("503,503", Scalar(logEvent, "RetryReasons"));
    }

    [Fact]
    public async Task Gateway_ChunkedPostOn503_IsReplayedIntact()
    {
        _upstream.GivenSequence("POST", "/api/v1/campaigns/create", Status(503), Status(200));
        await using var gateway = Gateway(_upstream.Url!);
        using var client = gateway.CreateClient();
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"name\":\"Q3 outreach\",\"client_id\":7}");

        using var response = await client.PostAsync(new Uri("/api/v1/campaigns/create", UriKind.Relative), new SingleUseContent(bytes));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = _upstream.LogEntries.Select(e => e.RequestMessage!.BodyAsBytes).ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, body => Assert.Equal(bytes, body));
    }

    [Fact]
    public async Task Gateway_AttemptsTimeOut_Answers504UpstreamTimeout()
    {
        await using var hanging = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        await using var gateway = Gateway(hanging.Url, new() { ["Retry:MaxRetries"] = "1", ["SmartLead:Timeout"] = "00:00:01" });
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("UPSTREAM_TIMEOUT", await ErrorCode(response));
        Assert.Equal(2, hanging.RequestCount);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
    }

    [Fact]
    public async Task Gateway_NoConnection_IsRetriedThenAnswers502UpstreamUnavailable()
    {
        await using var gateway = Gateway(Upstream.RefusingUrl(), new() { ["Retry:MaxRetries"] = "2" });
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("UPSTREAM_UNAVAILABLE", await ErrorCode(response));
        Assert.Equal("3", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
        var logEvent = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        Assert.Equal(3, Scalar(logEvent, "Attempts"));
        Assert.Equal("connect,connect", Scalar(logEvent, "RetryReasons"));
    }

    [Fact]
    public async Task Gateway_OpenCircuit_Answers503UpstreamUnavailableWithRetryAfter()
    {
        _upstream.GivenSequence("GET", "/api/v1/campaigns/", Status(500));
        await using var gateway = Gateway(_upstream.Url!, new()
        {
            ["Retry:MaxRetries"] = "0",
            ["CircuitBreaker:Enabled"] = "true",
            ["CircuitBreaker:MinimumThroughput"] = "2",
            ["CircuitBreaker:BreakDuration"] = "00:00:30",
        });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).Dispose();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("UPSTREAM_UNAVAILABLE", await ErrorCode(response));
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 29, 30);
        Assert.Equal(2, _upstream.RequestCount());
    }

    [Fact]
    public async Task Gateway_ChunkedBodyOverBufferLimit_Answers413PayloadTooLarge()
    {
        _upstream.GivenSequence("POST", "/api/v1/email-accounts/save", Status(200));
        await using var gateway = Gateway(_upstream.Url!, new() { ["Retry:MaxBufferedBodyBytes"] = "1000" });
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync(new Uri("/api/v1/email-accounts/save", UriKind.Relative), new SingleUseContent(new byte[1001]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", await ErrorCode(response));
        Assert.Equal(0, _upstream.RequestCount());
    }

    [Fact]
    public async Task Gateway_LeadImportRetried_ReplaysTheBufferTheLeadCheckRead()
    {
        // The retry buffer's limit is far below the import: had the chain read the body again, it would answer 413.
        _upstream.GivenSequence("POST", "/api/v1/campaigns/7/leads", Status(503), Status(200));
        await using var gateway = Gateway(_upstream.Url!, new() { ["Retry:MaxBufferedBodyBytes"] = "16" });
        using var client = gateway.CreateClient();
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"lead_list\":[{\"email\":\"a@example.com\"},{\"email\":\"b@example.com\"}]}");

        using var response = await client.PostAsync(new Uri("/api/v1/campaigns/7/leads", UriKind.Relative), new SingleUseContent(bytes));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Gateway-Attempts")));
        var received = _upstream.LogEntries.Select(e => e.RequestMessage!.BodyAsBytes).ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, body => Assert.Equal(bytes, body));
    }

    private static ResilientGateway Gateway(string upstreamUrl, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Retry:MaxRetries"] = "5",
            ["Retry:BaseDelay"] = "00:00:00.005",
            ["Retry:MaxDelay"] = "00:00:00.020",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new ResilientGateway(new GatewayFactory(upstreamUrl, all));
    }

    private static object? Scalar(LogEvent logEvent, string name) => ((ScalarValue)logEvent.Properties[name]).Value;

    private static async Task<string?> ErrorCode(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    /// <summary>The core's <see cref="GatewayFactory"/> (whose sink still captures every event) with resilience added.</summary>
    private sealed class ResilientGateway(GatewayFactory factory) : IAsyncDisposable
    {
        private readonly WebApplicationFactory<Program> _withResilience =
            factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddGatewayResilience()));

        public CapturingSink Logs => factory.Logs;

        public HttpClient CreateClient() => _withResilience.CreateClient();

        public async ValueTask DisposeAsync()
        {
            await _withResilience.DisposeAsync();
            await factory.DisposeAsync();
        }
    }
}
