using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.StatusPage;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Tests.StatusPage;

public sealed class StatusRecorderTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Snapshot_AfterRecordings_CountsEachLabelAndTheLongestWait()
    {
        var metrics = NewMetrics();
        using var recorder = new StatusRecorder(metrics, _time);

        metrics.UpstreamAttempt("200");
        metrics.UpstreamAttempt("200");
        metrics.UpstreamAttempt("429");
        metrics.Retry("429");
        metrics.LeadRejection("maxItems");
        metrics.RateLimitRejection("queue_full");
        metrics.QueueWait(TimeSpan.Zero);
        metrics.QueueWait(TimeSpan.FromSeconds(2.5));
        metrics.QueueWait(TimeSpan.FromSeconds(0.5));
        metrics.Cooldown();
        metrics.KeyRotation();

        var snapshot = recorder.Snapshot();
        Assert.Equal(new Dictionary<string, long> { ["200"] = 2, ["429"] = 1 }, snapshot.UpstreamAttempts);
        Assert.Equal(new Dictionary<string, long> { ["429"] = 1 }, snapshot.Retries);
        Assert.Equal(new Dictionary<string, long> { ["maxItems"] = 1 }, snapshot.LeadRejections);
        Assert.Equal(new Dictionary<string, long> { ["queue_full"] = 1 }, snapshot.RateLimitRejections);
        Assert.Equal(3, snapshot.Permits);
        Assert.Equal(2, snapshot.Waited);
        Assert.Equal(2.5, snapshot.LongestWaitSeconds);
        Assert.Equal(1, snapshot.Cooldowns);
        Assert.Equal(_time.GetUtcNow(), snapshot.LastCooldownAt);
        Assert.Equal(1, snapshot.KeyRotations);
        Assert.Equal(_time.GetUtcNow(), snapshot.LastKeyRotationAt);
    }

    [Fact]
    public void Snapshot_History_KeepsFifteenMinutesInFifteenSecondBucketsAndForgetsOlder()
    {
        var metrics = NewMetrics();
        using var recorder = new StatusRecorder(metrics, _time);

        metrics.UpstreamAttempt("200");
        _time.Advance(TimeSpan.FromSeconds(StatusRecorder.BucketSeconds));
        metrics.UpstreamAttempt("200");
        metrics.UpstreamAttempt("200");
        metrics.QueueWait(TimeSpan.FromSeconds(1));
        metrics.RateLimitRejection("wait_too_long");

        var history = recorder.Snapshot().History;
        Assert.Equal(StatusRecorder.BucketCount, history.Count);
        Assert.Equal(_time.GetUtcNow(), history[^1].Start);
        Assert.Equal((2, 1, 1.0, 1), (history[^1].Attempts, history[^1].Waits, history[^1].LongestWaitSeconds, history[^1].Rejections));
        Assert.Equal(1, history[^2].Attempts);
        Assert.Equal(3, history.Sum(b => b.Attempts));

        // Fourteen minutes and a half later the first bucket has just left the window; the second is the oldest.
        _time.Advance(TimeSpan.FromSeconds(StatusRecorder.BucketSeconds * (StatusRecorder.BucketCount - 1)));
        history = recorder.Snapshot().History;
        Assert.Equal(2, history.Sum(b => b.Attempts));
        Assert.Equal(2, history[0].Attempts);

        _time.Advance(TimeSpan.FromSeconds(StatusRecorder.BucketSeconds));
        Assert.Equal(0, recorder.Snapshot().History.Sum(b => b.Attempts));
    }

    [Fact]
    public void Snapshot_AnotherHostsMeterOfTheSameName_IsNotCounted()
    {
        var metrics = NewMetrics();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var otherMetrics = new GatewayMetrics(other.GetRequiredService<IMeterFactory>());
        using var recorder = new StatusRecorder(metrics, _time);

        otherMetrics.UpstreamAttempt("200");
        metrics.UpstreamAttempt("503");

        Assert.Equal(new Dictionary<string, long> { ["503"] = 1 }, recorder.Snapshot().UpstreamAttempts);
    }

    [Fact]
    public void Snapshot_ZeroAddedToShowACounter_IsNoEvent()
    {
        var metrics = NewMetrics();
        using var recorder = new StatusRecorder(metrics, _time);

        metrics.ShowAlertedSeries();

        var snapshot = recorder.Snapshot();
        Assert.Equal(0, snapshot.KeyRotations);
        Assert.Null(snapshot.LastKeyRotationAt);
        Assert.Null(snapshot.LastCooldownAt);
    }

    private GatewayMetrics NewMetrics() => new(_services.GetRequiredService<IMeterFactory>());
}
