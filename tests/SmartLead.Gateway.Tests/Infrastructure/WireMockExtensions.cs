using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>Canned answer sequences on a WireMock upstream, and fake time driven while real I/O runs.</summary>
internal static class WireMockExtensions
{
    /// <summary>Answers successive requests to <paramref name="path"/> with <paramref name="responses"/>; the last one repeats.</summary>
    public static void GivenSequence(this WireMockServer server, string method, string path, params IResponseBuilder[] responses)
    {
        if (responses.Length == 1)
        {
            server.Given(Request.Create().WithPath(path).UsingMethod(method)).RespondWith(responses[0]);
            return;
        }

        var scenario = Guid.NewGuid().ToString("N");
        for (var i = 0; i < responses.Length; i++)
        {
            var provider = server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(scenario);
            if (i > 0)
            {
                provider = provider.WhenStateIs($"s{i}");
            }

            // The last state loops onto itself so it keeps answering: WireMock ends a scenario at a mapping that sets
            // no next state, and an ended scenario starts again from the first mapping.
            provider = provider.WillSetStateTo($"s{Math.Min(i + 1, responses.Length - 1)}");

            provider.RespondWith(responses[i]);
        }
    }

    public static IResponseBuilder Status(int status) => Response.Create().WithStatusCode(status);

    public static int RequestCount(this WireMockServer server) => server.LogEntries.Count();

    /// <summary>Waits (real time, bounded) until the upstream has seen <paramref name="count"/> requests.</summary>
    public static async Task WaitForRequestsAsync(this WireMockServer server, int count)
    {
        for (var i = 0; i < 500 && server.RequestCount() < count; i++)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Moves fake time forward in steps until <paramref name="task"/> completes (bounded in real time). Fake time also
    /// runs while real I/O is in flight, so only lower bounds on waits are meaningful, and fake-time hosts need a long
    /// attempt timeout.
    /// </summary>
    public static async Task<T> DriveAsync<T>(this FakeTimeProvider time, Task<T> task)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        return await task;
    }
}
