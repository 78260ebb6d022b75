using System.Text;
using Serilog.Events;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class RequestLogTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Request_WritesOneEventWithIdMethodPathStatusAndElapsed()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(204));
        await using var gateway = new GatewayFactory(_upstream.Url!);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/12/statistics?api_key=zzz");
        request.Headers.Add("X-Request-Id", "req-1");

        await client.SendAsync(request);

        var logEvent = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001));
        Assert.Equal("req-1", Scalar(logEvent, "RequestId"));
        Assert.Equal("GET", Scalar(logEvent, "Method"));
        Assert.Equal("/api/v1/campaigns/12/statistics", Scalar(logEvent, "Path"));
        Assert.Equal(204, Scalar(logEvent, "StatusCode"));
        Assert.IsType<double>(Scalar(logEvent, "ElapsedMs"));
        Assert.True(logEvent.Properties.ContainsKey("Attempts"));
        Assert.True(logEvent.Properties.ContainsKey("QueueWaitMs"));
    }

    [Fact]
    public async Task BodiesAll_JsonSecretsAndEmails_AreMaskedInTheLog()
    {
        _upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "application/json")
            .WithBody("{\"ok\":true,\"from_email\":\"sales.team@acme.io\",\"token\":{\"access_token\":\"ya29.secret\"}}"));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RequestLogging:Bodies"] = "All" });
        using var client = gateway.CreateClient();
        var body = "{\"from_email\":\"alice@example.com\",\"smtp_password\":\"hunter2\",\"password\":\"p@ss\",\"lead_list\":[{\"email\":\"bob.smith@contoso.com\",\"first_name\":\"Bob\"}]}";

        await client.PostAsync(new Uri("/api/v1/email-accounts/save", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        var rendered = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2002)).RenderMessage();
        Assert.Contains("a***@example.com", rendered, StringComparison.Ordinal);
        Assert.Contains("b***@contoso.com", rendered, StringComparison.Ordinal);
        Assert.Contains("s***@acme.io", rendered, StringComparison.Ordinal);
        Assert.Contains("Bob", rendered, StringComparison.Ordinal);
        foreach (var secret in new[] { "hunter2", "p@ss", "ya29.secret", "alice@", "bob.smith@", "sales.team@" })
        {
            Assert.DoesNotContain(secret, rendered, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BodiesErrors_SuccessHasNoBodiesAndFailureHasThem()
    {
        _upstream.Given(Request.Create().WithPath("/api/v1/good")).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}").WithHeader("Content-Type", "application/json"));
        _upstream.Given(Request.Create().WithPath("/api/v1/bad")).RespondWith(Response.Create().WithStatusCode(422).WithBody("{\"error\":\"bad\"}").WithHeader("Content-Type", "application/json"));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RequestLogging:Bodies"] = "Errors" });
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri("/api/v1/good", UriKind.Relative));
        await client.GetAsync(new Uri("/api/v1/bad", UriKind.Relative));

        Assert.Equal(200, Scalar(Assert.Single(await gateway.Logs.WaitForEventIdAsync(2001)), "StatusCode"));
        var failure = Assert.Single(await gateway.Logs.WaitForEventIdAsync(2002));
        Assert.Equal(422, Scalar(failure, "StatusCode"));
        Assert.Contains("bad", (string)Scalar(failure, "ResponseBody")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodiesAll_NonJsonBody_IsLoggedAsLengthAndTypeOnly()
    {
        _upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?> { ["RequestLogging:Bodies"] = "All" });
        using var client = gateway.CreateClient();

        await client.PostAsync(new Uri("/api/v1/upload", UriKind.Relative), new StringContent("email,name\ncarol@example.com,Carol", Encoding.UTF8, "text/csv"));

        var requestBody = (string)Scalar(Assert.Single(await gateway.Logs.WaitForEventIdAsync(2002)), "RequestBody")!;
        Assert.StartsWith("(34 bytes of text/csv", requestBody, StringComparison.Ordinal);
        Assert.DoesNotContain("carol", requestBody, StringComparison.Ordinal);
    }

    private static object? Scalar(LogEvent logEvent, string name) => ((ScalarValue)logEvent.Properties[name]).Value;
}
