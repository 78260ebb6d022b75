using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>The key goes on each attempt as it leaves, first in the query, and the answer is scrubbed of the keys sent.</summary>
public sealed class ApiKeyInjectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-inject-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task SlowUpload_KeyRotatedWhileTheBodyIsRead_NewKeySentAndScrubbedFromTheAnswer()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(async (_, context) =>
        {
            var key = context.Request.Query["api_key"].ToString();
            await context.Response.WriteAsync("you sent " + key + " and " + key.ToUpperInvariant());
        });
        var keyFile = Path.Combine(_directory, "smartlead.key");
        await File.WriteAllTextAsync(keyFile, "before-upload-key-0001");
        await using var gateway = new GatewayFactory(upstream.Url, new Dictionary<string, string?>
        {
            ["SmartLead:ApiKey"] = null,
            ["SmartLead:ApiKeyFile"] = keyFile,
        });
        using var client = gateway.CreateClient();
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var rotated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var sending = client.PostAsync(new Uri("/api/v1/campaigns/create", UriKind.Relative), new SlowContent(halfSent, rotated.Task));
        await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await File.WriteAllTextAsync(keyFile, "after-rotation-key-0002");
        gateway.Services.GetRequiredService<ApiKeyStore>().ReloadFromFile();
        rotated.SetResult();
        using var response = await sending.WaitAsync(TimeSpan.FromSeconds(20));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("you sent " + new string('*', 23) + " and " + new string('*', 23), body);
        Assert.Equal(1, upstream.RequestCount);
    }

    [Fact]
    public async Task Retry_KeyRotatedBetweenAttempts_EachAttemptCarriesTheKeyInForceAndBothAreScrubbed()
    {
        var keyFile = Path.Combine(_directory, "retry.key");
        await File.WriteAllTextAsync(keyFile, "first-attempt-key-aaaa");
        ApiKeyStore? store = null;
        var seen = new List<string>();
        await using var upstream = await ScriptedUpstream.StartAsync(async (n, context) =>
        {
            var key = context.Request.Query["api_key"].ToString();
            lock (seen)
            {
                seen.Add(key);
            }

            if (n == 1)
            {
                // Security rotates the key while the first attempt is at SmartLead.
                await File.WriteAllTextAsync(keyFile, "second-attempt-key-bbbb");
                store!.ReloadFromFile();
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.WriteAsync("attempt " + n + " sent " + key);
        });
        await using var gateway = new GatewayFactory(upstream.Url, new Dictionary<string, string?>
        {
            ["SmartLead:ApiKey"] = null,
            ["SmartLead:ApiKeyFile"] = keyFile,
            ["Retry:MaxRetries"] = "1",
            ["Retry:BaseDelay"] = "00:00:00.005",
        });
        store = gateway.Services.GetRequiredService<ApiKeyStore>();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns?limit=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["first-attempt-key-aaaa", "second-attempt-key-bbbb"], seen);
        Assert.Equal("attempt 2 sent " + new string('*', 23), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ProxyingLog_TargetUrl_NeverHeldTheKeyEvenBeforeRedaction()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var gateway = new GatewayFactory(upstream.Url);
        using var client = gateway.CreateClient();

        await client.GetAsync(new Uri("/api/v1/campaigns?limit=3", UriKind.Relative));
        await gateway.Logs.WaitForEventIdAsync(2001);

        // Redaction would leave "api_key=***": no api_key at all shows the URL was logged before the key went on.
        var proxying = Assert.Single(gateway.Logs.RenderedEvents(), e => e.Contains("Proxying to", StringComparison.Ordinal));
        Assert.Contains("limit=3", proxying, StringComparison.Ordinal);
        Assert.DoesNotContain("api_key", proxying, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void WithKey_RawPathAndQuery_KeyFirstRestByteForByte()
    {
        var uri = new Uri("http://127.0.0.1:1/api/v1/campaigns/a%2Fb?q=a%20b+c&x=%7E", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

        var withKey = ApiKeyInjectionHandler.WithKey(uri, "k+y/1");

        Assert.Equal("/api/v1/campaigns/a%2Fb?api_key=k%2By%2F1&q=a%20b+c&x=%7E", withKey.PathAndQuery);
    }

    [Fact]
    public async Task KeyStore_KeyReplaced_RecordsOneRotation()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        var keyFile = Path.Combine(_directory, "rotating.key");
        await File.WriteAllTextAsync(keyFile, "first-rotation-key-1111");
        await using var gateway = new GatewayFactory(upstream.Url, new Dictionary<string, string?>
        {
            ["SmartLead:ApiKey"] = null,
            ["SmartLead:ApiKeyFile"] = keyFile,
        });
        var store = gateway.Services.GetRequiredService<ApiKeyStore>();
        var rotations = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && instrument.Name == "smartlead_gateway.key.rotations")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref rotations, value));
        listener.Start();

        await File.WriteAllTextAsync(keyFile, "second-rotation-key-2222");
        store.ReloadFromFile();
        store.ReloadFromFile();

        Assert.Equal(1, Interlocked.Read(ref rotations));
    }

    /// <summary>Sends half a body, waits for the test, then sends the rest.</summary>
    private sealed class SlowContent(TaskCompletionSource halfSent, Task proceed) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{\"name\":\"first half"u8.ToArray());
            await stream.FlushAsync();
            halfSent.SetResult();
            await proceed.WaitAsync(TimeSpan.FromSeconds(15));
            await stream.WriteAsync(" second half\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
