using System.Net;
using System.Text;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Forwarding;

public sealed class ForwardingTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Get_WithQuery_ReachesSmartLeadWithSamePathQueryAndTheKey()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("[]"));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns/?client_id=7&include_tags=true&q=a%20b+c", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_upstream.LogEntries).RequestMessage!;
        Assert.Equal("/api/v1/campaigns/", received.AbsolutePath);
        Assert.Equal($"?api_key={GatewayFactory.TestKey}&client_id=7&include_tags=true&q=a%20b+c", new Uri(received.AbsoluteUrl).Query);
    }

    [Theory]
    [InlineData("/api/v1/campaigns/a%2Fb", "/api/v1/campaigns/a%2Fb")]
    public async Task Get_EscapedPath_ReachesSmartLeadExactlyAsSent(string sent, string expected)
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri(sent, UriKind.Relative));

        var url = Assert.Single(_upstream.LogEntries).RequestMessage!.AbsoluteUrl;
        Assert.StartsWith(_upstream.Url + expected + "?", url, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api_key=client-secret")]
    [InlineData("api_key=client-secret&api_key=second-secret")]
    [InlineData("api%5Fkey=client-secret")]
    [InlineData("api%5fkey=client-secret")]
    [InlineData("api_key[]=client-secret")]
    [InlineData("api_key%5B%5D=client-secret")]
    [InlineData("api_key[0]=client-secret")]
    [InlineData("API_KEY=client-secret")]
    [InlineData("api%255Fkey=client-secret")]
    [InlineData("api_key")]
    [InlineData("+api_key=client-secret")]
    public async Task Get_ClientSuppliedKey_IsReplacedByExactlyTheConfiguredKey(string clientKeyQuery)
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri($"/api/v1/campaigns?limit=5&{clientKeyQuery}&offset=1", UriKind.Relative));

        var query = new Uri(Assert.Single(_upstream.LogEntries).RequestMessage!.AbsoluteUrl).Query;
        Assert.Equal($"?api_key={GatewayFactory.TestKey}&limit=5&offset=1", query);
    }

    [Fact]
    public async Task Post_BodyAndHeaders_ArriveUnchanged()
    {
        _upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(201));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        var body = "{\"name\":\"Q4 outreach\",\"client_id\":null}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/campaigns/create")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Custom-Trace", "abc123");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var received = Assert.Single(_upstream.LogEntries).RequestMessage!;
        Assert.Equal(body, received.Body);
        Assert.Equal("abc123", UpstreamHeader(Assert.Single(_upstream.LogEntries), "X-Custom-Trace"));
        Assert.Null(UpstreamHeader(Assert.Single(_upstream.LogEntries), "X-Forwarded-For"));
    }

    [Theory]
    [InlineData(400, "{\"error\":\"Campaign not found\"}")]
    [InlineData(401, "{\"message\":\"Invalid API Key\"}")]
    [InlineData(404, "{\"error\":\"Campaign not found\"}")]
    [InlineData(500, "oops")]
    public async Task UpstreamError_PassesThroughUnchanged(int status, string body)
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(status).WithBody(body).WithHeader("X-Upstream", "yes"));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns/999", UriKind.Relative));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", response.Headers.GetValues("X-Upstream").Single());
    }

    [Theory]
    [InlineData("/v1/campaigns")]
    [InlineData("/apix/v1")]
    [InlineData("/metrics-nope")]
    public async Task NonApiPath_Returns404EnvelopeAndIsNotForwarded(string path)
    {
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("\"code\":\"NOT_FOUND\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_upstream.LogEntries);
    }

    [Fact]
    public async Task UpstreamUnreachable_Returns502EnvelopeNeverEmpty()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"code\":\"UPSTREAM_UNAVAILABLE\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamTooSlow_Returns504Envelope()
    {
        // An upstream that never answers: the one-second timeout always fires, however busy the machine.
        await using var hanging = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        await using var gateway = new GatewayFactory(hanging.Url, new Dictionary<string, string?> { ["SmartLead:Timeout"] = "00:00:01" });
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"UPSTREAM_TIMEOUT\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestId_FromClient_IsForwardedAndReturned()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns");
        request.Headers.Add("X-Request-Id", "order-sync-42");

        var response = await client.SendAsync(request);

        Assert.Equal("order-sync-42", response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("order-sync-42", UpstreamHeader(Assert.Single(_upstream.LogEntries), "X-Request-Id"));
    }

    [Fact]
    public async Task RequestId_Missing_IsMadeForwardedAndReturned()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        var id = response.Headers.GetValues("X-Request-Id").Single();
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.Equal(id, UpstreamHeader(Assert.Single(_upstream.LogEntries), "X-Request-Id"));
    }

    [Fact]
    public async Task Redirect_LocationWithKey_IsScrubbedBeforeTheClientSeesIt()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(302)
            .WithHeader("Location", $"https://server.smartlead.ai/api/v1/campaigns/2?api_key={GatewayFactory.TestKey}&x=1")
            .WithHeader("Link", $"<https://server.smartlead.ai/api/v1/campaigns?offset=100&api_key={GatewayFactory.TestKey}>; rel=\"next\""));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await client.GetAsync(new Uri("/api/v1/campaigns/1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.DoesNotContain(GatewayFactory.TestKey, location, StringComparison.Ordinal);
        Assert.Contains("x=1", location, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFactory.TestKey, string.Join(",", response.Headers.GetValues("Link")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamBodyEchoingTheKey_ReachesClientWithKeyOverwrittenAndSameLength()
    {
        var body = $"{{\"error\":\"Cannot GET /api/v1/x?api_key={GatewayFactory.TestKey}\",\"yours\":\"client-key-9999\",\"tail\":\"{GatewayFactory.TestKey}\"}}";
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(404).WithBody(body));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/x?api_key=client-key-9999", UriKind.Relative));

        var received = await response.Content.ReadAsStringAsync();
        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal(body.Length, received.Length);
        Assert.DoesNotContain(GatewayFactory.TestKey, received, StringComparison.Ordinal);
        Assert.DoesNotContain("client-key-9999", received, StringComparison.Ordinal);
        Assert.Contains("Cannot GET /api/v1/x?api_key=***", received, StringComparison.Ordinal);
    }

    /// <summary>WireMock keeps header names as sent; HTTP header names are case-insensitive.</summary>
    private static string? UpstreamHeader(WireMock.Logging.ILogEntry entry, string name) =>
        entry.RequestMessage!.Headers!.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.Single();
}
