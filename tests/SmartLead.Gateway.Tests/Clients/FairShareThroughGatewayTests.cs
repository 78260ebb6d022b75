using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SmartLead.Gateway.Tests.Clients;

/// <summary>
/// The issue's goal figure, through the whole gateway: a bulk client with 200 requests waiting and an interactive
/// client that sends 5, under a budget of 5 per second.
/// </summary>
public sealed class FairShareThroughGatewayTests(ITestOutputHelper output)
{
    private const string BulkKey = "bulk-client-key-2f9e61";
    private const string CrmKey = "crm-client-key-a41c07";

    [Fact]
    public async Task InteractiveClientBehindBulkBacklog_IsAnsweredInSecondsNotAfterTheBacklog()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var upstream = await ScriptedUpstream.StartAsync(async (_, context) =>
        {
            arrivals.Enqueue(context.Request.Headers["X-Caller"].ToString());
            await context.Response.WriteAsync("[]");
        });
        await using var gateway = new GatewayFactory(upstream.Url, new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:Plan"] = "Custom",
            ["RateLimit:TokenLimit"] = "1",
            ["RateLimit:TokensPerPeriod"] = "1",
            ["RateLimit:ReplenishmentPeriod"] = "00:00:00.200",
            ["RateLimit:QueueLimit"] = "300",
            ["RateLimit:MaxQueueWait"] = "00:02:00",
            ["Clients:0:Name"] = "bulk",
            ["Clients:0:KeySha256"] = ClientRegistryTests.Sha256Hex(BulkKey),
            ["Clients:1:Name"] = "crm",
            ["Clients:1:KeySha256"] = ClientRegistryTests.Sha256Hex(CrmKey),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });
        using var client = gateway.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(2);
        var budget = gateway.Services.GetRequiredService<IBudgetStatusSource>();
        using var stopBulk = new CancellationTokenSource();

        var bulk = Enumerable.Range(0, 200).Select(i => Send(client, BulkKey, $"bulk-{i}", stopBulk.Token)).ToList();
        for (var i = 0; i < 500 && budget.GetStatus().QueueLength < 190; i++)
        {
            await Task.Delay(20);
        }

        Assert.True(budget.GetStatus().QueueLength >= 190, $"only {budget.GetStatus().QueueLength} bulk requests waiting");
        var waiting = budget.GetStatus().QueueByClient;
        Assert.Equal(["bulk"], waiting.Keys);
        using (var status = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri("/status.json", UriKind.Relative))))
        {
            var bulkRow = status.RootElement.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "bulk");
            Assert.True(bulkRow.GetProperty("waiting").GetInt32() >= 150);
            Assert.Equal(1.0, bulkRow.GetProperty("queueShare").GetDouble());
        }

        var seenBefore = arrivals.Count;
        var clock = Stopwatch.StartNew();
        var crm = Enumerable.Range(0, 5).Select(async i =>
        {
            using var response = await Send(client, CrmKey, $"crm-{i}", CancellationToken.None);
            return (response.StatusCode, Elapsed: clock.Elapsed);
        }).ToList();
        var answered = await Task.WhenAll(crm);

        var longest = answered.Max(a => a.Elapsed);
        output.WriteLine($"interactive calls answered after {string.Join(", ", answered.Select(a => $"{a.Elapsed.TotalMilliseconds:0} ms"))}");
        Assert.All(answered, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        // In FIFO order the five would wait behind the whole backlog: 190 permits, 38 s at 5 a second. Taking turns,
        // they go with every other permit (the order itself is pinned on fake time in Budget/FairShareTests), which on
        // a quiet machine answers the fifth at about 1.8 s (the README's figure). The bound here is kept far from that
        // figure because a busy 2-core machine delays timers and the requests' own arrival.
        output.WriteLine($"upstream arrivals from then on: {string.Join(", ", arrivals.Skip(seenBefore).Take(14))}");
        Assert.True(longest < TimeSpan.FromSeconds(8), $"the last interactive call took {longest}");
        Assert.True(budget.GetStatus().QueueLength >= 150, "the bulk backlog was served first");
        await stopBulk.CancelAsync();

        foreach (var pending in bulk)
        {
            try
            {
                (await pending).Dispose();
            }
            catch (OperationCanceledException)
            {
                // the bulk backlog is let go once the interactive calls are through
            }
        }
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string key, string caller, CancellationToken token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/campaigns/");
        request.Headers.Add("X-Gateway-Key", key);
        request.Headers.Add("X-Caller", caller);
        return client.SendAsync(request, token);
    }
}
