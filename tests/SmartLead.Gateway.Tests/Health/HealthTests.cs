using System.Net;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Health;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_Returns200()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());
        using var client = gateway.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Readyz_WithKey_Returns200()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());
        using var client = gateway.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Readyz_WithoutKeyOutsideProduction_Returns503AndApiCallsAreRefused()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?> { ["SmartLead:ApiKey"] = null });
        using var client = gateway.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
        var call = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.StatusCode);
        Assert.Contains("SmartLead:ApiKey", await call.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
