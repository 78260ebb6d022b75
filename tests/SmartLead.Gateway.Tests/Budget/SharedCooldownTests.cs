using System.Net;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>One cooldown for all: a 429 that reaches one gateway pauses the other too, through the shared Redis.</summary>
public sealed class SharedCooldownTests
{
    [RedisFact]
    public async Task Upstream429OnOneGateway_HoldsTheOtherGatewaysNextRequestUntilRetryAfter()
    {
        await using var redis = await RedisServer.StartAsync();
        using var upstream = Upstream.StartWireMock();
        upstream.Given(Request.Create().WithPath("/api/v1/limited"))
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "2"));
        upstream.Given(Request.Create().WithPath("/api/v1/campaigns")).RespondWith(Response.Create().WithStatusCode(200).WithBody("[]"));
        var settings = new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:Store"] = "Redis",
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
        };
        await using var first = new GatewayFactory(upstream.Url!, settings);
        await using var second = new GatewayFactory(upstream.Url!, settings);
        using var firstClient = first.CreateClient();
        using var secondClient = second.CreateClient();
        (await secondClient.GetAsync(new Uri("/readyz", UriKind.Relative))).Dispose();

        using var limited = await firstClient.GetAsync(new Uri("/api/v1/limited", UriKind.Relative));
        var answered = DateTime.UtcNow;
        using var next = await secondClient.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var arrived = upstream.LogEntries.Single(e => e.RequestMessage!.Path == "/api/v1/campaigns").RequestMessage!.DateTime;
        Assert.True(arrived - answered >= TimeSpan.FromSeconds(1.8), $"the second gateway sent {arrived - answered} after the first one's 429");
    }
}
