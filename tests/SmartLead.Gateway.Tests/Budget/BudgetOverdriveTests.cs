using System.Diagnostics;
using System.Net;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static SmartLead.Gateway.Tests.Budget.BudgetTestOptions;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>
/// The goal figure of the budget: overdriven tenfold against an upstream that enforces its limit exactly, the
/// gateway uses nearly all of that limit, the upstream never has to say 429, and whoever was let into the
/// waiting room gets through. Small limits and a short window keep it to a few seconds of real time.
/// </summary>
[Collection(nameof(BudgetOverdriveTests))]
public sealed class BudgetOverdriveTests(ITestOutputHelper output)
{
    private const int UpstreamLimit = 10;
    private static readonly TimeSpan UpstreamWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DriveFor = TimeSpan.FromSeconds(6);
    // Wide enough that its slack (a quarter of it) rides out a stall of a busy 2-core machine: a 2 s wait, 0.5 s of
    // slack, once saw ten admitted waiters refused after an 0.8 s stall in a full CI run.
    private static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Overdrive_TenfoldAgainstEnforcingUpstream_UsesBudgetWithoutA429()
    {
        // Real time on a shared 2-core machine: a stall of a second or more (seen in about one full run in ten, twice
        // in a row once) can cost a round its share, or push a waiter past its slack or out of line. A round that
        // misses one of those timing figures is played again, up to three rounds, and every round's figures are
        // printed with how late its drive loop ran and the GC pause time inside it. What no stall excuses (a 429
        // from the upstream, an answer that is neither 200 nor a refusal, a request the upstream accepted that was not
        // delivered) fails the round it happens in.
        var missedRounds = new List<string>();
        for (var round = 1; round <= 3; round++)
        {
            var missed = await DriveOnceAsync();
            if (missed.Count == 0)
            {
                return;
            }

            missedRounds.Add($"round {round}: {string.Join("; ", missed)}");
            output.WriteLine($"{missedRounds[^1]}; playing it again");
        }

        Assert.Fail(string.Join(" / ", missedRounds));
    }

