using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.StatusPage;

/// <summary>
/// What the status page shows of the gateway's traffic, read from the gateway's own instruments through an in-process
/// <see cref="MeterListener"/>: whatever feature records into <see cref="GatewayMetrics"/> shows here, and no feature
/// needs to know the page exists. Totals since start by label, and a 15-minute history in
/// <see cref="BucketSeconds"/>-second buckets of attempts sent (one permit each), waits and refusals.
/// </summary>
/// <remarks>
/// Only this host's meter is listened to (by reference): a process can hold several hosts (tests do), each with its
/// own meter of the same name. Recording runs on the request path, so it allocates nothing once a label has been
/// seen: label values come from the small closed sets <see cref="GatewayMetrics"/> documents.
/// </remarks>
internal sealed class StatusRecorder : IDisposable
{
    public const int BucketSeconds = 15;
    public const int BucketCount = 60;

    private readonly Meter _meter;
    private readonly TimeProvider _time;
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _retries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _rateLimitRejections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _leadRejections = new(StringComparer.Ordinal);
    private readonly Lock _historyGate = new();
    private readonly Bucket[] _history = new Bucket[BucketCount];
    private readonly Dictionary<string, ClientHour> _clientPermits = new(StringComparer.Ordinal);
    private long _waits;
    private long _waited;
    private double _longestWait;
    private long _cooldowns;
    private long _lastCooldownTicks;
    private long _keyRotations;
    private long _lastKeyRotationTicks;

