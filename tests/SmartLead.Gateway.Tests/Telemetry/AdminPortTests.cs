using System.Diagnostics;
using System.Net;
using System.Text;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Telemetry;

/// <summary>
/// The built gateway run as its own process on real ports, as ops run it (settings from the environment only):
/// the admin listener, and OTLP export to a loopback collector.
/// </summary>
public sealed class AdminPortTests : IDisposable
{
    private const string ClientKey = "client-own-key-31d7e0";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task AdminUrls_Set_ServeMonitoringOnlyOnTheAdminPortAndNothingElseThere()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        var adminPort = Upstream.FreePort();
        await using var gateway = await RunningGateway.StartAsync(_upstream.Url!, new Dictionary<string, string?>
        {
            ["Gateway__AdminUrls"] = $"http://127.0.0.1:{adminPort}",
        });
        using var main = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseAddress };
        using var admin = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/") };

        Assert.Equal(HttpStatusCode.OK, (await main.GetAsync(new Uri("api/v1/campaigns/", UriKind.Relative))).StatusCode);
        foreach (var path in new[] { "metrics", "status", "status.json" })
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        }

        Assert.Contains("smartlead_gateway_circuit_state", await admin.GetStringAsync(new Uri("metrics", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await admin.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("healthz", UriKind.Relative))).StatusCode);

        // The admin port forwards nothing; the main port cannot be talked into serving metrics by a Host header.
        var forwarded = await admin.GetAsync(new Uri("api/v1/campaigns/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, forwarded.StatusCode);
        Assert.Contains("NOT_FOUND", await forwarded.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(_upstream.LogEntries);
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "metrics");
        spoofed.Headers.Host = $"127.0.0.1:{adminPort}";
        Assert.Equal(HttpStatusCode.NotFound, (await main.SendAsync(spoofed)).StatusCode);
    }

    [Fact]
    public async Task AdminUrls_WithoutAPort_StopTheStartWithExitCode1NamingTheSetting()
    {
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["SmartLead__ApiKey"] = GatewayFactory.TestKey,
            ["Gateway__AdminUrls"] = "http://127.0.0.1",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("Gateway:AdminUrls", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtlpEndpoint_Set_ExportsSpansAndMetricsWithoutKeysOrQueries()
    {
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        using var collector = Upstream.StartWireMock();
        collector.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        await using var gateway = await RunningGateway.StartAsync(_upstream.Url!, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        (await client.GetAsync(new Uri($"api/v1/campaigns/?api_key={ClientKey}&email=ada@example.com", UriKind.Relative))).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !(Posted(collector, "/v1/traces").Contains("/api/v1/campaigns/", StringComparison.Ordinal)
            && Posted(collector, "/v1/metrics").Contains("smartlead_gateway.circuit_state", StringComparison.Ordinal)))
        {
            await Task.Delay(200);
        }

        var traces = Posted(collector, "/v1/traces");
        Assert.Contains("/api/v1/campaigns/", traces, StringComparison.Ordinal);
        Assert.Contains("smartlead_gateway.circuit_state", Posted(collector, "/v1/metrics"), StringComparison.Ordinal);
        var everything = traces + Posted(collector, "/v1/metrics");
        foreach (var secret in new[] { GatewayFactory.TestKey, ClientKey, "ada@example.com", "api_key" })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Every body POSTed to <paramref name="path"/>, as Latin-1 text (protobuf strings are plain bytes).</summary>
    private static string Posted(WireMockServer collector, string path) => string.Concat(collector.LogEntries
        .Where(e => e.RequestMessage!.Path == path)
        .Select(e => Encoding.Latin1.GetString(e.RequestMessage!.BodyAsBytes ?? [])));

    /// <summary>The built gateway as a running process on a free loopback port, in Production, until disposed.</summary>
    private sealed class RunningGateway : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private RunningGateway(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<RunningGateway> StartAsync(string upstreamUrl, IDictionary<string, string?> environment)
        {
            var port = Upstream.FreePort();
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "SmartLead.Gateway.dll")])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var name in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }

            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["SmartLead__ApiKey"] = GatewayFactory.TestKey;
            start.Environment["SmartLead__BaseUrl"] = upstreamUrl;
            start.Environment["RateLimit__Enabled"] = "false";
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            var gateway = new RunningGateway(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
            gateway._process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
            gateway._process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
            gateway._process.BeginOutputReadLine();
            gateway._process.BeginErrorReadLine();
            using var probe = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !gateway._process.HasExited)
            {
                try
                {
                    if ((await probe.GetAsync(new Uri("healthz", UriKind.Relative))).IsSuccessStatusCode)
                    {
                        return gateway;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }

            await gateway.DisposeAsync();
            throw new InvalidOperationException($"The gateway did not answer /healthz:\n{gateway.Output}");
        }

        private string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
