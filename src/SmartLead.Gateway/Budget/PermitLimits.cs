namespace SmartLead.Gateway.Budget;

/// <summary>
/// The token bucket and the sliding windows, checked and spent together so a permit is taken only when all of
/// them allow it. Times are <see cref="TimeSpan"/> ticks on the owning budget's clock. Not thread-safe: the budget
/// calls it under its lock.
/// </summary>
/// <remarks>
/// Written here rather than composed from <c>TokenBucketRateLimiter</c>/<c>SlidingWindowRateLimiter</c> because
/// (a) in manual-replenishment mode both still read <c>Stopwatch</c>, so an injected <see cref="TimeProvider"/>
/// cannot drive them; (b) the sliding window frees a segment's permits up to one segment early, so an upstream that
/// counts exactly could see more than the limit; (c) there is no way to ask them when the n-th next permit will be
/// free, which the foreseeable-wait rejection needs; (d) chaining them loses tokens when a later limiter refuses.
/// Every window here is an exact log of grant times; each constraint is "free from time X on" as long as nothing
/// else is taken, so the earliest time all allow is simply the latest of those X.
/// </remarks>
internal sealed class PermitLimits
{
    private readonly List<long> _log = [];
    private int _logStart;
    private Bucket _bucket;
    private Window[] _windows = [];
    private long _retention;

    public PermitLimits(RateLimitOptions options, long now)
    {
        _bucket = new Bucket(options.TokenLimit, options.TokensPerPeriod, options.ReplenishmentPeriod.Ticks)
        {
            Tokens = options.TokenLimit,
            Anchor = now,
        };
        SetWindows(options);
    }

    private int LogCount => _log.Count - _logStart;

    /// <summary>
    /// Takes new limits without forgetting what was already spent: the bucket keeps its tokens (capped at the new
    /// size) and the windows count the permits already granted, so a reload never hands out a fresh budget.
    /// </summary>
    public void Reconfigure(RateLimitOptions options, long now)
    {
        _bucket.RefillTo(now);
        _bucket = new Bucket(options.TokenLimit, options.TokensPerPeriod, options.ReplenishmentPeriod.Ticks)
        {
            Tokens = Math.Min(_bucket.Tokens, options.TokenLimit),
            Anchor = _bucket.Anchor,
        };
        SetWindows(options);
    }

    /// <summary>The earliest time at or after <paramref name="from"/> when one permit is free everywhere.</summary>
    public long EarliestFrom(long from)
    {
        var earliest = Math.Max(from, _bucket.EarliestFrom(from));
        var count = LogCount;
        foreach (var window in _windows)
        {
            if (count >= window.PermitLimit)
            {
                // The permit that has to age out is the PermitLimit-th newest.
                earliest = Math.Max(earliest, _log[_logStart + count - window.PermitLimit] + window.Length);
            }
        }

        return earliest;
    }

    /// <summary>Spends one permit at <paramref name="at"/>, which must be a time <see cref="EarliestFrom"/> allowed.</summary>
    public void Take(long at)
    {
        _bucket.RefillTo(at);
        _bucket.Tokens--;
        if (_windows.Length > 0)
        {
            _log.Add(at);
        }
    }

    /// <summary>Forgets grants no window can see any more.</summary>
    public void Prune(long now)
    {
        while (LogCount > 0 && _log[_logStart] + _retention <= now)
        {
            _logStart++;
        }

        if (_logStart > 1024 && _logStart > _log.Count / 2)
        {
            _log.RemoveRange(0, _logStart);
            _logStart = 0;
        }
    }

    /// <summary>Remembers the state so a projection can spend hypothetical permits and then undo them.</summary>
    public Mark Save() => new(_bucket, _log.Count);

    public void Restore(Mark mark)
    {
        _bucket = mark.Bucket;
        _log.RemoveRange(mark.LogLength, _log.Count - mark.LogLength);
    }

    /// <summary>Permits that could be taken right now, one after another.</summary>
    public long AvailableAt(long now)
    {
        var bucket = _bucket;
        bucket.RefillTo(now);
        var available = bucket.Tokens;
        foreach (var window in _windows)
        {
            var inWindow = 0;
            for (var i = _log.Count - 1; i >= _logStart && _log[i] + window.Length > now; i--)
            {
                inWindow++;
            }

            available = Math.Min(available, window.PermitLimit - inWindow);
        }

        return Math.Max(0, available);
    }

    /// <summary>True when nothing spent is still counted anywhere.</summary>
    public bool IsFull(long now)
    {
        var bucket = _bucket;
        bucket.RefillTo(now);
        return bucket.Tokens == bucket.Limit && (LogCount == 0 || _log[^1] + _retention <= now);
    }

    private void SetWindows(RateLimitOptions options)
    {
        _windows = [.. options.EffectiveWindows.Select(w => new Window(w.PermitLimit, w.Window.Ticks))];
        _retention = _windows.Length == 0 ? 0 : _windows.Max(w => w.Length);
    }

    internal readonly record struct Mark(Bucket Bucket, int LogLength);

    private readonly record struct Window(int PermitLimit, long Length);

    /// <summary>
    /// Same rule as <c>TokenBucketRateLimiter</c> with auto-replenishment: every whole period since the last
    /// refill adds <see cref="PerPeriod"/> tokens, capped at <see cref="Limit"/>.
    /// </summary>
    internal struct Bucket(int limit, int perPeriod, long period)
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
