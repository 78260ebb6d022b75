using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SmartLead.Gateway.LeadValidation;
using static SmartLead.Gateway.Tests.LeadValidation.LeadPayloads;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class LeadPayloadValidationMiddlewareTests
{
    private const string CampaignLeadsPath = "/api/v1/campaigns/42/leads";

    // Formatting a re-serialiser would change: BOM, odd spacing, key order, escapes, number forms, duplicates.
    private static readonly byte[] UnusualValidBody =
    [
        0xEF, 0xBB, 0xBF,
        .. "  {\"settings\" :{\"ignore_global_block_list\":false},\r\n\t\"lead_list\": [ {\"email\":\"a\\u0040example.com\", \"n\":1.50e+2,\"big\":123456789012345678901234567890},\n{\"first_name\":\"J\u00fcrgen\",\"email\":\"j\u00fcrgen@example.de\",\"x\":\"\\/\"} ] , \"z\":null }  \n"u8,
    ];

    [Fact]
    public async Task ProxyHarness_Upstream_ListensOnLoopbackOnly()
    {
        await using var harness = await ProxyHarness.StartAsync();

        var url = new Uri(harness.Upstream.Url!);

        Assert.Equal("127.0.0.1", url.Host);
        Assert.NotEqual(0, url.Port);
    }

    [Fact]
    public async Task LeadImport_ValidBodyWithContentLength_ArrivesByteIdentical()
    {
        await using var harness = await ProxyHarness.StartAsync();

        using var content = new ByteArrayContent(UnusualValidBody);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await harness.Client.PostAsync(CampaignLeadsPath, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(harness.Forwarded);
        Assert.Equal(UnusualValidBody, forwarded.BodyAsBytes);
        Assert.Equal(UnusualValidBody.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), forwarded.Headers!["Content-Length"].Single());
        Assert.StartsWith("application/json", forwarded.Headers["Content-Type"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeadImport_ValidChunkedBody_ArrivesByteIdenticalAndStillChunked()
    {
        await using var harness = await ProxyHarness.StartAsync();

        using var content = new ChunkedContent(UnusualValidBody, chunkSize: 7);
        using var response = await harness.Client.PostAsync(CampaignLeadsPath, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(harness.Forwarded);
        Assert.Equal(UnusualValidBody, forwarded.BodyAsBytes);
        Assert.False(forwarded.Headers!.ContainsKey("Content-Length"));
        Assert.Contains("chunked", forwarded.Headers["Transfer-Encoding"].Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task LeadListImport_ValidBody_ArrivesByteIdentical()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 1024 * 1024);
        var body = Utf8(LeadListImport(400));

        using var response = await harness.Client.PostAsync("/api/v1/lead-list/7/import", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(harness.Forwarded).BodyAsBytes);
    }

    [Fact]
    public async Task LeadImport_BadEmail_Returns400EnvelopeWithoutForwarding()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var body = Utf8(CampaignImport(4, i => Lead(i, i is 1 or 3 ? "broken.address" : null)));

        using var response = await harness.Client.PostAsync(CampaignLeadsPath, Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = envelope.RootElement.GetProperty("error");
        Assert.Equal("VALIDATION_ERROR", error.GetProperty("code").GetString());
        Assert.StartsWith("lead_list[1].email is not a valid email address", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var details = error.GetProperty("details");
        Assert.Equal("lead_list[1].email", details.GetProperty("field").GetString());
        Assert.Equal("format", details.GetProperty("constraint").GetString());
        Assert.Equal(
            ["lead_list[1].email", "lead_list[3].email"],
            details.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_401Leads_Returns400MaxItemsWithoutForwarding()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 1024 * 1024);

        using var response = await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(CampaignImport(401))));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = envelope.RootElement.GetProperty("error");
        Assert.Equal("lead_list has 401 leads; at most 400 are allowed per request", error.GetProperty("message").GetString());
        Assert.Equal("maxItems", error.GetProperty("details").GetProperty("constraint").GetString());
        Assert.Empty(harness.Forwarded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"lead_list":[{"first_name":"no email"}]}""")]
    public async Task LeadImport_RefusedBody_IsNeverForwarded(string body)
    {
        await using var harness = await ProxyHarness.StartAsync();

        using var response = await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(body)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("VALIDATION_ERROR", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_BodyExactlyAtTheLimit_IsForwarded()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 4096);
        var json = CampaignImport(1);
        var body = Utf8(json + new string(' ', 4096 - json.Length));

        using var response = await harness.Client.PostAsync(CampaignLeadsPath, Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(harness.Forwarded).BodyAsBytes);
    }

    [Fact]
    public async Task LeadImport_ContentLengthOverTheLimit_Returns413WithoutForwarding()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 4096);
        var json = CampaignImport(1);
        var body = Utf8(json + new string(' ', 4097 - json.Length));

        using var response = await harness.Client.PostAsync(CampaignLeadsPath, Json(body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("PAYLOAD_TOO_LARGE", envelope.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_ChunkedOverTheLimit_Returns413WithoutForwarding()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 4096);
        var json = CampaignImport(1);
        var body = Utf8(json + new string(' ', 6000 - json.Length));

        using var content = new ChunkedContent(body, chunkSize: 1000);
        using var response = await harness.Client.PostAsync(CampaignLeadsPath, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("PAYLOAD_TOO_LARGE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_KestrelLimitLowerThanOurs_StillAnswers413InTheEnvelope()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 8192, kestrelMaxRequestBodySize: 2048);
        var json = CampaignImport(1);
        var body = Utf8(json + new string(' ', 3000 - json.Length));

        using var content = new ChunkedContent(body, chunkSize: 500);
        using var response = await harness.Client.PostAsync(CampaignLeadsPath, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("PAYLOAD_TOO_LARGE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_DeclaredLengthOverTheLimit_IsAnsweredBeforeAnyBodyByte()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 4096);

        // Headers only: had the gateway tried to read the 10 MB it was promised, no answer would ever come.
        var head = await SendRawAsync(harness, $"POST {CampaignLeadsPath} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413", head, StringComparison.Ordinal);
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_ChunkedPastTheLimit_IsAnsweredWithoutWaitingForTheEnd()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 4096);

        // One chunk of limit + 1 bytes and no terminating chunk: the gateway must stop there and answer.
        var chunk = new string(' ', 4097);
        var head = await SendRawAsync(
            harness,
            $"POST {CampaignLeadsPath} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunk.Length:X}\r\n{chunk}\r\n");

        Assert.StartsWith("HTTP/1.1 413", head, StringComparison.Ordinal);
        Assert.Empty(harness.Forwarded);
    }

    [Theory]
    [InlineData("/API/V1/CAMPAIGNS/42/LEADS")]
    [InlineData("/api/v1/campaigns/42/leads/")]
    [InlineData("/api/v1/campaigns/42/leads?offset=0")]
    [InlineData("/Api/v1/Campaigns/42/Leads/?x=1&y=2")]
    [InlineData("/api/v1/lead-list/7/import")]
    [InlineData("/API/V1/LEAD-LIST/7/IMPORT/?source=crm")]
    public async Task LeadImport_PathVariants_AreAllChecked(string path)
    {
        await using var harness = await ProxyHarness.StartAsync();

        using var response = await harness.Client.PostAsync(path, Json(Utf8("""{"lead_list":[{"email":"x"}],"leadList":[{"email":"x"}]}""")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_GetOnTheSamePath_PassesUntouched()
    {
        await using var harness = await ProxyHarness.StartAsync();

        using var response = await harness.Client.GetAsync(CampaignLeadsPath + "?offset=0&limit=100");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(harness.Forwarded);
        Assert.Equal("GET", forwarded.Method);
        Assert.Equal(CampaignLeadsPath, forwarded.Path);
    }

    [Theory]
    [InlineData("/api/v1/campaigns/42/leads/1001")]
    [InlineData("/api/v1/campaigns/create")]
    [InlineData("/api/v1/email-accounts/save")]
    public async Task OtherPost_EvenWithABodyAnImportWouldRefuse_PassesUntouched(string path)
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 1024);
        var body = Utf8("{\"email\":\"not an email\", \"pad\":\"" + new string('x', 3000) + "\"");

        using var response = await harness.Client.PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(harness.Forwarded).BodyAsBytes);
    }

    [Fact]
    public async Task LeadImport_MaxLeadsReloaded_TakesEffectOnTheNextRequest()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 1024 * 1024);
        using (var before = await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(CampaignImport(3)))))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        harness.Reconfigure("Leads:MaxLeadsPerRequest", "2");
        using var after = await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(CampaignImport(3))));

        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Contains("at most 2 are allowed", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(harness.Forwarded);
    }

    [Fact]
    public async Task LeadImport_AnyOutcome_NeverLogsEmailsOrBodyContent()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 1024 * 1024);
        const string Person = "victoria.private";
        var valid = CampaignImport(2, i => Lead(i, $"{Person}{i}@secret-domain.example"));
        var invalid = CampaignImport(2, i => Lead(i, i == 1 ? $"{Person} broken" : $"{Person}@secret-domain.example"));

        using (await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(valid))))
        using (await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(invalid))))
        using (await harness.Client.PostAsync(CampaignLeadsPath, Json(Utf8(valid + Person))))
        {
        }

        var events = harness.Logs.Events;
        Assert.Contains(events, e => e.EventId.Id == 5101);
        Assert.Contains(events, e => e.EventId.Id == 5102 && e.Text.Contains("lead_list[1].email", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Text.Contains(Person, StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Text.Contains("secret-domain", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Text.Contains("First0", StringComparison.Ordinal));
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Writes raw bytes and returns the response head, failing rather than hanging if none comes.</summary>
    private static async Task<string> SendRawAsync(ProxyHarness harness, string request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, harness.BaseAddress.Port, timeout.Token);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);

        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    /// <summary>Content of unknown length, so HttpClient sends it chunked, in pieces of the given size.</summary>
    private sealed class ChunkedContent(byte[] body, int chunkSize) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < body.Length; offset += chunkSize)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(chunkSize, body.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
