namespace SmartLead.Gateway.Budget;

/// <summary>
/// The token bucket and the sliding windows, checked and spent together so a permit is taken only when all of
/// them allow it. Times are <see cref="TimeSpan"/> ticks on the owning ledger's clock. Not thread-safe: the
/// <see cref="MemoryPermitLedger"/> calls it under its lock.
/// </summary>
/// <remarks>
/// <para>
/// Written here rather than composed from <c>TokenBucketRateLimiter</c>/<c>SlidingWindowRateLimiter</c> because
/// (a) in manual-replenishment mode both still read <c>Stopwatch</c>, so an injected <see cref="TimeProvider"/>
/// cannot drive them; (b) the sliding window frees a segment's permits up to one segment early, so an upstream that
/// counts exactly could see more than the limit; (c) there is no way to ask them when the n-th next permit will be
/// free, which the foreseeable-wait rejection needs; (d) chaining them loses tokens when a later limiter refuses.
/// </para>
/// <para>
/// A window counts a permit from its grant until one window length after the attempt finished (its lease was
/// released). SmartLead counts a request when it arrives, which is somewhere in between; counting from the finish
/// is the only moment the gateway knows is not earlier, so a slow new TLS connection for one request and a fast
/// pooled one for the next can never squeeze two windows' worth into one. It costs one response time per window.
/// Each constraint is "free from time X on" as long as nothing else is taken, so the earliest time all allow is
/// the latest of those X.
/// </para>
/// </remarks>
internal sealed class PermitLimits
{
    /// <summary>Finish times of released permits, ascending (time only moves forward).</summary>
    private readonly List<long> _finished = [];

    /// <summary>Grant times of permits still in flight, ascending.</summary>
    private readonly LinkedList<long> _inFlight = new();

    /// <summary>While projecting: expected finish times of in-flight and hypothetical permits, ascending.</summary>
    private readonly List<long> _expected = [];

    private int _finishedStart;
    private Bucket _bucket;
    private Bucket _bucketBeforeProjection;
    private bool _projecting;
    private Window[] _windows = [];
    private long _retention;
    private long _typicalDuration;
    private long _assumedDuration;

    public PermitLimits(BudgetLimits limits, long now)
    {
        _bucket = new Bucket(limits.Bucket.TokenLimit, limits.Bucket.TokensPerPeriod, limits.Bucket.Period.Ticks)
        {
            Tokens = limits.Bucket.TokenLimit,
            Anchor = now,
        };
        SetWindows(limits);
    }

    public int InFlight => _inFlight.Count;

    private int FinishedCount => _finished.Count - _finishedStart;

    /// <summary>
    /// Takes new limits without forgetting what was already spent: the bucket keeps its tokens (capped at the new
    /// size) and the windows count the permits already granted, so a reload never hands out a fresh budget.
    /// </summary>
    public void Reconfigure(BudgetLimits limits, long now)
    {
        _bucket.RefillTo(now);
        _bucket = new Bucket(limits.Bucket.TokenLimit, limits.Bucket.TokensPerPeriod, limits.Bucket.Period.Ticks)
        {
            Tokens = Math.Min(_bucket.Tokens, limits.Bucket.TokenLimit),
            Anchor = _bucket.Anchor,
        };
        SetWindows(limits);
    }

    /// <summary>
    /// The earliest time at or after <paramref name="from"/> when one permit is free everywhere;
    /// <see cref="long.MaxValue"/> when that depends on a permit in flight finishing.
    /// </summary>
    public long EarliestFrom(long from)
    {
        var earliest = Math.Max(from, _bucket.EarliestFrom(from));
        var finished = FinishedCount;
        var open = _projecting ? _expected.Count : _inFlight.Count;
        foreach (var window in _windows)
        {
            // The permit that has to age out is the PermitLimit-th newest.
            var index = finished + open - window.PermitLimit;
            if (index < 0)
            {
                continue;
            }

            var freedAt = index < finished
                ? _finished[_finishedStart + index] + window.Length
                : _projecting ? _expected[index - finished] + window.Length : long.MaxValue;
            earliest = Math.Max(earliest, freedAt);
        }

        return earliest;
    }

    /// <summary>
    /// Spends one permit at <paramref name="at"/>, a time <see cref="EarliestFrom"/> allowed. Outside a projection
    /// returns the in-flight entry to hand to <see cref="Finish"/>.
    /// </summary>
    public LinkedListNode<long>? Take(long at)
    {
        _bucket.RefillTo(at);
        _bucket.Tokens--;
        if (_projecting)
        {
            _expected.Add(at + _assumedDuration);
            return null;
        }

        return _windows.Length > 0 ? _inFlight.AddLast(at) : null;
    }

    /// <summary>
    /// Counts a permit granted elsewhere at <paramref name="at"/> whatever the limits say: the windows count it, the
    /// bucket gives a token only if it has one (a bucket in debt would stay empty long after the spending stopped).
    /// </summary>
    public LinkedListNode<long>? Record(long at)
    {
        _bucket.RefillTo(at);
        if (_bucket.Tokens >= 1)
        {
            _bucket.Tokens--;
        }

        return _windows.Length > 0 ? _inFlight.AddLast(at) : null;
    }

