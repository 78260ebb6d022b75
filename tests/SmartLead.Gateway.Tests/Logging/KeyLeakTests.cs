using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Logging;

/// <summary>
/// The key lives in the URL, and YARP and ASP.NET print URLs. Every event at every level, from every source,
/// is captured here for a mix of requests (success, client keys in every spelling, upstream errors, redirects,
/// unreachable upstream, timeout, request bodies logged) and searched for the configured key and the client's.
/// </summary>
public sealed class KeyLeakTests : IDisposable
{
    private const string ClientKey = "client-own-key-5512ab";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task EveryLogEventAtVerbose_ContainsNeitherTheConfiguredKeyNorTheClientKey()
    {
        _upstream.Given(Request.Create().WithPath("/api/v1/ok").UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"ok\":true}"));
        _upstream.Given(Request.Create().WithPath("/api/v1/redirect")).RespondWith(Response.Create().WithStatusCode(301)
            .WithHeader("Location", $"/api/v1/ok?api_key={GatewayFactory.TestKey}"));
        _upstream.Given(Request.Create().WithPath("/api/v1/fail")).RespondWith(Response.Create().WithStatusCode(500)
            .WithHeader("Content-Type", "application/json").WithBody("{\"error\":\"boom\"}"));
        _upstream.Given(Request.Create().WithPath("/api/v1/slow")).RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(2)));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["SmartLead:Timeout"] = "00:00:00.250",
            ["RequestLogging:Bodies"] = "All",
        });
        using var client = gateway.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        string[] paths =
        [
            $"/api/v1/ok?api_key={ClientKey}",
            $"/api/v1/ok?api%5Fkey={ClientKey}&api_key[]={ClientKey}",
            $"/api/v1/redirect?api_key={ClientKey}",
            $"/api/v1/fail?API_KEY={ClientKey}",
            $"/api/v1/slow?api_key={ClientKey}",
            $"/not-api?api_key={ClientKey}",
        ];
        foreach (var path in paths)
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            AssertNoKey(string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => h.Key + ": " + string.Join(",", h.Value))));
            AssertNoKey(await response.Content.ReadAsStringAsync());
        }

        var post = await client.PostAsync(new Uri($"/api/v1/ok?api_key={ClientKey}", UriKind.Relative),
            new StringContent($"{{\"api_key\":\"{ClientKey}\",\"note\":\"{GatewayFactory.TestKey}\"}}", System.Text.Encoding.UTF8, "application/json"));
        AssertNoKey(await post.Content.ReadAsStringAsync());

        // Upstream unreachable: exceptions carry the URL in some runtimes.
        await using (var unreachable = new GatewayFactory(Upstream.RefusingUrl()))
        {
            using var unreachableClient = unreachable.CreateClient();
            await unreachableClient.GetAsync(new Uri($"/api/v1/ok?api_key={ClientKey}", UriKind.Relative));
            AssertNoKeyInEvents(unreachable.Logs);
        }

        Assert.True(gateway.Logs.Events.Count > 20, "the capture saw too few events to prove anything");
        Assert.Contains(gateway.Logs.RenderedEvents(), e => e.Contains("Proxying to", StringComparison.Ordinal));
        Assert.Contains(gateway.Logs.RenderedEvents(), e => e.Contains("Request starting", StringComparison.Ordinal));
        AssertNoKeyInEvents(gateway.Logs);
    }

    [Fact]
    public async Task SinkAddedInSettings_SitsBehindTheRedaction()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        var logFile = Path.Combine(Path.GetTempPath(), $"gateway-sink-{Guid.NewGuid():N}.log");
        try
        {
            await using (var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
            {
                ["Serilog:WriteTo:0:Name"] = "File",
                ["Serilog:WriteTo:0:Args:path"] = logFile,
            }))
            {
                using var client = gateway.CreateClient();
                await client.GetAsync(new Uri($"/api/v1/ok?api_key={ClientKey}", UriKind.Relative));
                await gateway.Logs.WaitForEventIdAsync(2001);
            }

            var written = await File.ReadAllTextAsync(logFile);
            Assert.Contains("Proxying to", written, StringComparison.Ordinal);
            AssertNoKey(written);
        }
        finally
        {
            File.Delete(logFile);
        }
    }

    [Theory]
    [InlineData("%61pi_key")]
    [InlineData("api_key.x")]
    [InlineData("api%255Fkey")]
    [InlineData("+api_key")]
    public async Task UnusualKeyParameterNames_NeverReachTheLog(string name)
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri($"/api/v1/ok?{name}={ClientKey}", UriKind.Relative));
        await gateway.Logs.WaitForEventIdAsync(2001);

        Assert.Contains(gateway.Logs.RenderedEvents(), e => e.Contains("Request starting", StringComparison.Ordinal));
        AssertNoKeyInEvents(gateway.Logs);
    }

    [Fact]
    public async Task LoggedJsonBodies_KeysInsideEscapedValues_MaskedInEveryFormAtVerbose()
    {
        const string plusKey = "sl+test/key=7f3a9c2e41";
        _upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(400)
            .WithHeader("Content-Type", "application/json")
            .WithBody("{\"error\":\"bad key sl\\u002Btest\\/key\\u003D7f3a9c2e41\",\"seen\":\"https://s.io/?x=1\\u0026api_key=" + ClientKey + "\"}"));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["SmartLead:ApiKey"] = plusKey,
            ["RequestLogging:Bodies"] = "All",
        });
        using var client = gateway.CreateClient();

        var body = "{\"webhook\":\"https://hooks.example/x?a=1&api_key=" + ClientKey + "\",\"note\":\"" + plusKey + "\",\"apiKey\":\"" + ClientKey + "\"}";
        var response = await client.PostAsync(new Uri("/api/v1/campaigns/create", UriKind.Relative),
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await gateway.Logs.WaitForEventIdAsync(2001);

        Assert.Equal(400, (int)response.StatusCode);
        var all = string.Join("\n", gateway.Logs.RenderedEvents());
        Assert.Contains("hooks.example", all, StringComparison.Ordinal);
        Assert.Contains("bad key", all, StringComparison.Ordinal);
        foreach (var rendered in gateway.Logs.RenderedEvents())
        {
            System.Text.Json.JsonDocument.Parse(rendered[..rendered.IndexOf('\n', StringComparison.Ordinal)]).Dispose();
            KeyForms.AssertAbsent(rendered, plusKey, ClientKey);
        }
    }

    [Fact]
    public async Task LeadEmailInQueryOrPath_IsMaskedInEveryLogEventAtVerbose()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri("/api/v1/leads/?email=alice.smith@example.com", UriKind.Relative));
        await client.GetAsync(new Uri("/api/v1/leads/bob.jones@example.org/campaigns", UriKind.Relative));
        await gateway.Logs.WaitForEventIdAsync(2001, count: 2);

        var all = string.Join("\n", gateway.Logs.RenderedEvents());
        Assert.Contains("a***@example.com", all, StringComparison.Ordinal);
        Assert.Contains("b***@example.org", all, StringComparison.Ordinal);
        Assert.DoesNotContain("alice.smith@", all, StringComparison.Ordinal);
        Assert.DoesNotContain("bob.jones@", all, StringComparison.Ordinal);
    }

    private static void AssertNoKeyInEvents(CapturingSink logs)
    {
        foreach (var rendered in logs.RenderedEvents())
        {
            AssertNoKey(rendered);
        }
    }

    private static void AssertNoKey(string text)
    {
        Assert.DoesNotContain(GatewayFactory.TestKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientKey, text, StringComparison.Ordinal);
    }
}
