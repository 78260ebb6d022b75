using System.Text.Json;
using SmartLead.Gateway.Tests.Clients;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.StatusPage;

/// <summary><c>/status.json</c>'s clients: the budget each spent over the last hour, and its share of the waiting room.</summary>
public sealed class StatusClientsTests : IDisposable
{
    private const string CrmKey = "crm-client-key-status-51e2";
    private const string BulkKey = "bulk-client-key-status-09ab";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public StatusClientsTests() =>
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("[]"));

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task StatusJson_AfterCallsOfTwoClients_ListsEachWithThePermitsItSpent()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:Plan"] = "Custom",
            ["RateLimit:TokenLimit"] = "1000",
            ["RateLimit:TokensPerPeriod"] = "1000",
            ["Clients:0:Name"] = "crm",
            ["Clients:0:KeySha256"] = ClientRegistryTests.Sha256Hex(CrmKey),
            ["Clients:1:Name"] = "bulk",
            ["Clients:1:KeySha256"] = ClientRegistryTests.Sha256Hex(BulkKey),
            ["Clients:2:Name"] = "reports",
            ["Clients:2:KeySha256"] = ClientRegistryTests.Sha256Hex("reports-client-key-status"),
        });
        using var client = gateway.CreateClient();
        foreach (var key in new[] { CrmKey, CrmKey, BulkKey, BulkKey, BulkKey })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
            request.Headers.Add("X-Gateway-Key", key);
            (await client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        var body = await client.GetStringAsync(new Uri("/status.json", UriKind.Relative));
        using var doc = JsonDocument.Parse(body);
        var clients = doc.RootElement.GetProperty("clients").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

        Assert.Equal(["bulk", "crm", "reports"], clients.Keys);
        Assert.Equal(3, clients["bulk"].GetProperty("permitsLastHour").GetInt64());
        Assert.Equal(2, clients["crm"].GetProperty("permitsLastHour").GetInt64());
        Assert.Equal(0, clients["reports"].GetProperty("permitsLastHour").GetInt64());
        Assert.All(clients.Values, c => Assert.Equal(0, c.GetProperty("waiting").GetInt32()));
        Assert.DoesNotContain(CrmKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(BulkKey, body, StringComparison.Ordinal);
    }
}
