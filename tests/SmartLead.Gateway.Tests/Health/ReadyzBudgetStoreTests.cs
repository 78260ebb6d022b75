using System.Net;
using System.Text.Json;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SmartLead.Gateway.Tests.Health;

/// <summary><c>/readyz</c> with the budget counted in Redis: an outage shows in the details, the replica stays ready.</summary>
public sealed class ReadyzBudgetStoreTests
{
    [Fact]
    public async Task Readyz_RedisUnreachable_Returns200WithTheOutageInDetailsAndRequestsStillGo()
    {
        using var upstream = Upstream.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        await using var gateway = new GatewayFactory(upstream.Url!, RedisSettings(Upstream.RefusingUrl().Replace("http://", string.Empty, StringComparison.Ordinal)));
        using var client = gateway.CreateClient();

        var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var call = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var budget = body.RootElement.GetProperty("budget");
        Assert.Equal("Redis", budget.GetProperty("store").GetString());
        Assert.False(budget.GetProperty("reachable").GetBoolean());
        Assert.Contains("unreachable", budget.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Single(gateway.Logs.WithEventId(4010));
    }

    [RedisFact]
    public async Task Readyz_RedisReachable_SaysSo()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), RedisSettings(redis.ConnectionString));
        using var client = gateway.CreateClient();

        var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("budget").GetProperty("reachable").GetBoolean());
    }

    private static Dictionary<string, string?> RedisSettings(string connectionString) => new()
    {
        ["RateLimit:Enabled"] = "true",
        ["RateLimit:Store"] = "Redis",
        ["ConnectionStrings:Redis"] = connectionString,
    };
}
