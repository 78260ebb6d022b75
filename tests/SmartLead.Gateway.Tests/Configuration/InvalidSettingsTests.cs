using System.Net;
using System.Net.Sockets;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Configuration;

public sealed class InvalidSettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-settings-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Start_SeveralInvalidSections_ExitsWithCode1ListingEveryProblem()
    {
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["GATEWAY_CONFIG_DIR"] = _directory,
            ["SmartLead__ApiKey"] = "start-check-key-1234",
            ["SmartLead__BaseUrl"] = "notaurl",
            ["Retry__MaxRetries"] = "-1",
            ["CircuitBreaker__FailureRatio"] = "2",
            ["Leads__MaxLeadsPerRequest"] = "0",
            ["RateLimit__QueueLimit"] = "-3",
        });

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        foreach (var named in new[] { "BaseUrl", "MaxRetries", "FailureRatio", "MaxLeadsPerRequest", "QueueLimit" })
        {
            Assert.Contains(named, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("start-check-key-1234", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ProductionKeyFileMissing_ExitsWithCode1NamingTheKeySettings()
    {
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["GATEWAY_CONFIG_DIR"] = _directory,
            ["SmartLead__ApiKeyFile"] = Path.Combine(_directory, "absent.key"),
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("SmartLead:ApiKeyFile", output, StringComparison.Ordinal);
        Assert.Contains("SmartLead:ApiKey", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ValueThatDoesNotConvert_ExitsWithCode1NamingTheKey()
    {
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["GATEWAY_CONFIG_DIR"] = _directory,
            ["SmartLead__ApiKey"] = "start-check-key-1234",
            ["SmartLead__Timeout"] = "abc",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("SmartLead:Timeout", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HotReload_InvalidThenAnotherChange_GatewayKeepsServingWithLastGoodValues()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "10-logging.json"), "{\"RequestLogging\":{\"Bodies\":\"None\"}}");
        Environment.SetEnvironmentVariable("GATEWAY_CONFIG_DIR", _directory);
        try
        {
            using var upstream = Upstream.StartWireMock();
            upstream.Given(WireMock.RequestBuilders.Request.Create().UsingGet())
                .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200));
            await using var gateway = new GatewayFactory(upstream.Url!, new Dictionary<string, string?> { ["Retry:MaxRetries"] = null });
            using var client = gateway.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative))).StatusCode);

            await File.WriteAllTextAsync(Path.Combine(_directory, "20-retry.json"), "{\"Retry\":{\"MaxRetries\":-1}}");
            await gateway.Logs.WaitForEventIdAsync(1001);
            await File.WriteAllTextAsync(Path.Combine(_directory, "30-leads.json"), "{\"Leads\":{\"MaxLeadsPerRequest\":5}}");
            await File.WriteAllTextAsync(Path.Combine(_directory, "40-timeout.json"), "{\"SmartLead\":{\"Timeout\":\"abc\"}}");
            await Task.Delay(2500);

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative))).StatusCode);
            Assert.NotEmpty(gateway.Logs.WithEventId(1001));

            // A file that is not even JSON: ignored, and ops are told which one.
            await File.WriteAllTextAsync(Path.Combine(_directory, "50-broken.json"), "{\"Retry\":");
            var warning = Assert.Single(await gateway.Logs.WaitForEventIdAsync(1002));
            Assert.Contains("50-broken.json", warning.RenderMessage(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative))).StatusCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GATEWAY_CONFIG_DIR", null);
        }
    }

    [Fact]
    public async Task Start_PortAlreadyTaken_ExitsWithCode1NamingTheAddress()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";

        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = address,
            ["GATEWAY_CONFIG_DIR"] = _directory,
            ["SmartLead__ApiKey"] = "start-check-key-1234",
        });

        Assert.Equal(1, exitCode); // not 134: an unhandled exception aborts the process
        Assert.Contains($"cannot start: Failed to bind to address {address}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ListeningAddressNotAUrl_ExitsWithCode1SayingWhyWithTheKeyMasked()
    {
        // The address holds the key (pasted in the wrong variable): the one line says why without repeating it.
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "start-check-key-1234",
            ["GATEWAY_CONFIG_DIR"] = _directory,
            ["SmartLead__ApiKey"] = "start-check-key-1234",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot start: Invalid url", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("start-check-key-1234", output, StringComparison.Ordinal);
    }
}
