using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Telemetry;

public sealed partial class MetricsEndpointTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Metrics_AfterEveryKindOfEvent_ExportsEveryInstrumentTheIssueLists()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RateLimit:Enabled"] = "true", ["CircuitBreaker:Enabled"] = "true" });
        using var client = gateway.CreateClient();
        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();
        metrics.UpstreamAttempt("429");
        metrics.Retry("429");
        metrics.QueueWait(TimeSpan.FromMilliseconds(1500));
        metrics.RateLimitRejection("queue_full");
        metrics.Cooldown();
        metrics.LeadRejection("required");
        metrics.KeyRotation();

        var text = await ScrapeUntilAsync(client, body => body.Contains("smartlead_gateway_key_rotations_total", StringComparison.Ordinal));

        Assert.Matches(Series("smartlead_gateway_upstream_attempts_total", "status", "429"), text);
        Assert.Matches(Series("smartlead_gateway_retries_total", "reason", "429"), text);
        Assert.Matches(Series("smartlead_gateway_ratelimit_rejections_total", "reason", "queue_full"), text);
        Assert.Matches(Series("smartlead_gateway_lead_rejections_total", "reason", "required"), text);
        Assert.Matches(Series("smartlead_gateway_ratelimit_permits_available", "limit", "1m"), text);
        Assert.Matches(Series("smartlead_gateway_ratelimit_permits_available", "limit", "bucket"), text);
        foreach (var name in new[]
        {
            "smartlead_gateway_ratelimit_queue_length", "smartlead_gateway_upstream_cooldowns_total", "smartlead_gateway_circuit_state",
            "smartlead_gateway_key_rotations_total", "smartlead_gateway_ratelimit_wait_seconds_bucket", "smartlead_gateway_ratelimit_wait_seconds_count",
        })
        {
            Assert.Matches(new Regex($"^{name}\\{{[^}}]*\\}} ", RegexOptions.Multiline), text);
        }

        // Waits are measured in seconds: 1.5 s falls in the 2 s bucket, not in the SDK's millisecond-sized first one.
        Assert.Matches(new Regex("^smartlead_gateway_ratelimit_wait_seconds_bucket\\{[^}]*le=\"2\"[^}]*\\} [1-9]", RegexOptions.Multiline), text);
        Assert.DoesNotMatch(new Regex("^smartlead_gateway_ratelimit_wait_seconds_bucket\\{[^}]*le=\"1\"[^}]*\\} [1-9]", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task Metrics_BeforeAnyEvent_ShowTheUnlabeledCountersAtZeroAndTheBreakerClosed()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["CircuitBreaker:Enabled"] = "true" });
        using var client = gateway.CreateClient();

        var text = await ScrapeUntilAsync(client, body => body.Contains("smartlead_gateway_circuit_state", StringComparison.Ordinal));

        Assert.Matches(new Regex("^smartlead_gateway_upstream_cooldowns_total\\{[^}]*\\} 0$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("^smartlead_gateway_key_rotations_total\\{[^}]*\\} 0$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("^smartlead_gateway_circuit_state\\{[^}]*\\} 0$", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task Metrics_ForwardedRequests_ExportAspNetCoreAndHttpClientInstrumentation()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();

        var text = await ScrapeUntilAsync(client, body => body.Contains("http_client_request_duration_seconds", StringComparison.Ordinal)
            && body.Contains("http_server_request_duration_seconds", StringComparison.Ordinal));

        Assert.Contains("http_server_request_duration_seconds_count", text, StringComparison.Ordinal);
        Assert.Contains("http_client_request_duration_seconds_count", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLog_ForwardedRequest_CarriesTheTraceIdOfTheTraceparentSmartLeadReceived()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();

        var traceparent = Assert.Single(_upstream.LogEntries).RequestMessage!.Headers!["traceparent"].Single();
        var match = TraceparentPattern().Match(traceparent);
        Assert.True(match.Success, $"not a W3C traceparent: {traceparent}");
        var logEvent = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        var traceId = Assert.IsType<ScalarValue>(logEvent.Properties["TraceId"]).Value;
        Assert.Equal(match.Groups["trace"].Value, traceId);
    }

    [Theory]
    [InlineData("01")]
    [InlineData("00")]
    public async Task Traceparent_FromTheClient_ReachesSmartLeadInTheSameTraceWithItsSampledFlag(string flags)
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        const string ClientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string ClientSpan = "00f067aa0ba902b7";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/campaigns/", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{ClientTrace}-{ClientSpan}-{flags}");

        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        var sent = Assert.Single(_upstream.LogEntries).RequestMessage!.Headers!["traceparent"].Single();
        var match = TraceparentPattern().Match(sent);
        Assert.True(match.Success, $"not a W3C traceparent: {sent}");
        Assert.Equal(ClientTrace, match.Groups["trace"].Value);
        Assert.NotEqual(ClientSpan, match.Groups["span"].Value);
        Assert.Equal(flags, match.Groups["flags"].Value);
        var logEvent = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        Assert.Equal(ClientTrace, Assert.IsType<ScalarValue>(logEvent.Properties["TraceId"]).Value);
    }

    [Fact]
    public async Task Metrics_ForwardedRequests_LeaveOutThePerRequestInstrumentsNobodyReads()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();

        var text = await ScrapeUntilAsync(client, body => body.Contains("http_client_request_duration_seconds", StringComparison.Ordinal)
            && body.Contains("http_server_request_duration_seconds", StringComparison.Ordinal));

        Assert.Contains("http_server_active_requests", text, StringComparison.Ordinal);
        foreach (var dropped in new[] { "http_client_active_requests", "http_client_open_connections", "http_client_request_time_in_queue", "aspnetcore_routing_match_attempts" })
        {
            Assert.DoesNotContain(dropped, text, StringComparison.Ordinal);
        }
    }

    internal static async Task<string> ScrapeUntilAsync(HttpClient client, Func<string, bool> done)
    {
        // The exporter caches a scrape for 300 ms; poll rather than guess.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            var text = await response.Content.ReadAsStringAsync();
            if (done(text) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(100);
        }
    }

    private static Regex Series(string name, string label, string value) =>
        new($"^{name}\\{{[^}}]*{label}=\"{Regex.Escape(value)}\"[^}}]*\\}} [1-9]", RegexOptions.Multiline);

    [GeneratedRegex("^00-(?<trace>[0-9a-f]{32})-(?<span>[0-9a-f]{16})-(?<flags>[0-9a-f]{2})$")]
    private static partial Regex TraceparentPattern();
}