    public StatusRecorder(GatewayMetrics metrics, TimeProvider time)
    {
        _meter = metrics.Meter;
        _time = time;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter) && IsRecorded(instrument.Name))
                {
                    listener.EnableMeasurementEvents(instrument, this);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((StatusRecorder)state!).OnLong(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((StatusRecorder)state!).OnDouble(instrument, value));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Everything recorded so far, taken at <see cref="TimeProvider.GetUtcNow"/>.</summary>
    public StatusActivity Snapshot()
    {
        var now = _time.GetUtcNow();
        var current = BucketIndex(now);
        var history = new StatusHistoryBucket[BucketCount];
        lock (_historyGate)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                var index = current - BucketCount + 1 + i;
                ref var bucket = ref _history[Slot(index)];
                history[i] = bucket.Index == index
                    ? new StatusHistoryBucket(BucketStart(index), bucket.Attempts, bucket.Waits, bucket.LongestWait, bucket.Rejections)
                    : new StatusHistoryBucket(BucketStart(index), 0, 0, 0, 0);
            }
        }

        return new StatusActivity(
            Totals(_attempts),
            Totals(_retries),
            Totals(_rateLimitRejections),
            Totals(_leadRejections),
            Interlocked.Read(ref _waits),
            Interlocked.Read(ref _waited),
            Volatile.Read(ref _longestWait),
            Interlocked.Read(ref _cooldowns),
            At(Interlocked.Read(ref _lastCooldownTicks)),
            Interlocked.Read(ref _keyRotations),
            At(Interlocked.Read(ref _lastKeyRotationTicks)),
            history,
            ClientPermitsLastHour(now));
    }

    /// <summary>Permits each client's attempts were granted over the last hour (whole minutes), by client.</summary>
    private Dictionary<string, long> ClientPermitsLastHour(DateTimeOffset now)
    {
        var minute = now.UtcTicks / TimeSpan.TicksPerMinute;
        lock (_historyGate)
        {
            return _clientPermits.ToDictionary(pair => pair.Key, pair => pair.Value.Sum(minute), StringComparer.Ordinal);
        }
    }

    private static bool IsRecorded(string name) => name is GatewayMetrics.UpstreamAttemptsInstrument
        or GatewayMetrics.RetriesInstrument
        or GatewayMetrics.QueueWaitInstrument
        or GatewayMetrics.RateLimitRejectionsInstrument
        or GatewayMetrics.CooldownsInstrument
        or GatewayMetrics.LeadRejectionsInstrument
        or GatewayMetrics.KeyRotationsInstrument
        or GatewayMetrics.ClientPermitsInstrument;

    private static IReadOnlyDictionary<string, long> Totals(ConcurrentDictionary<string, StrongBox<long>> counts) =>
        new SortedDictionary<string, long>(counts.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value.Value)), StringComparer.Ordinal);

    private static DateTimeOffset? At(long utcTicks) => utcTicks == 0 ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);

    private static void Count(ConcurrentDictionary<string, StrongBox<long>> counts, ReadOnlySpan<KeyValuePair<string, object?>> tags, string tagName, long value)
    {
        var label = "none";
        foreach (var tag in tags)
        {
            if (tag.Key == tagName && tag.Value is string text)
            {
                label = text;
                break;
            }
        }

        Interlocked.Add(ref counts.GetOrAdd(label, static _ => new StrongBox<long>()).Value, value);
    }

    private static int Slot(long index) => (int)(index % BucketCount);

    private static DateTimeOffset BucketStart(long index) => new(index * BucketSeconds * TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static long BucketIndex(DateTimeOffset at) => at.UtcTicks / (BucketSeconds * TimeSpan.TicksPerSecond);

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (value <= 0)
        {
            return;
        }

        switch (instrument.Name)
        {
            case GatewayMetrics.UpstreamAttemptsInstrument:
                Count(_attempts, tags, "status", value);
                AddToHistory(attempts: value, waits: 0, wait: 0, rejections: 0);
                break;
            case GatewayMetrics.RetriesInstrument:
                Count(_retries, tags, "reason", value);
                break;
            case GatewayMetrics.RateLimitRejectionsInstrument:
                Count(_rateLimitRejections, tags, "reason", value);
                AddToHistory(attempts: 0, waits: 0, wait: 0, rejections: value);
                break;
            case GatewayMetrics.LeadRejectionsInstrument:
                Count(_leadRejections, tags, "reason", value);
                break;
            case GatewayMetrics.CooldownsInstrument:
                Interlocked.Add(ref _cooldowns, value);
                Interlocked.Exchange(ref _lastCooldownTicks, _time.GetUtcNow().UtcTicks);
                break;
            case GatewayMetrics.ClientPermitsInstrument:
                AddClientPermits(tags, value);
                break;
            case GatewayMetrics.KeyRotationsInstrument:
                Interlocked.Add(ref _keyRotations, value);
                Interlocked.Exchange(ref _lastKeyRotationTicks, _time.GetUtcNow().UtcTicks);
                break;
        }
    }

    private void OnDouble(Instrument instrument, double seconds)
    {
        if (instrument.Name != GatewayMetrics.QueueWaitInstrument)
        {
            return;
        }

        Interlocked.Increment(ref _waits);
        if (seconds > 0)
        {
            Interlocked.Increment(ref _waited);
            AddToHistory(attempts: 0, waits: 1, wait: seconds, rejections: 0);
        }

        var longest = Volatile.Read(ref _longestWait);
        while (seconds > longest)
        {
            var seen = Interlocked.CompareExchange(ref _longestWait, seconds, longest);
            if (seen == longest)
            {
                break;
            }

            longest = seen;
        }
    }

    private void AddToHistory(long attempts, long waits, double wait, long rejections)
    {
        var index = BucketIndex(_time.GetUtcNow());
        lock (_historyGate)
        {
            ref var bucket = ref _history[Slot(index)];
            if (bucket.Index != index)
            {
                bucket = new Bucket { Index = index };
            }

            bucket.Attempts += attempts;
            bucket.Waits += waits;
            bucket.LongestWait = Math.Max(bucket.LongestWait, wait);
            bucket.Rejections += rejections;
        }
    }

    private void AddClientPermits(ReadOnlySpan<KeyValuePair<string, object?>> tags, long value)
    {
        string? client = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "client" && tag.Value is string name)
            {
                client = name;
                break;
            }
        }

        if (client is null)
        {
            return;
        }

        var minute = _time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute;
        lock (_historyGate)
        {
            if (!_clientPermits.TryGetValue(client, out var hour))
            {
                // Client names are a closed set (the configured clients, or "anonymous"): this grows no further.
                _clientPermits[client] = hour = new ClientHour();
            }

            hour.Add(minute, value);
        }
    }

    /// <summary>One client's permits in the last 60 whole minutes, a slot a minute.</summary>
    private sealed class ClientHour
    {
        private readonly long[] _minutes = new long[60];
        private readonly long[] _counts = new long[60];

        public void Add(long minute, long value)
        {
            var slot = (int)(minute % 60);
            if (_minutes[slot] != minute)
            {
                _minutes[slot] = minute;
                _counts[slot] = 0;
            }

            _counts[slot] += value;
        }

        public long Sum(long now)
        {
            long sum = 0;
            for (var i = 0; i < 60; i++)
            {
                if (now - _minutes[i] < 60)
                {
                    sum += _counts[i];
                }
            }

            return sum;
        }
    }

    private struct Bucket
    {
        public long Index;
        public long Attempts;
        public long Waits;
        public double LongestWait;
        public long Rejections;
    }
}

/// <summary>The gateway's traffic as <see cref="StatusRecorder"/> saw it.</summary>
internal sealed record StatusActivity(
    IReadOnlyDictionary<string, long> UpstreamAttempts,
    IReadOnlyDictionary<string, long> Retries,
    IReadOnlyDictionary<string, long> RateLimitRejections,
    IReadOnlyDictionary<string, long> LeadRejections,
    long Permits,
    long Waited,
    double LongestWaitSeconds,
    long Cooldowns,
    DateTimeOffset? LastCooldownAt,
    long KeyRotations,
    DateTimeOffset? LastKeyRotationAt,
    IReadOnlyList<StatusHistoryBucket> History,
    IReadOnlyDictionary<string, long> ClientPermitsLastHour);

/// <summary>One <see cref="StatusRecorder.BucketSeconds"/>-second slice of the history.</summary>
internal sealed record StatusHistoryBucket(DateTimeOffset Start, long Attempts, long Waits, double LongestWaitSeconds, long Rejections);
