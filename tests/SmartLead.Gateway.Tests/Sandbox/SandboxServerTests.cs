using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Sandbox;
using SmartLead.Sandbox.Faults;

namespace SmartLead.Gateway.Tests.Sandbox;

public sealed class SandboxServerTests
{
    private const string Key = "sandbox-dev-key";

    [Fact]
    public async Task Request_WithoutApiKey_Returns401InvalidApiKey()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.GetAsync("/api/v1/campaigns/");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"message":"Invalid API Key"}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("?api_key=wrong")]
    [InlineData("?api_key=")]
    [InlineData("?api_key=sandbox-dev-key&api_key=sandbox-dev-key")]
    public async Task Request_WithWrongOrRepeatedApiKey_Returns401(string query)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.GetAsync("/api/v1/campaigns/" + query);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ListCampaigns_FreshSandbox_ShowsSeededCampaigns()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.GetAsync(Url("/api/v1/campaigns/"));
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, body.RootElement.GetArrayLength());
        var first = body.RootElement[0];
        Assert.Equal(1001, first.GetProperty("id").GetInt64());
        Assert.Equal("ACTIVE", first.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, first.GetProperty("created_at").ValueKind);
    }

    [Fact]
    public async Task CreateCampaign_ThenGetAndList_ShowTheNewCampaign()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var created = await client.PostAsJsonAsync(Url("/api/v1/campaigns/create"), new { name = "Spring push", client_id = 12 });
        using var createdBody = await Json(created);
        var id = createdBody.RootElement.GetProperty("id").GetInt64();

        using var fetched = await client.GetAsync(Url($"/api/v1/campaigns/{id}"));
        using var fetchedBody = await Json(fetched);
        using var listed = await client.GetAsync(Url("/api/v1/campaigns/") + "&client_id=12");
        using var listedBody = await Json(listed);

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(createdBody.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal("Spring push", fetchedBody.RootElement.GetProperty("name").GetString());
        Assert.Equal("DRAFTED", fetchedBody.RootElement.GetProperty("status").GetString());
        Assert.Equal(12, fetchedBody.RootElement.GetProperty("client_id").GetInt64());
        Assert.Equal(id, Assert.Single(listedBody.RootElement.EnumerateArray()).GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public async Task SetStatus_Start_MakesCampaignActive(string method)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        using var request = new HttpRequestMessage(new HttpMethod(method), Url("/api/v1/campaigns/1002/status"))
        {
            Content = JsonContent.Create(new { status = "START" }),
        };

        using var response = await client.SendAsync(request);
        using var fetched = await Json(await client.GetAsync(Url("/api/v1/campaigns/1002")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ACTIVE", fetched.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task SetStatus_UnknownValue_Returns400Envelope()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.PostAsJsonAsync(Url("/api/v1/campaigns/1002/status"), new { status = "FLY" });
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertEnvelope(body, "VALIDATION_ERROR");
        Assert.Equal("status", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/v1/campaigns/424242")]
    [InlineData("GET", "/api/v1/campaigns/424242/leads")]
    [InlineData("POST", "/api/v1/campaigns/424242/leads")]
    [InlineData("POST", "/api/v1/campaigns/424242/status")]
    [InlineData("POST", "/api/v1/lead-list/424242/import")]
    [InlineData("GET", "/api/v1/no-such-endpoint")]
    [InlineData("GET", "/api/v1/campaigns/not-a-number")]
    public async Task UnknownIdOrPath_Returns404Envelope(string method, string path)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        using var request = new HttpRequestMessage(new HttpMethod(method), Url(path))
        {
            // A body the sandbox would refuse: the unknown id must win over the bad payload.
            Content = method == "POST" ? new StringContent("not json", Encoding.UTF8, "application/json") : null,
        };

        using var response = await client.SendAsync(request);
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        AssertEnvelope(body, "NOT_FOUND");
    }

    [Fact]
    public async Task AddLeads_DuplicateEmails_AreSkippedAndCounted()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        var id = await CreateCampaignAsync(client);
        await client.PostAsJsonAsync(Url($"/api/v1/campaigns/{id}/leads"), Leads("old@example.com"));

        using var response = await client.PostAsJsonAsync(
            Url($"/api/v1/campaigns/{id}/leads"),
            Leads("new@example.com", "new@example.com", "OLD@example.com", "broken-address", "more@example.com"));
        using var body = await Json(response);
        var root = body.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(5, root.GetProperty("total_leads").GetInt32());
        Assert.Equal(2, root.GetProperty("upload_count").GetInt32());
        Assert.Equal(1, root.GetProperty("already_added_to_campaign").GetInt32());
        Assert.Equal(1, root.GetProperty("duplicate_count").GetInt32());
        Assert.Equal(1, root.GetProperty("invalid_email_count").GetInt32());
        Assert.Equal(3, root.GetProperty("skipped_count").GetInt32());
        Assert.Equal(3, root.GetProperty("skipped_leads").GetArrayLength());
    }

    [Fact]
    public async Task AddLeads_400Leads_AreAccepted()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        var id = await CreateCampaignAsync(client);

        using var response = await client.PostAsJsonAsync(
            Url($"/api/v1/campaigns/{id}/leads"), Leads([.. Enumerable.Range(0, 400).Select(i => $"l{i}@example.com")]));
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(400, body.RootElement.GetProperty("upload_count").GetInt32());
    }

    [Fact]
    public async Task AddLeads_401Leads_Returns400AndImportsNothing()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        var id = await CreateCampaignAsync(client);

        using var response = await client.PostAsJsonAsync(
            Url($"/api/v1/campaigns/{id}/leads"), Leads([.. Enumerable.Range(0, 401).Select(i => $"l{i}@example.com")]));
        using var body = await Json(response);
        using var leads = await Json(await client.GetAsync(Url($"/api/v1/campaigns/{id}/leads")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertEnvelope(body, "VALIDATION_ERROR");
        Assert.Equal("maxItems", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("constraint").GetString());
        Assert.Equal(0, leads.RootElement.GetProperty("total_leads").GetInt32());
    }

    [Fact]
    public async Task AddLeads_LeadWithoutEmail_Returns400NamingTheLead()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.PostAsync(
            Url("/api/v1/campaigns/1001/leads"),
            new StringContent("""{"lead_list":[{"email":"a@example.com"},{"email":"b@example.com"},{"first_name":"Nemo"}]}""", Encoding.UTF8, "application/json"));
        using var body = await Json(response);
        var error = body.RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("email field is required for all leads in lead_list", error.GetProperty("message").GetString());
        Assert.Equal("lead_list[2].email", error.GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("required", error.GetProperty("details").GetProperty("constraint").GetString());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"lead_list":"a@example.com"}""")]
    [InlineData("""{"lead_list":[]}""")]
    [InlineData("""{"lead_list":[{"email":42}]}""")]
    [InlineData("""{"lead_list":[{"email":"a@example.com","custom_fields":"x"}]}""")]
    public async Task AddLeads_BadPayload_Returns400Envelope(string payload)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.PostAsync(
            Url("/api/v1/campaigns/1001/leads"), new StringContent(payload, Encoding.UTF8, "application/json"));
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertEnvelope(body, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task ListLeads_OffsetAndLimit_ReturnThatPage()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        var id = await CreateCampaignAsync(client);
        await client.PostAsJsonAsync(Url($"/api/v1/campaigns/{id}/leads"),
            new { lead_list = Enumerable.Range(0, 5).Select(i => new { email = $"p{i}@example.com", first_name = $"P{i}" }) });

        using var response = await client.GetAsync(Url($"/api/v1/campaigns/{id}/leads") + "&offset=3&limit=10");
        using var body = await Json(response);
        var data = body.RootElement.GetProperty("data");

        Assert.Equal(5, body.RootElement.GetProperty("total_leads").GetInt32());
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal("p3@example.com", data[0].GetProperty("lead").GetProperty("email").GetString());
        Assert.Equal("P3", data[0].GetProperty("lead").GetProperty("first_name").GetString());
    }

    [Theory]
    [InlineData("&limit=0")]
    [InlineData("&limit=101")]
    [InlineData("&offset=-1")]
    [InlineData("&offset=abc")]
    public async Task ListLeads_BadPaging_Returns400(string paging)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.GetAsync(Url("/api/v1/campaigns/1001/leads") + paging);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task LeadListImport_CamelCaseLeadList_ImportsAndCounts()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        using var response = await client.PostAsJsonAsync(
            Url("/api/v1/lead-list/2001/import"),
            new { leadList = new[] { new { email = "a@example.com" }, new { email = "a@example.com" } }, fileName = "x.csv" });
        using var body = await Json(response);
        using var snakeCase = await client.PostAsJsonAsync(Url("/api/v1/lead-list/2001/import"), Leads("b@example.com"));
        using var leads = await client.PostAsJsonAsync(Url("/api/v1/lead-list/2001/import"), new { leads = new[] { new { email = "c@example.com" } } });
        using var none = await client.PostAsJsonAsync(Url("/api/v1/lead-list/2001/import"), new { lead_items = new[] { new { email = "d@example.com" } } });
        using var noneBody = await Json(none);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, body.RootElement.GetProperty("upload_count").GetInt32());
        Assert.Equal(1, body.RootElement.GetProperty("duplicate_count").GetInt32());

        // The names the gateway accepts are the sandbox's too; none of them names the documented one.
        Assert.Equal(HttpStatusCode.OK, snakeCase.StatusCode);
        Assert.Equal(HttpStatusCode.OK, leads.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal("leadList", noneBody.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
    }

    [Fact]
    public async Task Responses_CarryXRateLimitHeadersOfTheTightestWindow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxServer.StartAsync(timeProvider: time);
        using var client = Client(sandbox);

        using var first = await client.GetAsync(Url("/api/v1/campaigns/"));
        using var notFound = await client.GetAsync(Url("/api/v1/campaigns/9"));

        Assert.Equal("10", Header(first, "X-RateLimit-Limit"));
        Assert.Equal("9", Header(first, "X-RateLimit-Remaining"));
        Assert.Equal(time.GetUtcNow().AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Header(first, "X-RateLimit-Reset"));
        Assert.Equal("8", Header(notFound, "X-RateLimit-Remaining"));
        Assert.False(first.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task RateLimit_EleventhRequestInASecond_Returns429WithRetryAfterAndBody()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxServer.StartAsync(timeProvider: time);
        using var client = Client(sandbox);
        for (var i = 0; i < 10; i++)
        {
            using var admitted = await client.GetAsync(Url("/api/v1/campaigns/"));
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }

        using var refused = await client.GetAsync(Url("/api/v1/campaigns/"));
        var body = await refused.Content.ReadAsStringAsync();
        time.Advance(TimeSpan.FromSeconds(1));
        using var later = await client.GetAsync(Url("/api/v1/campaigns/"));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(
            """{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Too many requests. Please retry after 1 seconds.","retry_after":1}}""",
            body);
        Assert.Equal("10", Header(refused, "X-RateLimit-Limit"));
        Assert.Equal("0", Header(refused, "X-RateLimit-Remaining"));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task RateLimit_PerMinuteConfigured_RetryAfterCountsTheMinute()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxServer.StartAsync(
            configure: o =>
            {
                o.PerSecond = 0;
                o.PerMinute = 3;
            },
            timeProvider: time);
        using var client = Client(sandbox);
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync(Url("/api/v1/campaigns/"))).Dispose();
        }

        time.Advance(TimeSpan.FromSeconds(15));
        using var refused = await client.GetAsync(Url("/api/v1/campaigns/"));
        using var body = await Json(refused);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(45), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(45, body.RootElement.GetProperty("error").GetProperty("retry_after").GetInt32());
    }

    [Fact]
    public async Task Faults_SeededRates_AnswerTheSeededSequenceInTheConfiguredShares()
    {
        static void Configure(SandboxOptions o)
        {
            o.RateLimitEnabled = false;
            o.FaultRate500 = 0.2;
            o.FaultRate503 = 0.1;
            o.Seed = 11;
        }

        await using var sandbox = await SandboxServer.StartAsync(configure: Configure);
        using var client = Client(sandbox);
        var expectedOptions = new SandboxOptions();
        Configure(expectedOptions);
        var expected = new FaultInjector(Options.Create(expectedOptions));

        var statuses = new List<int>();
        for (var i = 0; i < 300; i++)
        {
            using var response = await client.GetAsync(Url("/api/v1/campaigns/1001"));
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(_ => expected.NextFault() ?? 200), statuses);
        Assert.InRange(statuses.Count(s => s == 500), 40, 80);
        Assert.InRange(statuses.Count(s => s == 503), 15, 45);
    }

    [Fact]
    public async Task Faults_InjectedStatus_CarriesTheErrorEnvelope()
    {
        await using var sandbox = await SandboxServer.StartAsync(configure: o => o.FaultRate503 = 1);
        using var client = Client(sandbox);

        using var response = await client.GetAsync(Url("/api/v1/campaigns/"));
        using var body = await Json(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        AssertEnvelope(body, "SERVICE_UNAVAILABLE");
    }

    [Fact]
    public async Task FailNext_ThreeScripted503s_ThenAnswersNormally()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);
        sandbox.FailNext(3, 503);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync(Url("/api/v1/campaigns/"));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(
            [HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK],
            statuses);
    }

    [Fact]
    public async Task AddedLatency_DelaysEveryAnswer()
    {
        await using var sandbox = await SandboxServer.StartAsync(configure: o => o.AddedLatency = TimeSpan.FromMilliseconds(300));
        using var client = Client(sandbox);

        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(Url("/api/v1/campaigns/"));
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(280), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task RotateApiKey_OldKeyGets401AndNewKeyWorks()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        sandbox.RotateApiKey("rotated-key");
        using var old = await client.GetAsync(Url("/api/v1/campaigns/"));
        using var fresh = await client.GetAsync("/api/v1/campaigns/?api_key=rotated-key");

        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal("rotated-key", sandbox.ApiKey);
    }

    [Fact]
    public async Task Requests_AreRecordedWithQueryKeyBodyAndStatus()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var client = Client(sandbox);

        (await client.GetAsync("/api/v1/campaigns/")).Dispose();
        (await client.PostAsync(Url("/api/v1/campaigns/1001/leads"),
            new StringContent("""{"lead_list":[{"email":"r@example.com"}]}""", Encoding.UTF8, "application/json"))).Dispose();
        (await client.GetAsync("/elsewhere")).Dispose();

        var requests = sandbox.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Equal(("GET", "/api/v1/campaigns/", 401, (string?)null), (requests[0].Method, requests[0].Path, requests[0].StatusCode, requests[0].ApiKey));
        Assert.Equal("POST", requests[1].Method);
        Assert.Equal("/api/v1/campaigns/1001/leads", requests[1].Path);
        Assert.Equal("?api_key=sandbox-dev-key", requests[1].Query);
        Assert.Equal(Key, requests[1].ApiKey);
        Assert.Equal("""{"lead_list":[{"email":"r@example.com"}]}""", requests[1].BodyText);
        Assert.Equal(200, requests[1].StatusCode);
        Assert.StartsWith("application/json", requests[1].Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal(404, requests[2].StatusCode);

        sandbox.ClearRequests();
        Assert.Empty(sandbox.Requests);
    }

    [Theory]
    [InlineData("http://10.0.0.1:0")]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("https://127.0.0.1:0")]
    public async Task StartAsync_NotLoopbackHttp_Throws(string url)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SandboxServer.StartAsync(url));
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_FailsListingTheErrors()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => SandboxServer.StartAsync(configure: o =>
        {
            o.FaultRate500 = 2;
            o.PerHour = -5;
        }));

        Assert.Contains(ex.Failures, f => f.Contains("FaultRate500", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("PerHour", StringComparison.Ordinal));
    }

    private static HttpClient Client(SandboxServer sandbox) => new() { BaseAddress = sandbox.BaseAddress };

    private static string Url(string path) => $"{path}?api_key={Key}";

    private static object Leads(params string[] emails) => new { lead_list = emails.Select(e => new { email = e }) };

    private static async Task<long> CreateCampaignAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync(Url("/api/v1/campaigns/create"), new { name = "test" });
        using var body = await Json(response);
        return body.RootElement.GetProperty("id").GetInt64();
    }

    private static async Task<JsonDocument> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync());

    private static string Header(HttpResponseMessage response, string name) => Assert.Single(response.Headers.GetValues(name));

    private static void AssertEnvelope(JsonDocument body, string code)
    {
        var error = body.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }
}
