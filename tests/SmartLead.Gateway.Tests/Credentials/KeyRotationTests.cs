using System.Diagnostics;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>Security rotates the key by replacing one file; these run the real file watching and polling.</summary>
public sealed class KeyRotationTests : IDisposable
{
    private readonly WireMockServer _upstream = Upstream.StartWireMock();
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-key-").FullName;

    public KeyRotationTests() =>
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));

    public void Dispose()
    {
        _upstream.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task KeyFile_RenamedOver_NewKeyUsedWithinFiveSecondsWithoutFailures()
    {
        var keyFile = Path.Combine(_directory, "smartlead.key");
        await File.WriteAllTextAsync(keyFile, "  first-key-aaaa1111\n");
        await using var gateway = CreateGateway(keyFile);
        using var client = gateway.CreateClient();
        Assert.Equal("first-key-aaaa1111", await KeySeenUpstream(client));

        // How Kubernetes and Vault agents rotate: write a new file beside it, then rename it over the old one.
        var staged = Path.Combine(_directory, ".smartlead.key.tmp");
        await File.WriteAllTextAsync(staged, "second-key-bbbb2222");
        File.Move(staged, keyFile, overwrite: true);

        var seen = await PollUntil(client, "second-key-bbbb2222", TimeSpan.FromSeconds(5));
        Assert.Equal("second-key-bbbb2222", seen);
        Assert.All(_upstream.LogEntries, entry => Assert.Equal(200, entry.ResponseMessage!.StatusCode));
        var rotation = Assert.Single(gateway.Logs.WithEventId(3002)).RenderMessage();
        Assert.Contains(SmartLead.Gateway.Credentials.ApiKeyStore.Fingerprint("second-key-bbbb2222"), rotation, StringComparison.Ordinal);
        Assert.All(gateway.Logs.RenderedEvents(), e =>
        {
            Assert.DoesNotContain("first-key-aaaa1111", e, StringComparison.Ordinal);
            Assert.DoesNotContain("second-key-bbbb2222", e, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task KeyFile_RewrittenInPlace_NewKeyUsed()
    {
        var keyFile = Path.Combine(_directory, "smartlead.key");
        await File.WriteAllTextAsync(keyFile, "first-key-cccc3333");
        await using var gateway = CreateGateway(keyFile);
        using var client = gateway.CreateClient();
        await KeySeenUpstream(client);

        await File.WriteAllTextAsync(keyFile, "second-key-dddd4444");

        Assert.Equal("second-key-dddd4444", await PollUntil(client, "second-key-dddd4444", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task KeyFile_EmptiedOrRemoved_KeepsLastGoodKeyAndWarns()
    {
        var keyFile = Path.Combine(_directory, "smartlead.key");
        await File.WriteAllTextAsync(keyFile, "good-key-eeee5555");
        await using var gateway = CreateGateway(keyFile);
        using var client = gateway.CreateClient();
        await KeySeenUpstream(client);

        await File.WriteAllTextAsync(keyFile, "   \n");
        await WaitFor(() => gateway.Logs.WithEventId(3003).Any(), TimeSpan.FromSeconds(5));
        Assert.Equal("good-key-eeee5555", await KeySeenUpstream(client));

        File.Delete(keyFile);
        await WaitFor(() => gateway.Logs.WithEventId(3003).Count() >= 2, TimeSpan.FromSeconds(5));
        Assert.Equal("good-key-eeee5555", await KeySeenUpstream(client));
        Assert.All(gateway.Logs.WithEventId(3003), e => Assert.Equal(LogLevelWarning, e.Level));
    }

    [Fact]
    public async Task Production_WithoutAnyKey_ExitsWithCode1NamingBothSettings()
    {
        var (exitCode, output) = await GatewayProcess.RunUntilExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["GATEWAY_CONFIG_DIR"] = _directory,
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("SmartLead:ApiKey", output, StringComparison.Ordinal);
        Assert.Contains("SmartLead:ApiKeyFile", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    private const Serilog.Events.LogEventLevel LogLevelWarning = Serilog.Events.LogEventLevel.Warning;

    private GatewayFactory CreateGateway(string keyFile) => new(_upstream.Url!, new Dictionary<string, string?>
    {
        ["SmartLead:ApiKey"] = null,
        ["SmartLead:ApiKeyFile"] = keyFile,
    });

    private async Task<string?> KeySeenUpstream(HttpClient client)
    {
        var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));
        Assert.Equal(200, (int)response.StatusCode);
        var last = _upstream.LogEntries.Last().RequestMessage!;
        return last.Query!["api_key"].Single();
    }

    private async Task<string?> PollUntil(HttpClient client, string expected, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        string? seen;
        do
        {
            seen = await KeySeenUpstream(client);
            if (seen == expected)
            {
                return seen;
            }

            await Task.Delay(100);
        }
        while (watch.Elapsed < within);
        return seen;
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < within)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not met in time");
    }
}