    /// <summary>The attempt that held <paramref name="entry"/> is over: from now on it ages out like any other.</summary>
    public void Finish(LinkedListNode<long> entry, long now)
    {
        if (entry.List is null)
        {
            return;
        }

        _inFlight.Remove(entry);
        _finished.Add(now);

        // How long attempts take, only for projecting when in-flight permits will finish. It jumps up to a slow
        // attempt at once and eases down, so admission errs towards later: better refuse a caller at once than
        // admit it and refuse it after it waited.
        var duration = Math.Max(0, now - entry.Value);
        _typicalDuration = duration >= _typicalDuration ? duration : _typicalDuration - ((_typicalDuration - duration) / 8);
    }

    /// <summary>
    /// Nothing was sent with the permit of <paramref name="entry"/>: the windows forget it and the bucket gets its
    /// token back (up to its size), as if it had never been taken.
    /// </summary>
    public void Return(LinkedListNode<long>? entry, long now)
    {
        if (entry is { List: not null })
        {
            _inFlight.Remove(entry);
        }

        _bucket.RefillTo(now);
        _bucket.Tokens = Math.Min(_bucket.Limit, _bucket.Tokens + 1);
    }

    /// <summary>Forgets finished permits no window can see any more.</summary>
    public void Prune(long now)
    {
        while (FinishedCount > 0 && _finished[_finishedStart] + _retention <= now)
        {
            _finishedStart++;
        }

        if (_finishedStart > 1024 && _finishedStart > _finished.Count / 2)
        {
            _finished.RemoveRange(0, _finishedStart);
            _finishedStart = 0;
        }
    }

    /// <summary>
    /// Starts a what-if: permits taken until <see cref="EndProjection"/> are hypothetical. Attempts are assumed to
    /// take the typical (recent slowest) duration when <paramref name="cautious"/>, else no time at all: cautious
    /// to decide whether to admit a newcomer, hopeful to decide whether a caller already waiting has to be let down.
    /// </summary>
    public void BeginProjection(long now, bool cautious)
    {
        _bucketBeforeProjection = _bucket;
        _assumedDuration = cautious ? _typicalDuration : 0;
        _expected.Clear();
        foreach (var grantedAt in _inFlight)
        {
            _expected.Add(Math.Max(now, grantedAt + _assumedDuration));
        }

        _projecting = true;
    }

    public void EndProjection()
    {
        _bucket = _bucketBeforeProjection;
        _expected.Clear();
        _projecting = false;
    }

    /// <summary>Tokens in the bucket now, and permits each window could still grant now (in window order).</summary>
    public int AvailableAt(long now, Span<int> windows)
    {
        var bucket = _bucket;
        bucket.RefillTo(now);
        for (var w = 0; w < _windows.Length && w < windows.Length; w++)
        {
            var counted = _inFlight.Count;
            for (var i = _finished.Count - 1; i >= _finishedStart && _finished[i] + _windows[w].Length > now; i--)
            {
                counted++;
            }

            windows[w] = Math.Max(0, _windows[w].PermitLimit - counted);
        }

        return (int)Math.Max(0, bucket.Tokens);
    }

    /// <summary>True when nothing spent is still counted anywhere.</summary>
    public bool IsFull(long now)
    {
        var bucket = _bucket;
        bucket.RefillTo(now);
        return bucket.Tokens == bucket.Limit
            && _inFlight.Count == 0
            && (FinishedCount == 0 || _finished[^1] + _retention <= now);
    }

    private void SetWindows(BudgetLimits limits)
    {
        _windows = [.. limits.Windows.Select(w => new Window(w.PermitLimit, w.Window.Ticks))];
        _retention = _windows.Length == 0 ? 0 : _windows.Max(w => w.Length);
    }

    private readonly record struct Window(int PermitLimit, long Length);

    /// <summary>
    /// Same rule as <c>TokenBucketRateLimiter</c> with auto-replenishment: every whole period since the last
    /// refill adds <see cref="PerPeriod"/> tokens, capped at <see cref="Limit"/>.
    /// </summary>
    private struct Bucket(int limit, int perPeriod, long period)
    {
        public int Limit { get; } = limit;

        public int PerPeriod { get; } = perPeriod;

        public long Period { get; } = period;

        public long Tokens { get; set; }

        /// <summary>The last refill boundary.</summary>
        public long Anchor { get; set; }

        public void RefillTo(long now)
        {
            if (now < Anchor + Period)
            {
                return;
            }

            var periods = (now - Anchor) / Period;
            Tokens = periods >= Limit ? Limit : Math.Min(Limit, Tokens + (periods * PerPeriod));
            Anchor += periods * Period;
        }

        public readonly long EarliestFrom(long from) =>
            Tokens >= 1 || from >= Anchor + Period ? from : Anchor + Period;
    }
}
