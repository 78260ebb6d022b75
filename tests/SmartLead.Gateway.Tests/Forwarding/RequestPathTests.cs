using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Forwarding;

/// <summary>
/// Hostile and unusual paths sent raw to the gateway's socket, compared with what a stand-in SmartLead receives:
/// refused with 400 and never forwarded, or forwarded byte for byte.
/// </summary>
public sealed class RequestPathTests : IAsyncLifetime
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _acceptEncodings = new();
    private ScriptedUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync(async (_, context) =>
        {
            _acceptEncodings.Enqueue(context.Request.Headers.AcceptEncoding.ToString());
            await context.Response.WriteAsync("{}");
        });
        _gateway = new GatewayFactory(_upstream.Url, new Dictionary<string, string?>
        {
            ["Retry:MaxRetries"] = "2",
            ["CircuitBreaker:Enabled"] = "true",
            ["CircuitBreaker:MinimumThroughput"] = "2",
        });
        _address = _gateway.StartOnLoopback();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/v1/..%2f..%2fadmin")]
    [InlineData("/api/v1/campaigns/..;/admin")]
    [InlineData("/api/v1/campaigns;jsessionid=1")]
    [InlineData("/api/v1/%2e%2e/admin")]
    [InlineData("/api/v1/campaigns/%2E/1")]
    [InlineData("/api/v1/campaigns/.%2e/admin")]
    [InlineData("/api/v1/../v2/campaigns")]
    [InlineData("/api/v1/./campaigns")]
    [InlineData("/api/v1/campaigns%2F1")]
    [InlineData("/api/v1/campaigns%5c1")]
    [InlineData("/api/v1/campaigns\\1")]
    public async Task HostilePath_Returns400ValidationErrorWithoutForwarding(string path)
    {
        var response = await RawHttp.SendAsync(_address, $"GET {path} HTTP/1.1");

        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        using var body = JsonDocument.Parse(response.Body);
        Assert.Equal("VALIDATION_ERROR", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("path", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("0", response.Headers["X-Gateway-Attempts"]);
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Fact]
    public async Task EscapedNul_IsRefusedWithoutForwarding()
    {
        // Kestrel refuses a decoded NUL itself, before the gateway sees the request; either way nothing is forwarded.
        var response = await RawHttp.SendAsync(_address, "GET /api/v1/campaigns%001 HTTP/1.1");

        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Theory]
    [InlineData("/api/v1/campaigns/%41bc")]
    [InlineData("/api/v1//campaigns/")]
    [InlineData("/api/v1/campaigns/a%20b")]
    [InlineData("/api/v1/campaigns/...")]
    [InlineData("/api/v1/campaigns/.well-known")]
    [InlineData("/api/v1/campaigns/~team/%7E")]
    [InlineData("/api/v1/leads/a%40example.com")]
    [InlineData("/API/V1/Campaigns/")]
    [InlineData("/api/v1/campaigns/%zz")]
    [InlineData("/api/v1/campaigns/a|b^c")]
    [InlineData("/api/v1/campaigns/{id}")]
    [InlineData("/api/v1/campaigns/a%252Fb")]
    public async Task UnusualPath_IsForwardedByteForByte(string path)
    {
        var response = await RawHttp.SendAsync(_address, $"GET {path}?limit=5 HTTP/1.1");

        Assert.Equal(StatusCodes.Status200OK, response.Status);
        var target = Assert.Single(_upstream.Targets);
        Assert.Equal(path, target[..target.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Equal("1", response.Headers["X-Gateway-Attempts"]);
    }

    [Fact]
    public async Task AbsoluteFormTarget_ForwardsItsPathByteForByte()
    {
        var response = await RawHttp.SendAsync(_address, $"GET http://{_address.Authority}/api/v1/campaigns/%41 HTTP/1.1");

        Assert.Equal(StatusCodes.Status200OK, response.Status);
        Assert.StartsWith("/api/v1/campaigns/%41?", Assert.Single(_upstream.Targets), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAcceptsGzip_SmartLeadIsAskedForIdentity()
    {
        var response = await RawHttp.SendAsync(_address, "GET /api/v1/campaigns/ HTTP/1.1", "Accept-Encoding: gzip, br");

        Assert.Equal(StatusCodes.Status200OK, response.Status);
        Assert.Equal("identity", Assert.Single(_acceptEncodings));
    }

    [Fact]
    public async Task NonAsciiHeaderValue_Returns400_NeverRetriedNorCountedByTheBreaker()
    {
        for (var i = 0; i < 4; i++)
        {
            var refused = await RawHttp.SendAsync(_address, "GET /api/v1/campaigns/ HTTP/1.1", "X-Team: Zoë");

            Assert.Equal(StatusCodes.Status400BadRequest, refused.Status);
            using var body = JsonDocument.Parse(refused.Body);
            Assert.Equal("VALIDATION_ERROR", body.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal("headers.X-Team", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
            Assert.DoesNotContain("Zo", refused.Body, StringComparison.Ordinal);
        }

        var answered = await RawHttp.SendAsync(_address, "GET /api/v1/campaigns/ HTTP/1.1", "X-Team: Zoe");

        Assert.Equal(StatusCodes.Status200OK, answered.Status);
        Assert.Equal(1, _upstream.RequestCount);
    }
}