    /// <summary>One overdrive round; fails on what no stall excuses, and returns the timing figures it missed.</summary>
    private async Task<List<string>> DriveOnceAsync()
    {
        await using var upstream = new EnforcingUpstream(UpstreamLimit, UpstreamWindow);
        await upstream.StartAsync();

        // Exactly the upstream's numbers, no headroom: the window counts each permit until a window after its
        // answer came back, never before the upstream saw it, so the full limit is safe.
        var options = Create(
            tokenLimit: UpstreamLimit,
            tokensPerPeriod: UpstreamLimit,
            period: UpstreamWindow,
            queueLimit: 100,
            maxQueueWait: MaxQueueWait,
            windows: Window(UpstreamLimit, UpstreamWindow));
        using var budget = BudgetHandlerTests.RealBudget(options);
        using var invoker = BudgetHandlerTests.Invoker(budget);

        // A round starts on a collected heap, so that a full collection the earlier tests made due is not paid inside it.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var pausedBefore = GC.GetTotalPauseDuration();

        // Ten times the upstream's rate: a batch of ten every 100 ms (a late tick is made up at once).
        var sends = new List<Task<Outcome>>();
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var longestStall = TimeSpan.Zero;
        var sinceTick = Stopwatch.StartNew();
        for (var batch = 0; batch < DriveFor / TimeSpan.FromMilliseconds(100); batch++)
        {
            for (var i = 0; i < UpstreamLimit; i++)
            {
                sends.Add(SendAsync(invoker, upstream.BaseAddress));
            }

            await ticks.WaitForNextTickAsync();
            var late = sinceTick.Elapsed - TimeSpan.FromMilliseconds(100);
            longestStall = late > longestStall ? late : longestStall;
            sinceTick.Restart();
        }

        var outcomes = await Task.WhenAll(sends);

        var accepted = upstream.Accepted;
        Assert.NotEmpty(accepted); // six seconds of offered load and nothing through is no stall
        var windows = (int)(DriveFor / UpstreamWindow);

        // While overdriven, the most an exact sliding window lets through in `windows` whole windows from the first
        // request is windows × limit; that is the budget the gateway is measured against.
        var allowed = windows * UpstreamLimit;
        var measuredUntil = accepted[0] + (long)(DriveFor.TotalSeconds * Stopwatch.Frequency);
        var deliveredInDrive = accepted.Count(at => at < measuredUntil);

        // Steady state, free of the edges: how long the windows after the first took to deliver their share.
        // (Only when enough got through to measure it: a stalled round may not have, and is then played again.)
        var steadyShare = accepted.Count > allowed - UpstreamLimit
            ? (windows - 1) * UpstreamWindow / Stopwatch.GetElapsedTime(accepted[0], accepted[allowed - UpstreamLimit])
            : 0;

        var delivered = outcomes.Count(o => o.Status == HttpStatusCode.OK);
        // Told apart by the wait the budget recorded, not by the whole call's time, which a busy machine stretches. An
        // at-once refusal records about 0 ms; one after waiting in line would come near MaxQueueWait (4 s). A second
        // between them rides out a stall of a busy machine inside admission.
        var refusedAtOnce = outcomes.Count(o => o.Refused && o.QueueWait < TimeSpan.FromSeconds(1));
        var refusedAfterWaiting = outcomes.Count(o => o.Refused) - refusedAtOnce;
        var other = outcomes.Count(o => !o.Refused && o.Status != HttpStatusCode.OK);
        var longestWait = outcomes.Where(o => o.Status == HttpStatusCode.OK).Max(o => o.QueueWait);
        var answerTimes = outcomes.Where(o => o.Status == HttpStatusCode.OK).Select(o => (o.Elapsed - o.QueueWait).TotalMilliseconds).Order().ToArray();
        output.WriteLine(
            $"offered {outcomes.Length} in {DriveFor.TotalSeconds:0} s against {UpstreamLimit} per {UpstreamWindow.TotalSeconds:0} s; " +
            $"delivered {deliveredInDrive} of the {allowed} the limit allows in {windows} windows ({100.0 * deliveredInDrive / allowed:0.0}%); " +
            $"steady state {100 * steadyShare:0.0}% of the limit's rate; delivered in all {delivered}; upstream 429s {upstream.Rejected}; " +
            $"refused at once {refusedAtOnce}, after waiting {refusedAfterWaiting}; other {other}; " +
            $"longest permit wait of a delivered request {longestWait.TotalMilliseconds:0} ms; " +
            $"upstream answer time median {answerTimes[answerTimes.Length / 2]:0} ms, slowest {answerTimes[^1]:0} ms; " +
            $"the drive loop late by up to {longestStall.TotalMilliseconds:0} ms; GC pauses {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:0} ms");

        // Admitted waiters may slip a little past MaxQueueWait rather than be refused after waiting.
        var longestAllowed = MaxQueueWait + WaitingRoom.DeadlineSlack(MaxQueueWait) + TimeSpan.FromMilliseconds(100);
        Assert.Equal(0, upstream.Rejected);
        Assert.Equal(0, other);
        Assert.Equal(accepted.Count, delivered);

        var missed = new List<string>();
        Check(refusedAfterWaiting == 0, $"{refusedAfterWaiting} refused after waiting in line");
        Check(deliveredInDrive >= 0.95 * allowed, $"delivered {deliveredInDrive} of {allowed}");
        Check(longestWait <= longestAllowed, $"a delivered request waited {longestWait}, more than {longestAllowed}");
        return missed;

        void Check(bool held, string otherwise)
        {
            if (!held)
            {
                missed.Add(otherwise);
            }
        }
    }

    private static async Task<Outcome> SendAsync(HttpMessageInvoker invoker, Uri upstream)
    {
        var started = Stopwatch.GetTimestamp();
        var log = new RequestLogFeature("overdrive");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(upstream, "/api/v1/campaigns"));
            var features = new Microsoft.AspNetCore.Http.Features.FeatureCollection();
            features.Set(log);
            SmartLead.Gateway.Forwarding.ForwardedFeatures.Attach(request, features);
            using var response = await invoker.SendAsync(request, CancellationToken.None);
            return new Outcome(response.StatusCode, false, Stopwatch.GetElapsedTime(started), log.QueueWait);
        }
        catch (GatewayRejectedException)
        {
            return new Outcome(null, true, Stopwatch.GetElapsedTime(started), log.QueueWait);
        }
    }

    private readonly record struct Outcome(HttpStatusCode? Status, bool Refused, TimeSpan Elapsed, TimeSpan QueueWait);
}

/// <summary>Runs the overdrive alone: its figure measures the gateway, not other tests competing for two cores.</summary>
[CollectionDefinition(nameof(BudgetOverdriveTests), DisableParallelization = true)]
public sealed class BudgetOverdriveCollection;
