using System.Net;
using System.Text;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.LeadValidation;

/// <summary>The check as wired in the real gateway (Program), in front of a loopback SmartLead stand-in.</summary>
public sealed class LeadImportThroughGatewayTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public LeadImportThroughGatewayTests() =>
        _upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"ok\":true}"));

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task LeadImport_401Leads_Returns400WithoutForwarding()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        var leads = string.Join(',', Enumerable.Range(0, 401).Select(i => $"{{\"email\":\"lead{i}@example.com\"}}"));

        var response = await client.PostAsync(new Uri("/api/v1/campaigns/42/leads", UriKind.Relative),
            new StringContent($"{{\"lead_list\":[{leads}]}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"VALIDATION_ERROR\"", body, StringComparison.Ordinal);
        Assert.Contains("401", body, StringComparison.Ordinal);
        Assert.Empty(_upstream.LogEntries);
    }

    [Fact]
    public async Task LeadListImport_LeadWithoutEmail_Returns400NamingTheFieldWithoutForwarding()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.PostAsync(new Uri("/API/v1/Lead-List/7/import/?x=1", UriKind.Relative),
            new StringContent("{\"leadList\":[{\"email\":\"a@b.co\"},{\"first_name\":\"No email\"}]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("leadList[1].email", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_upstream.LogEntries);
    }

    [Fact]
    public async Task LeadImport_Valid_ForwardedByteIdenticalAndLoggedWithoutClearEmails()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RequestLogging:Bodies"] = "All" });
        using var client = gateway.CreateClient();
        var body = "{ \"lead_list\" : [ {\"email\":\"jane.doe@example.com\", \"custom_fields\": {\"tier\": \"gold\"}} ],\n \"settings\": {\"ignore_global_block_list\": false} }";

        var response = await client.PostAsync(new Uri("/api/v1/campaigns/42/leads", UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(_upstream.LogEntries).RequestMessage!.Body);
        var logged = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2002)).RenderMessage();
        Assert.Contains("j***@example.com", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("jane.doe@", logged, StringComparison.Ordinal);
    }
}
