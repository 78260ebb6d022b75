using System.Net;
using System.Text;
using System.Text.Json;
using SmartLead.Gateway.LeadValidation;
using SmartLead.Sandbox;

namespace SmartLead.Gateway.Tests.LeadValidation;

/// <summary>The gateway's lead check and the sandbox decide the edge cases of the import bodies alike.</summary>
public sealed class GatewayAndSandboxAgreeTests
{
    [Theory]
    [InlineData("/api/v1/campaigns/1001/leads", """{"lead_list":[]}""")]
    [InlineData("/api/v1/campaigns/1001/leads", """{"leads":[{"email":"a@example.com"}]}""")]
    [InlineData("/api/v1/campaigns/1001/leads", """{"settings":{}}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"lead_list":[]}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"leadList":[]}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"leads":[]}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"leads":[{"email":"a@example.com"}]}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"leadList":[{"email":"a@example.com"}]}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"fileName":"x.csv"}""")]
    [InlineData("/api/v1/lead-list/2001/import", """{"leads":[{"first_name":"No email"}]}""")]
    public async Task ImportBody_GatewayAndSandbox_GiveTheSameVerdict(string path, string body)
    {
        await using var sandbox = await SandboxServer.StartAsync("http://127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = sandbox.BaseAddress };
        var endpoint = path.Contains("campaigns", StringComparison.Ordinal) ? LeadImportEndpoint.CampaignLeads : LeadImportEndpoint.LeadListImport;

        var gateway = LeadPayloadValidator.Validate(Encoding.UTF8.GetBytes(body), endpoint, 400);
        using var answer = await client.PostAsync(
            new Uri($"{path}?api_key={"sandbox-dev-key"}", UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        if (gateway.IsValid)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var details = json.RootElement.GetProperty("error").GetProperty("details");
        Assert.Equal(gateway.Field, details.GetProperty("field").GetString());
        Assert.Equal(gateway.Constraint, details.GetProperty("constraint").GetString());
    }
}
