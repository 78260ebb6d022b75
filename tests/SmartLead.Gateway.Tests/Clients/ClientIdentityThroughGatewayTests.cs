using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Clients;

/// <summary>The whole gateway with clients configured, against a loopback SmartLead.</summary>
public sealed class ClientIdentityThroughGatewayTests : IDisposable
{
    private const string CrmKey = "crm-client-key-5b1e09";
    private const string BulkKey = "bulk-client-key-77d2c4";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public ClientIdentityThroughGatewayTests() =>
        _upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200).WithBody("[]"));

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Call_WithoutClientKey_Answers401EnvelopeAndForwardsNothing()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UNAUTHORIZED", await ErrorCode(response));
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Empty(_upstream.LogEntries);
    }

    [Theory]
    [InlineData("X-Gateway-Key", "wrong-key")]
    [InlineData("X-Gateway-Key", "")]
    [InlineData("Authorization", "Bearer wrong-key")]
    [InlineData("Authorization", "Basic Y3JtOmNybQ==")]
    public async Task Call_WithUnknownClientKey_Answers401AndForwardsNothing(string header, string value)
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_upstream.LogEntries);
    }

    [Fact]
    public async Task LeadImport_WithUnknownClientKey_Answers401BeforeTheLeadCheck()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync(new Uri("/api/v1/campaigns/1/leads", UriKind.Relative),
            new StringContent("{\"lead_list\":[{\"first_name\":\"no email\"}]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_upstream.LogEntries);
    }

    [Theory]
    [InlineData("X-Gateway-Key", CrmKey)]
    [InlineData("Authorization", "Bearer " + CrmKey)]
    [InlineData("Authorization", "bearer  " + CrmKey + " ")]
    public async Task Call_WithKnownClientKey_IsForwardedWithoutTheClientKey(string header, string value)
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_upstream.LogEntries).RequestMessage!;
        Assert.False(received.Headers!.ContainsKey("X-Gateway-Key"));
        Assert.False(received.Headers!.ContainsKey("Authorization"));
        Assert.DoesNotContain(CrmKey, received.AbsoluteUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_WithKnownClientKey_RequestLogNamesTheClientAndNoLogHoldsAnyClientKey()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();
        using var good = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        good.Headers.Add("X-Gateway-Key", BulkKey);
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        bad.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CrmKey + "x");

        (await client.SendAsync(good)).Dispose();
        (await client.SendAsync(bad)).Dispose();

        var events = await gateway.Logs.WaitForEventIdAsync(2001, count: 2);
        Assert.Contains(events, e => e.Properties["Client"].ToString() == "\"bulk\"");
        Assert.Contains(events, e => e.Properties["Client"].ToString() == "\"none\"" && e.Properties["StatusCode"].ToString() == "401");
        var everything = string.Join("\n", gateway.Logs.RenderedEvents());
        Assert.Contains("bulk", everything, StringComparison.Ordinal); // positive control: the capture sees the events
        Assert.DoesNotContain(BulkKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(CrmKey, everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_ClientKeyReplaced_TheOldKeyIs401WithoutRestart()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await Send(client, BulkKey)).StatusCode);

        var configuration = (IConfigurationRoot)gateway.Services.GetRequiredService<IConfiguration>();
        configuration["Clients:1:KeySha256"] = ClientRegistryTests.Sha256Hex("bulk-client-key-rotated");
        configuration.Reload();

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, BulkKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, "bulk-client-key-rotated")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, CrmKey)).StatusCode);
    }

    [Fact]
    public async Task NoClientsConfigured_CallsAreForwardedAndOneWarningSaysTheGatewayIsOpen()
    {
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        request.Headers.Add("X-Gateway-Key", "anything");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Assert.Single(_upstream.LogEntries).RequestMessage!.Headers!.ContainsKey("X-Gateway-Key"));
        Assert.Single(gateway.Logs.WithEventId(8101));
        var logged = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        Assert.Equal("\"anonymous\"", logged.Properties["Client"].ToString());
    }

    [Fact]
    public async Task ClientsConfigured_NoOpenGatewayWarning()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();

        (await Send(client, CrmKey)).Dispose();

        Assert.Empty(gateway.Logs.WithEventId(8101));
    }

    [Fact]
    public async Task HealthEndpoints_NeedNoClientKey()
    {
        await using var gateway = GatewayWithClients();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private GatewayFactory GatewayWithClients() => new(_upstream.Url!, new Dictionary<string, string?>
    {
        ["Clients:0:Name"] = "crm",
        ["Clients:0:KeySha256"] = ClientRegistryTests.Sha256Hex(CrmKey),
        ["Clients:1:Name"] = "bulk",
        ["Clients:1:KeySha256"] = ClientRegistryTests.Sha256Hex(BulkKey).ToLowerInvariant(),
    });

    private static async Task<HttpResponseMessage> Send(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        request.Headers.Add("X-Gateway-Key", key);
        return await client.SendAsync(request);
    }

    private static async Task<string?> ErrorCode(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}
