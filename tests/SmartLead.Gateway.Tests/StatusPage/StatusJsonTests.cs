using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.StatusPage;

public sealed class StatusJsonTests : IDisposable
{
    private const string ClientKey = "client-own-key-90f1c3";
    private const string RawPathSegment = "c4mpaign-7731x";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task StatusJson_AfterKnownTraffic_ReportsBudgetUseTrafficKeyAndVersion()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:QueueLimit"] = "7",
            ["CircuitBreaker:Enabled"] = "true",
        });
        using var client = gateway.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();
        }

        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();
        metrics.UpstreamAttempt("429"); // the three calls above recorded their own 200 attempts
        metrics.Retry("429");
        metrics.LeadRejection("maxItems");

        using var doc = JsonDocument.Parse(await client.GetStringAsync(new Uri("/status.json", UriKind.Relative)));
        var root = doc.RootElement;

        Assert.StartsWith("1.0.0", root.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("uptimeSeconds").GetDouble() >= 0);
        var budget = root.GetProperty("budget");
        Assert.True(budget.GetProperty("enabled").GetBoolean());
        Assert.Equal("Memory", budget.GetProperty("store").GetString());
        var limits = budget.GetProperty("limits").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(["bucket", "1s", "1m", "1h"], limits.Keys);
        Assert.Equal(3, limits["1h"].GetProperty("used").GetInt32());
        Assert.Equal(847, limits["1h"].GetProperty("available").GetInt32());
        Assert.Equal(850, limits["1h"].GetProperty("permitLimit").GetInt32());
        Assert.Equal(3600, limits["1h"].GetProperty("periodSeconds").GetDouble());
        Assert.Equal("plan", limits["1h"].GetProperty("source").GetString()); // the Standard plan's value, not set explicitly
        Assert.Equal(7, budget.GetProperty("queue").GetProperty("limit").GetInt32());
        Assert.Equal(0, budget.GetProperty("queue").GetProperty("length").GetInt32());
        Assert.False(budget.GetProperty("cooldown").GetProperty("active").GetBoolean());

        Assert.Equal("closed", root.GetProperty("breaker").GetProperty("state").GetString());
        Assert.Equal(0, root.GetProperty("breaker").GetProperty("value").GetInt32());
        var upstream = root.GetProperty("upstream");
        Assert.Equal(4, upstream.GetProperty("attempts").GetInt64());
        Assert.Equal(3, upstream.GetProperty("statuses").GetProperty("200").GetInt64());
        Assert.Equal(1, upstream.GetProperty("statuses").GetProperty("429").GetInt64());
        Assert.Equal(1, upstream.GetProperty("retryReasons").GetProperty("429").GetInt64());
        Assert.Equal(1, root.GetProperty("leadRejections").GetProperty("maxItems").GetInt64());
        Assert.Equal(ApiKeyStore.Fingerprint(GatewayFactory.TestKey), root.GetProperty("key").GetProperty("fingerprint").GetString());
        Assert.Equal(StatusHistoryLength, root.GetProperty("history").GetProperty("buckets").GetArrayLength());
        Assert.Equal(4, root.GetProperty("history").GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("attempts").GetInt64()));
    }

    [Fact]
    public async Task Root_InABrowser_LandsOnTheStatusPage()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var root = await client.GetAsync(new Uri("/", UriKind.Relative));
        var page = await client.GetAsync(new Uri("/status", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("status", root.Headers.Location!.OriginalString);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("status.json", html, StringComparison.Ordinal);

        // Self-contained: nothing is loaded from anywhere else, and the policy forbids it should anyone try.
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("<link(?![^>]*href=\"data:)", html);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" src=", html, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitoringEndpoints_AfterTrafficWithKeysAndEmails_ServeNoKeyEmailPathOrQuery()
    {
        _upstream.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"ok\":true}"));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["CircuitBreaker:Enabled"] = "true",
        });
        using var client = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        string[] emails = ["ada.lovelace@example.com", "grace.hopper@example.org"];
        await client.GetAsync(new Uri($"/api/v1/campaigns/{RawPathSegment}?api_key={ClientKey}&email={emails[0]}", UriKind.Relative));
        await client.GetAsync(new Uri($"/api/v1/leads/?email={emails[1]}&api_key={GatewayFactory.TestKey}", UriKind.Relative));
        await client.GetAsync(new Uri($"/{RawPathSegment}?api_key={ClientKey}", UriKind.Relative));
        await client.PostAsync(new Uri($"/api/v1/campaigns/1/leads?api_key={ClientKey}", UriKind.Relative), Json($"{{\"lead_list\":[{{\"email\":\"{emails[0]}\"}}]}}"));
        await client.PostAsync(new Uri("/api/v1/campaigns/1/leads", UriKind.Relative), Json($"{{\"lead_list\":[{{\"email\":\"{emails[1]}\"}},{{\"email\":\"not an email {emails[0]}\"}}]}}"));
        await client.GetAsync(new Uri($"/status.json?api_key={ClientKey}", UriKind.Relative));

        var served = new StringBuilder();
        foreach (var path in new[] { "/metrics", "/status", "/status.json", "/" })
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            served.AppendLine(response.Headers.ToString()).AppendLine(response.Content.Headers.ToString());
            served.AppendLine(await response.Content.ReadAsStringAsync());
        }

        var text = served.ToString();
        Assert.Contains("smartlead_gateway_", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        foreach (var secret in new[] { GatewayFactory.TestKey, ClientKey, emails[0], emails[1], "example.com", "example.org", RawPathSegment, "api_key", "?" + "email", "/api/v1/" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private const int StatusHistoryLength = SmartLead.Gateway.StatusPage.StatusRecorder.BucketCount;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
