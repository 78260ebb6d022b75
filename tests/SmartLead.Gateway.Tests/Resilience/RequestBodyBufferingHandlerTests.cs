using System.Net;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

public sealed class RequestBodyBufferingHandlerTests : IDisposable
{
    private const string Import = "/api/v1/campaigns/7/leads";
    private static readonly Dictionary<string, string?> SmallLimit = new() { ["Retry:MaxBufferedBodyBytes"] = "100" };
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Post_BodyWithLengthOverLimit_IsRefusedWith413WithoutContactingSmartLead()
    {
        using var host = new ResilienceTestHost(SmallLimit);
        _upstream.GivenSequence("POST", Import, Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Post, Url(Import), new ByteArrayContent(new byte[101]));

        var ex = await Assert.ThrowsAsync<GatewayRejectedException>(() => host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(413, ex.StatusCode);
        Assert.Equal(GatewayError.PayloadTooLarge, ex.Code);
        Assert.Equal(0, _upstream.RequestCount());
        Assert.Equal(0, log.Attempts);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_IsRefusedWith413WithoutContactingSmartLead()
    {
        using var host = new ResilienceTestHost(SmallLimit);
        _upstream.GivenSequence("POST", Import, Status(200));
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Post, Url(Import), new SingleUseContent(new byte[101]));

        var ex = await Assert.ThrowsAsync<GatewayRejectedException>(() => host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(413, ex.StatusCode);
        Assert.Equal(0, _upstream.RequestCount());
    }

    [Fact]
    public async Task Post_ChunkedBodyAtLimit_IsSent()
    {
        using var host = new ResilienceTestHost(SmallLimit);
        _upstream.GivenSequence("POST", Import, Status(200));
        var bytes = new byte[100];
        Array.Fill(bytes, (byte)'x');
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Post, Url(Import), new SingleUseContent(bytes));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, Assert.Single(_upstream.LogEntries).RequestMessage!.BodyAsBytes);
    }

    [Fact]
    public async Task Get_WithoutBody_IsSentUntouched()
    {
        using var host = new ResilienceTestHost(SmallLimit);
        _upstream.GivenSequence("GET", "/api/v1/campaigns/", Status(200));
        var (request, _) = ResilienceTestHost.Request(HttpMethod.Get, Url("/api/v1/campaigns/"));

        using var response = await host.CreateInvoker().SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(request.Content);
    }

    private string Url(string path) => _upstream.Urls[0] + path + "?api_key=test-key";
}
