using System.Net;
using System.Text.Json;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.QuickStart;

/// <summary>
/// The quick start as a newcomer meets it: the gateway in Development hosts the sandbox in-process and forwards to it
/// with the development key. The sandbox gets a free loopback port here instead of the fixed 5081, so tests can run
/// side by side.
/// </summary>
public sealed class QuickStartTests
{
    [Fact]
    public async Task Development_HostsTheSandbox_CampaignsListAnswersThroughTheGateway()
    {
        await using var gateway = QuickStartGateway();
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var campaigns = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(campaigns.RootElement.GetArrayLength() >= 1);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Development_UnknownCampaign_SandboxAnswers404EnvelopeUnchanged()
    {
        await using var gateway = QuickStartGateway();
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns/987654", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Campaign not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static GatewayFactory QuickStartGateway(IDictionary<string, string?>? extra = null)
    {
        var sandboxUrl = $"http://127.0.0.1:{Upstream.FreePort()}";
        var settings = new Dictionary<string, string?>
        {
            ["Sandbox:Enabled"] = "true",
            ["Sandbox:Url"] = sandboxUrl,
            ["Sandbox:ApiKey"] = "sandbox-dev-key",
            ["SmartLead:ApiKey"] = "sandbox-dev-key",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new GatewayFactory(sandboxUrl, settings, environment: "Development");
    }
}
