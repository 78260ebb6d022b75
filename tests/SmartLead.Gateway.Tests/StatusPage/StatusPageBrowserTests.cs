using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PuppeteerSharp;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.StatusPage;

/// <summary>
/// The status page in a real headless Chromium (Debian's <c>chromium</c>, driven by path: PuppeteerSharp cannot
/// download a browser here), against the whole gateway on a real loopback port.
/// </summary>
public sealed class StatusPageBrowserTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task StatusPage_AfterKnownTraffic_ShowsTheNumbersOfStatusJsonWithoutConsoleErrorsAndUpdatesWithoutReload()
    {
        var chromium = Chromium.PathOrFail();
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        var port = Upstream.FreePort();
        await using var gateway = new GatewayFactory(_upstream.Url!, new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["CircuitBreaker:Enabled"] = "true",
        });
        gateway.UseKestrel(port);
        gateway.StartServer();
        var baseUrl = new Uri($"http://localhost:{port}/");
        using var http = new HttpClient { BaseAddress = baseUrl };
        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();

        // Known traffic: four real forwarded calls (they spend the budget's windows and record four 200 attempts), and
        // events that are hard to provoke from here (429s, a 503, retries, lead refusals) recorded into the meter.
        for (var i = 0; i < 4; i++)
        {
            (await http.GetAsync(new Uri("api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();
        }

        Record(metrics, ("200", 1), ("429", 2), ("503", 1));
        metrics.Retry("429");
        metrics.Retry("429");
        metrics.Retry("503");
        metrics.LeadRejection("required");
        metrics.LeadRejection("maxItems");
        metrics.QueueWait(TimeSpan.FromSeconds(1.2));

        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],

            // Two busy cores can take a while to start a browser; the defaults (30 s) leave no margin.
            Timeout = 120_000,
        });
        await using var page = await browser.NewPageAsync();
        page.DefaultTimeout = 60_000;
        await page.SetViewportAsync(new ViewPortOptions { Width = 1600, Height = 1000 });
        var problems = new List<string>();
        page.Console += (_, e) =>
        {
            if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning)
            {
                problems.Add($"console {e.Message.Type}: {e.Message.Text}");
            }
        };
        page.PageError += (_, e) => problems.Add($"page error: {e.Message}");
        page.RequestFailed += (_, e) => problems.Add($"request failed: {e.Request.Url}");
        page.Response += (_, e) =>
        {
            if ((int)e.Response.Status >= 400)
            {
                problems.Add($"{(int)e.Response.Status} for {e.Response.Url}");
            }
        };

        var response = await page.GoToAsync(baseUrl.ToString(), WaitUntilNavigation.Load);
        Assert.EndsWith("/status", response.Url, StringComparison.Ordinal);
        await page.WaitForFunctionAsync("() => Number(document.body.dataset.updates) >= 1", new WaitForFunctionOptions { Timeout = 20_000 });
        using (var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("status.json", UriKind.Relative))))
        {
            var root = doc.RootElement;
            var upstream = root.GetProperty("upstream");
            Assert.Equal(8, upstream.GetProperty("attempts").GetInt64());
            Assert.Equal($"{upstream.GetProperty("attempts").GetInt64()}", await Field(page, "upstream.attempts"));
            Assert.Equal($"{upstream.GetProperty("retries").GetInt64()}", await Field(page, "upstream.retries"));
            foreach (var status in upstream.GetProperty("statuses").EnumerateObject())
            {
                Assert.Equal($"{status.Value.GetInt64()}", await Field(page, $"status.{status.Name}"));
            }

            Assert.Equal("2", await Field(page, "retry.429"));
            Assert.Equal("1", await Field(page, "lead.required"));
            Assert.Equal("2", await Field(page, "leads.total"));
            var hour = root.GetProperty("budget").GetProperty("limits").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "1h");
            Assert.Equal(4, hour.GetProperty("used").GetInt32());
            Assert.Equal("4", await Field(page, "limit.1h.used"));
            Assert.Equal($"{root.GetProperty("budget").GetProperty("queue").GetProperty("limit").GetInt32()}", await Field(page, "queue.limit"));
            Assert.Equal(root.GetProperty("breaker").GetProperty("state").GetString(), await Field(page, "breaker.state"));
            Assert.Equal(root.GetProperty("key").GetProperty("fingerprint").GetString(), await Field(page, "key.fingerprint"));
            Assert.Equal(root.GetProperty("version").GetString(), await Field(page, "version"));
            Assert.Equal("8", await Field(page, "history.attempts"));
            var anonymous = root.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "anonymous");
            Assert.Equal(4, anonymous.GetProperty("permitsLastHour").GetInt64());
            Assert.Equal("4", await Field(page, "client.anonymous.permits"));
        }

        // More traffic while the page stays open: it must show it by itself, in the same document.
        await page.EvaluateExpressionAsync("window.__sameDocument = true");
        var updatesBefore = int.Parse(await page.EvaluateExpressionAsync<string>("document.body.dataset.updates"), System.Globalization.CultureInfo.InvariantCulture);
        Record(metrics, ("200", 2));
        metrics.LeadRejection("required");
        (await http.GetAsync(new Uri("api/v1/campaigns/", UriKind.Relative))).EnsureSuccessStatusCode();

        await page.WaitForFunctionAsync(
            "() => document.querySelector('[data-field=\"upstream.attempts\"]').textContent === '11'",
            new WaitForFunctionOptions { Timeout = 30_000 });
        Assert.True(await page.EvaluateExpressionAsync<bool>("window.__sameDocument === true"), "the page reloaded instead of updating");
        Assert.True(int.Parse(await page.EvaluateExpressionAsync<string>("document.body.dataset.updates"), System.Globalization.CultureInfo.InvariantCulture) > updatesBefore);
        Assert.Equal("2", await Field(page, "lead.required"));
        Assert.Equal("5", await Field(page, "limit.1h.used"));
        Assert.Equal("8", await Field(page, "status.200"));
        Assert.Equal("All clear", await Field(page, "summary"));

        await page.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "status-page.png"), new ScreenshotOptions { FullPage = true });
        Assert.Empty(problems);
    }

    private static void Record(GatewayMetrics metrics, params (string Status, int Count)[] attempts)
    {
        foreach (var (status, count) in attempts)
        {
            for (var i = 0; i < count; i++)
            {
                metrics.UpstreamAttempt(status);
            }
        }
    }

    private static Task<string> Field(IPage page, string name) =>
        page.EvaluateFunctionAsync<string>("name => document.querySelector(`[data-field=\"${name}\"]`)?.textContent ?? 'missing'", name);
}

/// <summary>Debian's chromium, found by path; a missing browser is a clear failure, never a silent pass.</summary>
internal static class Chromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium"];

    public static string PathOrFail()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        var found = new[] { configured }.Concat(Candidates).FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
        if (found is not null)
        {
            return found;
        }

        var where = Environment.GetEnvironmentVariable("CI") == "true" ? "on CI: .ci/run should have installed it" : "on this machine";
        Assert.Fail($"Chromium is missing {where}. The status page test drives Debian's chromium by path: install it " +
            "(apt-get install -y chromium) or point CHROMIUM_PATH at a Chromium binary.");
        return string.Empty;
    }
}
