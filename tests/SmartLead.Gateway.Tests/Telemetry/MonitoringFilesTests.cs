using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Telemetry;

/// <summary>
/// The Grafana dashboard and the Prometheus alerts query metrics by name; a renamed instrument would leave them
/// silently empty. Every name they use must be in what the gateway serves on /metrics.
/// </summary>
public sealed partial class MonitoringFilesTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task DashboardAndAlerts_EveryMetricTheyQuery_IsExported()
    {
        var exported = await ExportedNamesAsync();
        var dashboard = File.ReadAllText(FindUpwards(Path.Combine("deploy", "grafana", "smartlead-gateway.json")));
        var alerts = File.ReadAllText(FindUpwards(Path.Combine("deploy", "prometheus", "alerts.yaml")));

        using var doc = JsonDocument.Parse(dashboard);
        var expressions = doc.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() != "row")
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        Assert.True(expressions.Count >= 15, $"the dashboard has only {expressions.Count} queries");

        var queried = MetricName().Matches(string.Join('\n', expressions) + '\n' + alerts).Select(m => m.Value).ToHashSet();
        Assert.Contains("smartlead_gateway_ratelimit_wait_seconds_bucket", queried);
        Assert.Contains("smartlead_gateway_ratelimit_permits_available", queried);
        var missing = string.Join(", ", queried.Where(name => !exported.Contains(name)).Order(StringComparer.Ordinal));
        Assert.True(missing.Length == 0, $"queried but not exported: {missing}");
    }

    [Fact]
    public void Alerts_CoverUpstream429sAFullQueueAnOpenBreakerAndARejectedKey()
    {
        var alerts = File.ReadAllText(FindUpwards(Path.Combine("deploy", "prometheus", "alerts.yaml")));
        var rules = AlertRule().Matches(alerts).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["body"].Value);

        Assert.Equal(["SmartLeadUpstream429", "SmartLeadGatewayQueueFull", "SmartLeadCircuitOpen", "SmartLeadKeyRejected"], rules.Keys);
        Assert.Contains("status=\"429\"", rules["SmartLeadUpstream429"], StringComparison.Ordinal);
        Assert.Contains("smartlead_gateway_ratelimit_queue_length", rules["SmartLeadGatewayQueueFull"], StringComparison.Ordinal);
        Assert.Contains("smartlead_gateway_circuit_state) >= 2", rules["SmartLeadCircuitOpen"], StringComparison.Ordinal);
        Assert.Contains("status=\"401\"", rules["SmartLeadKeyRejected"], StringComparison.Ordinal);
        Assert.All(rules.Values, body => Assert.Matches(@"severity: (warning|critical)", body));
    }

    private async Task<HashSet<string>> ExportedNamesAsync()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RateLimit:Enabled"] = "true", ["CircuitBreaker:Enabled"] = "true" });
        using var client = gateway.CreateClient();
        (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();
        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();
        metrics.UpstreamAttempt("200");
        metrics.Retry("503");
        metrics.QueueWait(TimeSpan.FromSeconds(1));
        metrics.RateLimitRejection("queue_full");
        metrics.LeadRejection("required");

        var text = await MetricsEndpointTests.ScrapeUntilAsync(client, body => body.Contains("smartlead_gateway_lead_rejections_total", StringComparison.Ordinal)
            && body.Contains("http_server_request_duration_seconds", StringComparison.Ordinal));
        return [.. Regex.Matches(text, "^([a-z_]+)\\{", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
    }

    private static string FindUpwards(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex("(smartlead_gateway|http_server|http_client)_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"- alert: (?<name>\w+)\n(?<body>(?:(?!\n\s*- alert:)[\s\S])*)")]
    private static partial Regex AlertRule();
}
